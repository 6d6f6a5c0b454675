/**
 * The health subsystem: runs every configured check, keeps each real server's
 * health, and is the live PoolSource the LVS reconciler programs the kernel
 * from (a 'change' event per virtual server whose destinations changed).
 *
 * It logs every state change with its reason, runs notify/quorum hooks, takes
 * operator overrides (drain, disable/enable, weight) and publishes the 'health'
 * status section. A reload keeps the health of every real server it leaves in
 * place: unchanged servers are not touched, changed ones keep the state of the
 * checks that still probe the same thing.
 */
import { EventEmitter } from 'node:events';
import { isDeepStrictEqual } from 'node:util';
import type { Config, RealServer, VirtualServer } from '../config/model.js';
import type { ConfigDiff } from '../config/diff.js';
import { endpointKey } from '../config/resolve.js';
import type { Subsystem, SubsystemContext } from '../lbd/subsystem.js';
import type { Logger } from '../log/logger.js';
import type { DesiredDest, PoolEvents, PoolSource } from '../lvs/pool.js';
import { canonicalIp, parseEndpoint } from '../util/ip.js';
import { CheckRunner, createChecker } from './check-runner.js';
import { CheckState, checkIdentity } from './check-state.js';
import type { CheckResult } from './checker.js';
import { HookRunner } from './hooks.js';
import { loadOverrides, overridesFile, saveOverrides, type OverrideMap } from './overrides.js';
import { destinationsKey, RealServerState, VirtualServerPool, type Overrides } from './pool-state.js';
import { CheckScheduler, DEFAULT_LIMITS, spreadStarts, type SchedulerLimits } from './scheduler.js';
import { realServerStatus, virtualServerStatus, type HealthStatus, type RealServerStatus } from './status.js';

export interface HealthOptions {
  limits?: SchedulerLimits;
  /** Upper bound for notify_up/notify_down/quorum_up/quorum_down hooks. */
  hookTimeoutMs?: number;
  /**
   * How often the published status refreshes when only check results (not states) changed.
   * Rebuilding it for thousands of servers is not free; status() is always live.
   */
  statusIntervalMs?: number;
}

export class HealthOperationError extends Error {
  constructor(readonly code: 'not_found' | 'invalid', message: string) { super(message); }
}

interface PoolEntry {
  pool: VirtualServerPool;
  lastDests: DesiredDest[];
  lastKey: string;
}

/** How often check results alone (no state change) are republished. */
export const STATUS_INTERVAL_MS = 5000;
const STOP_WAIT_MS = 3000;

export class HealthSubsystem extends EventEmitter<PoolEvents> implements Subsystem, PoolSource {
  readonly name = 'health';
  private readonly log: Logger;
  private readonly scheduler: CheckScheduler;
  private readonly entries = new Map<string, PoolEntry>();
  private readonly runners = new Map<CheckState, CheckRunner>();
  private readonly hooks: HookRunner;
  private overrides: OverrideMap = {};
  private publishTimer: NodeJS.Timeout | null = null;
  private publishUrgent = false;
  private stopped = false;

  constructor(private readonly ctx: SubsystemContext, private readonly opts: HealthOptions = {}) {
    super();
    this.log = ctx.log.child({ subsystem: 'health' });
    this.scheduler = new CheckScheduler(opts.limits ?? DEFAULT_LIMITS);
    this.hooks = new HookRunner(this.log, opts.hookTimeoutMs);
  }

  // ------------------------------------------------------------ Subsystem

  async start(config: Config): Promise<void> {
    const loaded = loadOverrides(overridesFile(this.ctx.stateDir));
    if (loaded.error) this.log.error(loaded.error);
    this.overrides = loaded.overrides;
    const batch: CheckRunner[] = [];
    for (const vs of config.virtual_servers) this.addVirtualServer(vs, batch);
    this.startBatch(batch);
    this.log.info({ virtual_servers: this.entries.size, checks: this.runners.size }, 'health checks started');
    this.publishNow();
  }

