/**
 * Hub section 'vrrp' → the VRRP part of the view. The only place that knows
 * the field names the VRRP subsystem publishes; every field is optional here
 * so a partial or older section still renders.
 */
import type { VrrpInstance } from '../../config/model.js';
import type { VrrpInstanceView } from './schemas.js';

/** What the 'vrrp' section is read as. */
export interface VrrpSection {
  /** Operator maintenance: every instance forced to BACKUP. */
  maintenance?: boolean;
  instances?: VrrpInstanceStatus[];
}

export interface VrrpInstanceStatus {
  name: string;
  state?: string;
  /** Effective priority after track_script/track_interface. */
  priority?: number;
  base_priority?: number;
  /** Address of the current master (this node's address when MASTER). */
  master?: string | null;
  vips?: string[];
  last_transition?: { time: string; from?: string; to: string; reason?: string };
  adverts_sent?: number;
  adverts_received?: number;
  transitions?: number;
  /** Adverts dropped, by reason (bad TTL, auth, VRID mismatch, ...). */
  dropped?: Record<string, number>;
}

export function vrrpView(configured: VrrpInstance[], section: VrrpSection | undefined): VrrpInstanceView[] {
  const byName = new Map((section?.instances ?? []).map((s) => [s.name, s]));
  return configured.map((inst) => {
    const s = byName.get(inst.name);
    return {
      name: inst.name,
      interface: inst.interface,
      virtual_router_id: inst.virtual_router_id,
      state: s?.state ?? 'UNKNOWN',
      priority: s?.priority ?? null,
      base_priority: s?.base_priority ?? inst.priority,
      master: s?.master ?? null,
      vips: s?.vips ?? inst.virtual_ipaddress.map((v) => `${v.address}/${v.prefix}`),
      peers: inst.unicast_peer,
      last_transition: s?.last_transition
        ? { time: s.last_transition.time, from: s.last_transition.from ?? null, to: s.last_transition.to, reason: s.last_transition.reason ?? null }
        : null,
      counters: s && (s.adverts_sent !== undefined || s.adverts_received !== undefined || s.dropped)
        ? { adverts_sent: s.adverts_sent ?? 0, adverts_received: s.adverts_received ?? 0, transitions: s.transitions ?? 0, dropped: s.dropped ?? {} }
        : null,
    };
  });
}
