/**
 * Hub sections 'lvs' (kernel IPVS state and counters) and 'health' (checker
 * results and operator state) → the virtual-service part of the view, one
 * row per configured real server. The only place that knows the field names
 * those two subsystems publish. A generator (see steps.ts): thousands of rows
 * are built in chunks that the cache may spread over several event-loop turns.
 */
import type { VirtualServer } from '../../config/model.js';
import type { Counters, Rates, RealServerView, VirtualServerView } from './schemas.js';
import type { HealthStatus, RealServerStatus, VirtualServerHealthStatus } from '../../health/status.js';
import { endpointKey } from '../../config/resolve.js';
import type { LvsDestinationStatus, LvsServiceStatus, LvsStatus } from '../../lvs/status.js';
import type { Steps } from './steps.js';

type Stats = LvsServiceStatus['destinations'][number]['stats'];

/** The check result to show for a server: the newest one, with the reason that decided its state. */
function lastCheck(r: RealServerStatus): RealServerView['last_check'] {
  let newest: RealServerStatus['checks'][number]['last'] = null;
  for (const c of r.checks) if (c.last && (!newest || c.last.at > newest.at)) newest = c.last;
  if (!newest) return null;
  return { time: newest.at, ok: r.state === 'up', latency_ms: newest.latency_ms, message: r.reason || newest.message };
}

const adminState = (r: RealServerStatus): 'enabled' | 'drain' | 'disabled' => (r.disabled ? 'disabled' : r.drain ? 'drain' : 'enabled');

/*
 * Everything below runs for every real server on every status change, thousands
 * of them on a big node, while a request waits: plain loops, no intermediate
 * arrays, and the common case (one kernel entry per server) without a copy.
 */

const counters = (x: Stats): Counters => ({ conns: x.conns, inpkts: x.inPackets, outpkts: x.outPackets, inbytes: x.inBytes, outbytes: x.outBytes });
const rates = (x: Stats): Rates => ({ cps: x.cps, inpps: x.inPps, outpps: x.outPps, inbps: x.inBps, outbps: x.outBps });

/** Adds x into c and r (several kernel entries under one name). */
function add(c: Counters, r: Rates, x: Stats): void {
  c.conns += x.conns; c.inpkts += x.inPackets; c.outpkts += x.outPackets; c.inbytes += x.inBytes; c.outbytes += x.outBytes;
  r.cps += x.cps; r.inpps += x.inPps; r.outpps += x.outPps; r.inbps += x.inBps; r.outbps += x.outBps;
}

/** Per config object: it only changes with an apply. */
const endpointTexts = new WeakMap<VirtualServer, string[]>();

function endpointText(vs: VirtualServer): string[] {
  let t = endpointTexts.get(vs);
  if (!t) endpointTexts.set(vs, t = endpointsOf(vs));
  return t;
}

function endpointsOf(vs: VirtualServer): string[] {
  return vs.endpoints.map((e) => (e.kind === 'fwmark' ? `fwmark ${e.fwmark}${e.family === 6 ? ' (IPv6)' : ''}` : `${endpointKey(e.address, e.port)}/${e.protocol}`));
}

/** A server's kernel entries: one per kernel service it is in (several in a virtual_server_group). */
type Entries = LvsDestinationStatus | LvsDestinationStatus[];

function realServerView(rs: VirtualServer['real_servers'][number], e: Entries | undefined, h: RealServerStatus | undefined): RealServerView {
  let active: number | null = null, inactive: number | null = null, c: Counters | null = null, r: Rates | null = null;
  let first: LvsDestinationStatus | undefined;
  if (Array.isArray(e)) {
    first = e[0]!;
    active = 0; inactive = 0; c = counters(first.stats); r = rates(first.stats);
    for (const x of e) { active += x.activeConns; inactive += x.inactiveConns; if (x !== first) add(c, r, x.stats); }
  } else if (e) {
    first = e;
    active = e.activeConns; inactive = e.inactiveConns; c = counters(e.stats); r = rates(e.stats);
  }
  return {
    key: rs.key, address: rs.address, port: rs.port,
    health: h?.state ?? 'unknown',
    admin: h ? adminState(h) : 'enabled',
    weight_configured: rs.weight,
    weight: first?.weight ?? h?.weight ?? null,
    active_conns: active,
    inactive_conns: inactive,
    counters: c,
    rates: r,
    last_check: h ? lastCheck(h) : null,
    since: h?.since ?? null,
  };
}

/** Services between two yields: about 100 real-server rows, well under a millisecond. */
const CHUNK = 25;

export function* servicesView(configured: VirtualServer[], lvs: LvsStatus | undefined, health: HealthStatus | undefined): Steps<VirtualServerView[]> {
  // A virtual_server_group is several kernel services under one name.
  const kernel = new Map<string, LvsServiceStatus[]>();
  for (const s of lvs?.services ?? []) {
    if (!s.present) continue;
    const list = kernel.get(s.virtualServer);
    if (list) list.push(s); else kernel.set(s.virtualServer, [s]);
  }
  const checks = new Map<string, VirtualServerHealthStatus>();
  for (const h of health?.virtual_servers ?? []) checks.set(h.name, h);

  const out: VirtualServerView[] = [];
  for (const vs of configured) {
    if (out.length && out.length % CHUNK === 0) yield;
    const svc = kernel.get(vs.name);
    const dests = new Map<string, Entries>();
    let c: Counters | null = null, r: Rates | null = null;
    if (svc) for (const s of svc) {
      if (s.stats) {
        if (c && r) add(c, r, s.stats); else { c = counters(s.stats); r = rates(s.stats); }
      }
      for (const d of s.destinations) {
        const had = dests.get(d.id);
        dests.set(d.id, had === undefined ? d : Array.isArray(had) ? (had.push(d), had) : [had, d]);
      }
    }
    const h = checks.get(vs.name);
    const hs = new Map<string, RealServerStatus>();
    if (h) for (const r of h.real_servers) hs.set(r.key, r);
    const real_servers: RealServerView[] = [];
    let up = 0;
    for (const rs of vs.real_servers) {
      const r = realServerView(rs, dests.get(rs.key), hs.get(rs.key));
      if (r.health === 'up') up++;
      real_servers.push(r);
    }
    out.push({
      name: vs.name, endpoints: endpointText(vs), lb_algo: vs.lb_algo, lb_kind: vs.lb_kind,
      quorum_ok: h?.quorum.up ?? null,
      up,
      total: real_servers.length,
      counters: c,
      rates: r,
      real_servers,
    });
  }
  return out;
}
