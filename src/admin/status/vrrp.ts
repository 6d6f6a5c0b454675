/**
 * Hub section 'vrrp' → the VRRP part of the view. The only place that knows
 * the field names the VRRP subsystem publishes; every field is optional here
 * so a partial or older section still renders.
 */
import type { VrrpInstance } from '../../config/model.js';
import type { VrrpStatus } from '../../vrrp/status.js';
import type { VrrpInstanceView } from './schemas.js';

export function vrrpView(configured: VrrpInstance[], section: VrrpStatus | undefined): VrrpInstanceView[] {
  const byName = new Map((section?.instances ?? []).map((s) => [s.name, s]));
  return configured.map((inst) => {
    const s = byName.get(inst.name);
    return {
      name: inst.name,
      interface: inst.interface,
      virtual_router_id: inst.virtual_router_id,
      state: s?.state ?? 'UNKNOWN',
      priority: s?.effectivePriority ?? null,
      base_priority: s?.basePriority ?? inst.priority,
      master: s?.masterAddress ?? null,
      vips: s?.vips ?? inst.virtual_ipaddress.map((v) => `${v.address}/${v.prefix}`),
      peers: inst.unicast_peer,
      last_transition: s?.lastTransition
        ? { time: new Date(s.lastTransition.at).toISOString(), from: s.lastTransition.from, to: s.lastTransition.to, reason: s.lastTransition.reason }
        : null,
      counters: s
        ? {
          adverts_sent: s.counters.advertsSent, adverts_received: s.counters.advertsReceived,
          transitions: s.counters.becameMaster + s.counters.releasedMaster,
          dropped: Object.fromEntries(Object.entries(s.counters.dropped).map(([k, v]) => [k, v ?? 0])),
        }
        : null,
    };
  });
}