  async reload(next: Config, diff: ConfigDiff): Promise<void> {
    const d = diff.virtual_servers;
    const byName = new Map(next.virtual_servers.map((v) => [v.name, v]));
    const batch: CheckRunner[] = [];
    for (const name of d.removed) this.removeVirtualServer(name);
    for (const name of d.changed) {
      const entry = this.entries.get(name);
      const vs = byName.get(name)!;
      if (entry) this.reconfigureVirtualServer(entry, vs, batch);
      else this.addVirtualServer(vs, batch);
    }
    for (const name of d.added) this.addVirtualServer(byName.get(name)!, batch);
    this.startBatch(batch);
    if (this.pruneOverrides()) this.persistOverrides();
    this.publishNow();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // Socket checks end at once; scripts cannot be cancelled (runCommand kills them at misc_timeout), so give them a moment.
    const scripts = [...this.runners.values()].flatMap((r) => (r.usesProcess && r.inFlight ? [r.inFlight] : []));
    for (const r of this.runners.values()) r.stop();
    this.runners.clear();
    if (scripts.length) {
      const settled = await Promise.race([Promise.allSettled(scripts).then(() => true), new Promise<false>((r) => setTimeout(() => r(false), STOP_WAIT_MS).unref())]);
      if (!settled) this.log.warn({ scripts: scripts.length }, `${scripts.length} MISC_CHECK scripts still running at stop: they end by themselves, or at misc_timeout while lbd still runs`);
    }
    if (this.publishTimer) clearTimeout(this.publishTimer);
    this.publishTimer = null;
    // omega: the down hooks run on the way out, as keepalived does.
    for (const { pool } of this.entries.values()) {
      if (!pool.vs.omega) continue;
      for (const s of pool.servers.values()) if (s.alive) this.hooks.realServer(pool, s, 'DOWN', 'lbd stopping');
      if (pool.quorumUp) this.hooks.quorum(pool, false);
    }
    await this.hooks.idle();
    this.log.info('health checks stopped');
  }

  // ------------------------------------------------------------ PoolSource

  destinations(vs: VirtualServer): DesiredDest[] {
    const entry = this.entries.get(vs.name);
    if (entry) return entry.pool.destinations();
    // Not (yet) ours: what it will be at start, without running anything.
    return this.buildPool(vs, null).destinations();
  }

  // ------------------------------------------------------------ operations (API, console)

  status(): HealthStatus {
    return {
      virtual_servers: [...this.entries.values()].map((e) => virtualServerStatus(e.pool)),
      scheduler: this.scheduler.stats(),
      updated_at: new Date().toISOString(),
    };
  }

  /** Weight 0: no new connections, established ones continue. */
  drain(vs: string, rs: string, on = true): RealServerStatus {
    return this.override(vs, rs, { drain: on || undefined }, on ? 'drained by operator' : 'drain ended by operator');
  }

  /** Maintenance: out of the pool whatever its health, until enabled. */
  disable(vs: string, rs: string): RealServerStatus {
    return this.override(vs, rs, { disabled: true }, 'disabled by operator (maintenance)');
  }

  /** Back in service: ends a disable and a drain alike (as HAProxy's "ready" does for L7 servers). */
  enable(vs: string, rs: string): RealServerStatus {
    return this.override(vs, rs, { disabled: undefined, drain: undefined }, 'enabled by operator');
  }

  /** Serve with `weight` instead of the configured one; null goes back to the configured weight. */
  setWeight(vs: string, rs: string, weight: number | null): RealServerStatus {
    if (weight !== null && !(Number.isInteger(weight) && weight >= 0 && weight <= 65535))
      throw new HealthOperationError('invalid', `weight must be an integer from 0 to 65535, got ${String(weight)}`);
    return this.override(vs, rs, { weight: weight ?? undefined }, weight === null ? 'weight override removed by operator' : `weight set to ${weight} by operator`);
  }

  // ------------------------------------------------------------ building and reloading

  private buildPool(vs: VirtualServer, batch: CheckRunner[] | null): VirtualServerPool {
    const pool = new VirtualServerPool(vs);
    const now = Date.now();
    for (const rs of vs.real_servers) {
      const s = new RealServerState(rs, rs.checks.map((c) => new CheckState(c)), now);
      Object.assign(s.overrides, this.overrides[vs.name]?.[rs.key]);
      pool.servers.set(rs.key, s);
      if (batch) for (const st of s.checks) batch.push(this.makeRunner(pool, s, st));
    }
    pool.initQuorum();
    return pool;
  }

