/** The 'health' status section: what the API, UI, console and metrics show about real servers. */
import type { Check } from '../config/model.js';
import { endpointKey } from '../config/resolve.js';
import type { CheckState } from './check-state.js';
import type { RealServerState, VirtualServerPool } from './pool-state.js';
import type { SchedulerStats } from './scheduler.js';

export interface CheckStatus {
  type: Check['type'];
  /** ADDRESS:PORT probed, or the script line. */
  target: string;
  up: boolean;
  /** Retries spent on the current run of failures (a check that is up retries before it goes down). */
  retries_used: number;
  consecutive_failures: number;
  delay_loop: number;
  last: { ok: boolean; message: string; latency_ms: number; at: string; output?: string } | null;
}

export interface RealServerStatus {
  key: string;
  address: string;
  port: number;
  /** Health from the checks alone (operator overrides are separate). */
  state: 'up' | 'down';
  since: string;
  /** Why it is in this state: the check result that decided it. */
  reason: string;
  /** Present in the kernel service (possibly at weight 0). */
  in_pool: boolean;
  /** Weight in the kernel service; null when not in it. */
  weight: number | null;
  configured_weight: number;
  inhibit_on_failure: boolean;
  drain: boolean;
  disabled: boolean;
  weight_override: number | null;
  checks: CheckStatus[];
}

export interface VirtualServerHealthStatus {
  name: string;
  quorum: { up: boolean; live_weight: number; quorum: number; hysteresis: number };
  sorry_server: { address: string; port: number; active: boolean; inhibit: boolean } | null;
  real_servers: RealServerStatus[];
}

export interface HealthStatus {
  virtual_servers: VirtualServerHealthStatus[];
  scheduler: SchedulerStats;
  updated_at: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

const targetOf = (c: Check) => (c.type === 'MISC_CHECK' ? c.misc_path : endpointKey(c.connect_ip, c.connect_port));

export function checkStatus(c: CheckState): CheckStatus {
  const l = c.last;
  return {
    type: c.check.type, target: targetOf(c.check), up: c.up, retries_used: c.retriesUsed, consecutive_failures: c.failures,
    delay_loop: c.check.delay_loop,
    last: l && { ok: l.ok, message: l.message, latency_ms: l.latencyMs, at: iso(l.at), ...(l.output ? { output: l.output } : {}) },
  };
}

export function realServerStatus(pool: VirtualServerPool, s: RealServerState, inPool?: Map<string, number>): RealServerStatus {
  const weights = inPool ?? poolWeights(pool);
  const w = weights.get(s.rs.key);
  return {
    key: s.rs.key, address: s.rs.address, port: s.rs.port, state: s.alive ? 'up' : 'down', since: iso(s.since), reason: s.reason,
    in_pool: w !== undefined, weight: w ?? null, configured_weight: s.rs.weight, inhibit_on_failure: s.rs.inhibit_on_failure,
    drain: !!s.overrides.drain, disabled: !!s.overrides.disabled, weight_override: s.overrides.weight ?? null,
    checks: s.checks.map(checkStatus),
  };
}

function poolWeights(pool: VirtualServerPool): Map<string, number> {
  const m = new Map<string, number>();
  for (const d of pool.destinations()) m.set(endpointKey(d.address, d.port), d.weight);
  return m;
}

export function virtualServerStatus(pool: VirtualServerPool): VirtualServerHealthStatus {
  const weights = poolWeights(pool);
  const ss = pool.vs.sorry_server;
  return {
    name: pool.vs.name,
    quorum: { up: pool.quorumUp, live_weight: pool.liveWeight(), quorum: pool.vs.quorum, hysteresis: pool.vs.hysteresis },
    sorry_server: ss ? { address: ss.address, port: ss.port, active: pool.sorryActive, inhibit: pool.vs.sorry_server_inhibit } : null,
    real_servers: [...pool.servers.values()].map((s) => realServerStatus(pool, s, weights)),
  };
}
