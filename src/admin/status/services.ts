/**
 * Hub sections 'lvs' (kernel IPVS state and counters) and 'health' (checker
 * results and operator state) → the virtual-service part of the view, one
 * row per configured real server. The only place that knows the field names
 * those two subsystems publish.
 */
import type { VirtualServer } from '../../config/model.js';
import type { Counters, Rates, RealServerView, VirtualServerView } from './schemas.js';
import type { HealthStatus, RealServerStatus } from '../../health/status.js';

export interface IpvsStats {
  conns?: number; inpkts?: number; outpkts?: number; inbytes?: number; outbytes?: number;
  cps?: number; inpps?: number; outpps?: number; inbps?: number; outbps?: number;
}

/** What the 'lvs' section is read as: kernel services by virtual-server name (a group has several). */
export interface LvsSection { services?: LvsServiceStatus[] }
export interface LvsServiceStatus { name: string; stats?: IpvsStats; destinations?: LvsDestStatus[] }
export interface LvsDestStatus { address: string; port: number; weight?: number; active_conns?: number; inactive_conns?: number; stats?: IpvsStats }

/** The check result to show for a server: the newest one, with the reason that decided its state. */
function lastCheck(r: RealServerStatus): RealServerView['last_check'] {
  const lasts = r.checks.map((c) => c.last).filter((l): l is NonNullable<typeof l> => !!l);
  if (!lasts.length) return null;
  const newest = lasts.reduce((x, y) => (y.at > x.at ? y : x));
  return { time: newest.at, ok: r.state === 'up', latency_ms: newest.latency_ms, message: r.reason || newest.message };
}

const adminState = (r: RealServerStatus): 'enabled' | 'drain' | 'disabled' => (r.disabled ? 'disabled' : r.drain ? 'drain' : 'enabled');

const destKey = (address: string, port: number) => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);
const num = (x: number | undefined) => x ?? 0;

function rates(s: IpvsStats[]): Rates | null {
  if (!s.length) return null;
  return {
    cps: s.reduce((a, x) => a + num(x.cps), 0), inpps: s.reduce((a, x) => a + num(x.inpps), 0),
    outpps: s.reduce((a, x) => a + num(x.outpps), 0), inbps: s.reduce((a, x) => a + num(x.inbps), 0),
    outbps: s.reduce((a, x) => a + num(x.outbps), 0),
  };
}

function counters(s: IpvsStats[]): Counters | null {
  if (!s.length) return null;
  return {
    conns: s.reduce((a, x) => a + num(x.conns), 0), inpkts: s.reduce((a, x) => a + num(x.inpkts), 0),
    outpkts: s.reduce((a, x) => a + num(x.outpkts), 0), inbytes: s.reduce((a, x) => a + num(x.inbytes), 0),
    outbytes: s.reduce((a, x) => a + num(x.outbytes), 0),
  };
}

function endpointText(vs: VirtualServer): string[] {
  return vs.endpoints.map((e) => (e.kind === 'fwmark' ? `fwmark ${e.fwmark}${e.family === 6 ? ' (IPv6)' : ''}` : `${destKey(e.address, e.port)}/${e.protocol}`));
}

export function servicesView(configured: VirtualServer[], lvs: LvsSection | undefined, health: HealthStatus | undefined): VirtualServerView[] {
  const kernel = new Map<string, LvsServiceStatus[]>();
  for (const s of lvs?.services ?? []) kernel.set(s.name, [...(kernel.get(s.name) ?? []), s]);
  const checks = new Map((health?.virtual_servers ?? []).map((h) => [h.name, h]));

  return configured.map((vs) => {
    const svc = kernel.get(vs.name) ?? [];
    const dests = new Map<string, LvsDestStatus[]>();
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
        active_conns: d ? d.reduce((a, x) => a + num(x.active_conns), 0) : null,
        inactive_conns: d ? d.reduce((a, x) => a + num(x.inactive_conns), 0) : null,
        counters: d ? counters(d.map((x) => x.stats ?? {})) : null,
        rates: d ? rates(d.map((x) => x.stats ?? {})) : null,
        last_check: c ? lastCheck(c) : null,
        since: c?.since ?? null,
      };
    });
    const stats = svc.map((s) => s.stats ?? {});
    return {
      name: vs.name, endpoints: endpointText(vs), lb_algo: vs.lb_algo, lb_kind: vs.lb_kind,
      quorum_ok: h?.quorum.up ?? null,
      up: real_servers.filter((r) => r.health === 'up').length,
      total: real_servers.length,
      counters: svc.length ? counters(stats) : null,
      rates: svc.length ? rates(stats) : null,
      real_servers,
    };
  });
}