  private addVirtualServer(vs: VirtualServer, batch: CheckRunner[]): void {
    const pool = this.buildPool(vs, batch);
    const lastDests = pool.destinations();
    this.entries.set(vs.name, { pool, lastDests, lastKey: destinationsKey(lastDests) });
    const down = [...pool.servers.values()].filter((s) => !s.alive).map((s) => s.rs.key);
    this.log.info({ vs: vs.name, real_servers: pool.servers.size, down, quorum_up: pool.quorumUp, live_weight: pool.liveWeight() },
      `virtual server ${vs.name}: ${pool.servers.size} real server${pool.servers.size === 1 ? '' : 's'}, ${down.length} down at start${pool.sorryActive ? ', sorry server in' : ''}`);
    // keepalived runs quorum_down when a virtual server starts without quorum.
    if (!pool.quorumUp) this.hooks.quorum(pool, false);
  }

  private removeVirtualServer(name: string): void {
    const entry = this.entries.get(name);
    if (!entry) return;
    for (const s of entry.pool.servers.values()) this.stopChecks(s);
    this.entries.delete(name);
    this.log.info({ vs: name }, `virtual server ${name} removed: its checks stopped`);
  }

  private reconfigureVirtualServer(entry: PoolEntry, vs: VirtualServer, batch: CheckRunner[]): void {
    const pool = entry.pool;
    const before = pool.servers;
    const servers = new Map<string, RealServerState>();
    const changed: RealServerState[] = [];
    for (const rs of vs.real_servers) {
      const prev = before.get(rs.key);
      if (prev && isDeepStrictEqual(prev.rs, rs)) { servers.set(rs.key, prev); continue; }
      if (prev) { this.carryServer(pool, prev, rs, batch); servers.set(rs.key, prev); changed.push(prev); continue; }
      const s = new RealServerState(rs, rs.checks.map((c) => new CheckState(c)), Date.now());
      Object.assign(s.overrides, this.overrides[vs.name]?.[rs.key]);
      for (const st of s.checks) batch.push(this.makeRunner(pool, s, st));
      servers.set(rs.key, s);
      this.log.info({ vs: vs.name, rs: rs.key }, `real server ${rs.key} added to ${vs.name} (${s.alive ? 'up' : 'down'} until checked)`);
    }
    for (const [key, s] of before) {
      if (servers.has(key)) continue;
      this.stopChecks(s);
      this.log.info({ vs: vs.name, rs: key }, `real server ${key} removed from ${vs.name} by the config`);
    }
    pool.vs = vs;
    pool.servers = servers;
    // Checks added or removed may change a carried server's health.
    for (const s of changed) this.serverChanged(pool, s, 'its checks changed in the config', false);
    this.poolChanged(entry);
  }

  /** A real server whose config changed: keep the state of every check that still probes the same thing. */
  private carryServer(pool: VirtualServerPool, s: RealServerState, rs: RealServer, batch: CheckRunner[]): void {
    const old = new Map<string, CheckState[]>();
    for (const st of s.checks) {
      const id = checkIdentity(st.check);
      old.set(id, [...(old.get(id) ?? []), st]);
    }
    const checks = rs.checks.map((c) => {
      const match = old.get(checkIdentity(c))?.shift();
      if (match) {
        if (!isDeepStrictEqual(match.check, c)) {
          match.reconfigure(c);
          const runner = this.runners.get(match)!;
          runner.checker = createChecker(c);
          runner.retimed();
        }
        return match;
      }
      // A new check on a server that is down must prove itself first: a reload never re-adds a failed server.
      const st = new CheckState(c, s.alive && !c.alpha);
      batch.push(this.makeRunner(pool, s, st));
      return st;
    });
    for (const rest of old.values()) for (const st of rest) this.stopRunner(st);
    s.rs = rs;
    s.checks = checks;
  }

  private makeRunner(pool: VirtualServerPool, s: RealServerState, st: CheckState): CheckRunner {
    const r = new CheckRunner(st, createChecker(st.check), pool, s, this.scheduler, this.onResult);
    this.runners.set(st, r);
    return r;
  }

