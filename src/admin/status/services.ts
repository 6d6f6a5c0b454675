/**
 * Hub sections 'lvs' (kernel IPVS state and counters) and 'health' (checker
 * results and operator state) → the virtual-service part of the view, one
 * row per configured real server. The only place that knows the field names
 * those two subsystems publish.
 */
import type { VirtualServer } from '../../config/model.js';
import type { Counters, Rates, RealServerView, VirtualServerView } from './schemas.js';
import type { HealthStatus, RealServerStatus } from '../../health/status.js';
import type { LvsDestinationStatus, LvsServiceStatus, LvsStatus } from '../../lvs/status.js';

type Stats = LvsServiceStatus['destinations'][number]['stats'];

/** The check result to show for a server: the newest one, with the reason that decided its state. */
function lastCheck(r: RealServerStatus): RealServerView['last_check'] {
  let newest: NonNullable<RealServerStatus['checks'][number]['last']> | undefined;
  for (const c of r.checks) if (c.last && (!newest || c.last.at > newest.at)) newest = c.last;
  if (!newest) return null;
  return { time: newest.at, ok: r.state === 'up', latency_ms: newest.latency_ms, message: r.reason || newest.message };
}

const adminState = (r: RealServerStatus): 'enabled' | 'drain' | 'disabled' => (r.disabled ? 'disabled' : r.drain ? 'drain' : 'enabled');

const destKey = (address: string, port: number) => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);

/**
 * Counters and rates summed over kernel entries (several for a server in a
 * virtual_server_group). Plain loops: this runs for every real server on
 * every status change, thousands of them on a big node.
 */
function totals(s: Stats[]): { counters: Counters; rates: Rates } | null {
  if (!s.length) return null;
  const c: Counters = { conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0 };
  const r: Rates = { cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 };
  for (const x of s) {
    c.conns += x.conns; c.inpkts += x.inPackets; c.outpkts += x.outPackets; c.inbytes += x.inBytes; c.outbytes += x.outBytes;
    r.cps += x.cps; r.inpps += x.inPps; r.outpps += x.outPps; r.inbps += x.inBps; r.outbps += x.outBps;
  }
  return { counters: c, rates: r };
}

function endpointText(vs: VirtualServer): string[] {
  return vs.endpoints.map((e) => (e.kind === 'fwmark' ? `fwmark ${e.fwmark}${e.family === 6 ? ' (IPv6)' : ''}` : `${destKey(e.address, e.port)}/${e.protocol}`));
}

export function servicesView(configured: VirtualServer[], lvs: LvsStatus | undefined, health: HealthStatus | undefined): VirtualServerView[] {
  // A virtual_server_group is several kernel services under one name.
  const kernel = new Map<string, LvsServiceStatus[]>();
  for (const s of lvs?.services ?? []) if (s.present) kernel.set(s.virtualServer, [...(kernel.get(s.virtualServer) ?? []), s]);
  const checks = new Map((health?.virtual_servers ?? []).map((h) => [h.name, h]));

  return configured.map((vs) => {
    const svc = kernel.get(vs.name) ?? [];
    const dests = new Map<string, LvsDestinationStatus[]>();
    for (const s of svc) for (const d of s.destinations ?? []) {
      const k = destKey(d.address, d.port);
      dests.set(k, [...(dests.get(k) ?? []), d]);
    }
    const h = checks.get(vs.name);
    const hs = new Map((h?.real_servers ?? []).map((r) => [r.key, r]));
    const real_servers: RealServerView[] = vs.real_servers.map((rs) => {
      const d = dests.get(rs.key);
      const c = hs.get(rs.key);
      let active: number | null = null, inactive: number | null = null, t = null;
      if (d) {
        active = 0; inactive = 0;
        for (const x of d) { active += x.activeConns; inactive += x.inactiveConns; }
        t = totals(d.map((x) => x.stats));
      }
      return {
        key: rs.key, address: rs.address, port: rs.port,
        health: c?.state ?? 'unknown',
        admin: c ? adminState(c) : 'enabled',
        weight_configured: rs.weight,
        weight: d?.[0]?.weight ?? c?.weight ?? null,
        active_conns: active,
        inactive_conns: inactive,
        counters: t?.counters ?? null,
        rates: t?.rates ?? null,
        last_check: c ? lastCheck(c) : null,
        since: c?.since ?? null,
      };
    });
    const t = totals(svc.flatMap((s) => (s.stats ? [s.stats] : [])));
    let up = 0;
    for (const r of real_servers) if (r.health === 'up') up++;
    return {
      name: vs.name, endpoints: endpointText(vs), lb_algo: vs.lb_algo, lb_kind: vs.lb_kind,
      quorum_ok: h?.quorum.up ?? null,
      up,
      total: real_servers.length,
      counters: t?.counters ?? null,
      rates: t?.rates ?? null,
      real_servers,
    };
  });
}
