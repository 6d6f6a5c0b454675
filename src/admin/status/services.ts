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
  const lasts = r.checks.map((c) => c.last).filter((l): l is NonNullable<typeof l> => !!l);
  if (!lasts.length) return null;
  const newest = lasts.reduce((x, y) => (y.at > x.at ? y : x));
  return { time: newest.at, ok: r.state === 'up', latency_ms: newest.latency_ms, message: r.reason || newest.message };
}

const adminState = (r: RealServerStatus): 'enabled' | 'drain' | 'disabled' => (r.disabled ? 'disabled' : r.drain ? 'drain' : 'enabled');

const destKey = (address: string, port: number) => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);

const sum = (s: Stats[], f: (x: Stats) => number) => s.reduce((a, x) => a + f(x), 0);

function rates(s: Stats[]): Rates | null {
  if (!s.length) return null;
  return { cps: sum(s, (x) => x.cps), inpps: sum(s, (x) => x.inPps), outpps: sum(s, (x) => x.outPps), inbps: sum(s, (x) => x.inBps), outbps: sum(s, (x) => x.outBps) };
}

function counters(s: Stats[]): Counters | null {
  if (!s.length) return null;
  return { conns: sum(s, (x) => x.conns), inpkts: sum(s, (x) => x.inPackets), outpkts: sum(s, (x) => x.outPackets), inbytes: sum(s, (x) => x.inBytes), outbytes: sum(s, (x) => x.outBytes) };
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
      const kernelWeight = d?.[0]?.weight;
      return {
        key: rs.key, address: rs.address, port: rs.port,
        health: c?.state ?? 'unknown',
        admin: c ? adminState(c) : 'enabled',
        weight_configured: rs.weight,
        weight: kernelWeight ?? c?.weight ?? null,
        active_conns: d ? d.reduce((a, x) => a + x.activeConns, 0) : null,
        inactive_conns: d ? d.reduce((a, x) => a + x.inactiveConns, 0) : null,
        counters: d ? counters(d.map((x) => x.stats)) : null,
        rates: d ? rates(d.map((x) => x.stats)) : null,
        last_check: c ? lastCheck(c) : null,
        since: c?.since ?? null,
      };
    });
    const stats = svc.flatMap((s) => (s.stats ? [s.stats] : []));
    return {
      name: vs.name, endpoints: endpointText(vs), lb_algo: vs.lb_algo, lb_kind: vs.lb_kind,
      quorum_ok: h?.quorum.up ?? null,
      up: real_servers.filter((r) => r.health === 'up').length,
      total: real_servers.length,
      counters: counters(stats),
      rates: rates(stats),
      real_servers,
    };
  });
}