  private startBatch(batch: CheckRunner[]): void {
    const offsets = spreadStarts(batch.map((r) => r.state.check.warmup * 1000));
    batch.forEach((r, i) => r.start(offsets[i]!));
  }

  private stopRunner(st: CheckState): void {
    this.runners.get(st)?.stop();
    this.runners.delete(st);
  }

  private stopChecks(s: RealServerState): void {
    for (const st of s.checks) this.stopRunner(st);
  }

  // ------------------------------------------------------------ results and transitions

  private readonly onResult = (runner: CheckRunner, r: CheckResult): number => {
    const st = runner.state;
    const applied = st.apply(r, Date.now());
    const { pool, server } = runner;
    if (applied.transition) {
      const c = st.check;
      // With one check, the server's own line below says the same.
      (server.checks.length > 1 ? this.log.info : this.log.debug).call(this.log, { vs: pool.vs.name, rs: server.rs.key, check: c.type, up: applied.transition.up, latency_ms: st.last!.latencyMs },
        `${c.type} of ${server.rs.key} in ${pool.vs.name} ${applied.transition.up ? 'passes' : 'fails'}: ${applied.transition.reason}`);
      this.serverChanged(pool, server, applied.transition.reason, true);
    } else if (!r.ok && st.up) {
      this.log.debug({ vs: pool.vs.name, rs: server.rs.key, check: st.check.type }, `retry ${st.retriesUsed}/${st.check.retry} of ${server.rs.key}: ${r.message}`);
    }
    if (server.provisional && server.checks.every((c) => c.hasRun)) {
      // The assumed start state is now what the checks say: give the reason they give.
      server.provisional = false;
      if (!applied.transition) server.reason = server.alive ? r.message : server.checks.find((c) => !c.up)?.last?.message ?? server.reason;
    }
    if (applied.weightChanged) {
      this.log.info({ vs: pool.vs.name, rs: server.rs.key, weight: server.weight }, `${server.rs.key} in ${pool.vs.name}: misc_dynamic weight ${st.weight ?? 'cleared'}`);
      this.poolChanged(this.entries.get(pool.vs.name)!);
    }
    this.schedulePublish(false);
    return applied.nextMs;
  };

  /** Re-derive a server's health from its checks; log, hook and update the pool when it changed. */
  private serverChanged(pool: VirtualServerPool, s: RealServerState, reason: string, updatePool: boolean): void {
    const alive = s.checksPass();
    if (alive !== s.alive) {
      s.alive = alive;
      s.provisional = false;
      s.since = Date.now();
      s.reason = reason;
      const msg = `real server ${s.rs.key} of ${pool.vs.name} is ${alive ? 'UP' : 'DOWN'}: ${reason}`;
      if (alive) this.log.info({ vs: pool.vs.name, rs: s.rs.key, state: 'UP', reason }, msg);
      else this.log.warn({ vs: pool.vs.name, rs: s.rs.key, state: 'DOWN', reason }, msg);
      this.hooks.realServer(pool, s, alive ? 'UP' : 'DOWN', reason);
    }
    if (updatePool) this.poolChanged(this.entries.get(pool.vs.name)!);
  }

  /** Quorum, sorry server, and the announcement of new destinations. */
  private poolChanged(entry: PoolEntry): void {
    const pool = entry.pool;
    const q = pool.updateQuorum();
    if (q) {
      const vs = pool.vs;
      const how = q === 'gained' ? `gained quorum: live weight ${pool.liveWeight()} >= ${vs.quorum}+${vs.hysteresis}` : `lost quorum: live weight ${pool.liveWeight()} < ${vs.quorum}-${vs.hysteresis}`;
      const sorry = vs.sorry_server ? (q === 'gained' ? '; sorry server leaves' : '; sorry server takes over') : '';
      (q === 'gained' ? this.log.info : this.log.warn).call(this.log, { vs: vs.name, quorum: q }, `virtual server ${vs.name} ${how}${sorry}`);
      this.hooks.quorum(pool, q === 'gained');
    }
    this.announce(entry);
    this.schedulePublish(true);
  }

  /** Emit 'change' when the destinations differ from the last announced ones, logging each difference. */
  private announce(entry: PoolEntry): void {
    const next = entry.pool.destinations();
    const key = destinationsKey(next);
    if (key === entry.lastKey) return;
    const name = entry.pool.vs.name;
    const k = (d: DesiredDest) => endpointKey(d.address, d.port);
    const before = new Map(entry.lastDests.map((d) => [k(d), d]));
    for (const d of next) {
      const b = before.get(k(d));
      before.delete(k(d));
      if (!b) this.log.info({ vs: name, rs: k(d), weight: d.weight }, `pool ${name}: ${k(d)} added with weight ${d.weight}`);
      else if (b.weight !== d.weight) this.log.info({ vs: name, rs: k(d), weight: d.weight }, `pool ${name}: ${k(d)} weight ${b.weight} -> ${d.weight}`);
    }
    for (const key of before.keys()) this.log.info({ vs: name, rs: key }, `pool ${name}: ${key} removed`);
    entry.lastDests = next;
    entry.lastKey = key;
    this.emit('change', name);
  }

  // ------------------------------------------------------------ operator overrides

  private findServer(vsName: string, rsKey: string): { entry: PoolEntry; s: RealServerState } {
    const entry = this.entries.get(vsName);
    if (!entry) throw new HealthOperationError('not_found', `no virtual server "${vsName}"`);
    let s = entry.pool.servers.get(rsKey);
    if (!s) {
      const ep = parseEndpoint(rsKey);
      if (ep) s = entry.pool.servers.get(endpointKey(canonicalIp(ep.host), ep.port));
    }
    if (!s) throw new HealthOperationError('not_found', `no real server "${rsKey}" in ${vsName}; it has ${[...entry.pool.servers.keys()].join(', ') || 'none'}`);
    return { entry, s };
  }

  private override(vsName: string, rsKey: string, change: Overrides, what: string): RealServerStatus {
    const { entry, s } = this.findServer(vsName, rsKey);
    const o: Overrides = { ...s.overrides, ...change };
    for (const k of Object.keys(o) as (keyof Overrides)[]) if (o[k] === undefined) delete o[k];
    s.overrides = o;
    this.log.info({ vs: vsName, rs: s.rs.key, overrides: o }, `real server ${s.rs.key} of ${vsName}: ${what}`);
    const saved = this.overrides[vsName] ?? {};
    if (Object.keys(o).length) saved[s.rs.key] = o; else delete saved[s.rs.key];
    if (Object.keys(saved).length) this.overrides[vsName] = saved; else delete this.overrides[vsName];
    this.persistOverrides();
    this.poolChanged(entry);
    return realServerStatus(entry.pool, s);
  }

  /** Overrides of servers the config no longer has go with them. */
  private pruneOverrides(): boolean {
    let changed = false;
    for (const [vs, servers] of Object.entries(this.overrides)) {
      const pool = this.entries.get(vs)?.pool;
      for (const key of Object.keys(servers)) if (!pool?.servers.has(key)) { delete servers[key]; changed = true; }
      if (!Object.keys(servers).length) delete this.overrides[vs];
    }
    return changed;
  }

  private persistOverrides(): void {
    try { saveOverrides(overridesFile(this.ctx.stateDir), this.overrides); } catch (e) {
      this.log.error({ err: e }, 'cannot save operator overrides: they apply now but will not survive a restart');
    }
  }

  // ------------------------------------------------------------ status

  /** State changes publish within 50 ms; check results alone refresh at most once per statusIntervalMs. */
  private schedulePublish(urgent: boolean): void {
    if (this.stopped) return;
    if (this.publishTimer && (this.publishUrgent || !urgent)) return;
    if (this.publishTimer) clearTimeout(this.publishTimer);
    this.publishUrgent = urgent;
    this.publishTimer = setTimeout(() => this.publishNow(), urgent ? 50 : this.opts.statusIntervalMs ?? STATUS_INTERVAL_MS);
  }

  private publishNow(): void {
    if (this.publishTimer) clearTimeout(this.publishTimer);
    this.publishTimer = null;
    this.publishUrgent = false;
    this.ctx.status.publish('health', this.status());
  }
}
