/**
 * The proxy subsystem of lbd: renders the l7 section for HAProxy and Nginx,
 * applies it to each engine (only an engine whose text changed is touched),
 * probes every frontend and reports its health, runs HAProxy's runtime
 * operations, and publishes the 'l7' status section.
 *
 * Health feeds VRRP: `on('health', (frontend, ok) => ...)` fires at each
 * verdict change, `health()` gives the current verdicts.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import type { Config, L7Engine, L7Settings } from '../config/model.js';
import type { ConfigDiff } from '../config/diff.js';
import type { Subsystem, SubsystemContext } from '../lbd/subsystem.js';
import { ipFamily, parseEndpoint } from '../util/ip.js';
import { HaproxyDriver, NginxDriver } from './drivers.js';
import { proxyPaths, type ProxyPaths } from './paths.js';
import { FrontendHealth } from './probe.js';
import { renderProxyConfigs, type RenderedConfigs } from './render.js';
import { setServer, showStat, type AdminState, type StatRow } from './runtime-api.js';
import { backendStatus, parseStubStatus, type L7EngineStatus, type L7Status } from './status.js';
import { ProxySupervisor, type ApplyResult, type SupervisorOptions } from './supervisor.js';

export type { L7Status } from './status.js';
export type { ApplyResult } from './supervisor.js';

export interface ProxyOptions extends SupervisorOptions {
  haproxyBinary?: string;
  nginxBinary?: string;
  /** How often counters are read and the status section published (default 2000 ms). */
  statusIntervalMs?: number;
}

export interface ProxyEvents {
  /** A frontend's verdict changed: its proxy process is alive and a request through it succeeds (or not). */
  health: [frontend: string, ok: boolean];
  /** An apply finished for an engine (also failures: `result.error` holds the binary's message). */
  applied: [result: ApplyResult];
}

const ENGINES: L7Engine[] = ['haproxy', 'nginx'];

export class ProxySubsystem extends EventEmitter<ProxyEvents> implements Subsystem {
  readonly name = 'proxy';
  readonly paths: ProxyPaths;
  private readonly engines: Record<L7Engine, ProxySupervisor>;
  private readonly probes = new Map<string, FrontendHealth>();
  /** The config asked for, and per engine the one it serves (they differ after a refused change). */
  private l7?: L7Settings;
  private readonly serving: Partial<Record<L7Engine, L7Settings>> = {};
  private statRows: StatRow[] = [];
  private connections?: L7EngineStatus['connections'];
  private statusTimer?: NodeJS.Timeout;
  private readonly statusIntervalMs: number;

  constructor(private readonly ctx: SubsystemContext, opts: ProxyOptions = {}) {
    super();
    this.paths = proxyPaths(ctx.stateDir);
    this.statusIntervalMs = opts.statusIntervalMs ?? 2000;
    this.engines = {
      haproxy: new ProxySupervisor(new HaproxyDriver(this.paths.haproxy, opts.haproxyBinary), ctx.log, opts),
      nginx: new ProxySupervisor(new NginxDriver(this.paths.nginx, opts.nginxBinary), ctx.log, opts),
    };
    for (const e of ENGINES) {
      this.engines[e].on('state', (s) => {
        // A dead master is an unhealthy frontend now, not after `fall` probes.
        if (s === 'backoff') for (const p of this.probes.values()) if (p.frontend.engine === e) p.processDown();
        this.publish();
      });
    }
  }

  async start(config: Config): Promise<void> {
    mkdirSync(this.paths.root, { recursive: true, mode: 0o700 });
    await this.apply(config.l7);
    this.statusTimer = setInterval(() => void this.refreshCounters(), this.statusIntervalMs);
    this.statusTimer.unref();
  }

  /** The diff is not needed: each engine's rendered text is compared, so an engine whose text is unchanged is not touched. */
  async reload(next: Config, _diff: ConfigDiff): Promise<void> {
    await this.apply(next.l7);
  }

  async stop(): Promise<void> {
    if (this.statusTimer) clearInterval(this.statusTimer);
    for (const p of this.probes.values()) p.stop();
    this.probes.clear();
    await Promise.all(ENGINES.map((e) => this.engines[e].stop()));
    this.publish();
  }

  /**
   * Render and apply. Never throws for a proxy's failure: a refused config leaves the previous one
   * serving, and the result (with the binary's message) is logged, emitted and in the status.
   */
  async apply(l7: L7Settings): Promise<ApplyResult[]> {
    let rendered: RenderedConfigs;
    try {
      rendered = renderProxyConfigs(l7, this.paths);
    } catch (e) {
      this.ctx.log.error({ err: (e as Error).message }, 'l7 config not rendered; the running proxies keep their config');
      return ENGINES.map((engine) => ({ engine, ok: false, changed: false, durationMs: 0, error: (e as Error).message, at: new Date().toISOString() }));
    }
    this.allowNonlocalBind(l7);
    const results = await Promise.all(ENGINES.map((e) => this.engines[e].apply(rendered[e])));
    for (const r of results) {
      if (r.ok) this.serving[r.engine] = l7;
      if (!r.changed) continue;
      if (r.ok && r.generation === undefined) this.ctx.log.info({ proxy: r.engine }, `${r.engine} stopped: no frontend uses it`);
      else if (r.ok) this.ctx.log.info({ proxy: r.engine, generation: r.generation, ms: r.durationMs }, `${r.engine} serves the new config`);
      else this.ctx.log.error({ proxy: r.engine, ms: r.durationMs, error: r.error }, `${r.engine} did not take the new config (a running ${r.engine} keeps its previous one)`);
      this.emit('applied', r);
    }
    this.l7 = l7;
    this.syncProbes(l7, rendered);
    await this.refreshCounters();
    return results;
  }

  /** Current verdict per frontend (undefined until the first one). */
  health(): Record<string, boolean | undefined> {
    return Object.fromEntries([...this.probes].map(([name, p]) => [name, p.ok]));
  }

  lastApply(engine: L7Engine): ApplyResult | undefined { return this.engines[engine].lastApply; }

  /** HAProxy: drain (no new sessions but stuck ones), maint (none), or ready again — without a reload. */
  async setServerState(backend: string, server: string, state: AdminState): Promise<void> {
    this.haproxyServer(backend, server);
    await setServer(this.paths.haproxy.adminSock, backend, server, `state ${state}`);
    await this.afterRuntimeChange();
  }

  /** HAProxy: change a server's weight (0-256) without a reload; the config's weight returns with the next config change to it. */
  async setServerWeight(backend: string, server: string, weight: number): Promise<void> {
    this.haproxyServer(backend, server);
    if (!Number.isInteger(weight) || weight < 0 || weight > 256) throw new Error(`weight must be a whole number 0-256 (got ${weight})`);
    await setServer(this.paths.haproxy.adminSock, backend, server, `weight ${weight}`);
    await this.afterRuntimeChange();
  }

  status(): L7Status {
    const l7 = this.l7;
    const feRow = (name: string) => this.statRows.find((r) => r.pxname === name && r.svname === 'FRONTEND');
    return {
      engines: Object.fromEntries(ENGINES.filter((e) => this.engines[e].state !== 'stopped' || this.engines[e].lastApply).map((e) => {
        const s = this.engines[e];
        return [e, {
          state: s.state, pid: s.pid, since: s.since?.toISOString(), restarts: s.restarts, generation: s.generation, lastApply: s.lastApply,
          ...(e === 'nginx' && this.connections ? { connections: this.connections } : {}),
        } satisfies L7EngineStatus];
      })),
      frontends: (l7?.frontends ?? []).map((f) => {
        const p = this.probes.get(f.name);
        const row = f.engine === 'haproxy' ? feRow(f.name) : undefined;
        return {
          name: f.name, engine: f.engine, mode: f.mode, bind: f.bind, healthy: p?.ok ?? null, lastProbe: p?.last,
          ...(row ? { sessions: Number(row.scur) || 0, sessionsTotal: Number(row.stot) || 0 } : {}),
        };
      }),
      backends: l7 ? backendStatus(l7, this.statRows) : [],
    };
  }

  private haproxyServer(backend: string, server: string): void {
    const b = this.serving.haproxy?.backends.find((x) => x.name === backend);
    if (!b) throw new Error(`no backend "${backend}" in the config HAProxy runs`);
    if (!b.engines.includes('haproxy')) throw new Error(`backend "${backend}" is not served by HAProxy: Nginx open source has no runtime API, change the config instead`);
    if (!b.servers.some((s) => s.name === server)) throw new Error(`backend "${backend}" has no server "${server}"`);
    if (!this.engines.haproxy.alive()) throw new Error('HAProxy is not running');
  }

  /** Persist runtime changes for the next reload or restart, and show them at once. */
  private async afterRuntimeChange(): Promise<void> {
    try { await this.engines.haproxy.driver.beforeReload(); } catch { /* saved again before the next reload */ }
    await this.refreshCounters();
  }

  private syncProbes(l7: L7Settings, rendered: RenderedConfigs): void {
    const wanted = new Map(l7.frontends.map((f) => [f.name, f]));
    for (const [name, p] of this.probes) {
      if (wanted.has(name) && wanted.get(name)!.engine === p.frontend.engine) continue;
      p.stop();
      this.probes.delete(name);
    }
    for (const f of l7.frontends) {
      const sock = rendered[f.engine]!.probes[f.name]!;
      const existing = this.probes.get(f.name);
      if (existing) { existing.frontend = f; existing.socketPath = sock; continue; }
      const supervisor = this.engines[f.engine];
      const p = new FrontendHealth(f, sock, () => supervisor.alive());
      p.on('change', (ok, detail) => {
        this.ctx.log[ok ? 'info' : 'warn']({ frontend: f.name, proxy: f.engine, detail }, `frontend ${f.name} is ${ok ? 'healthy' : 'unhealthy'}`);
        this.emit('health', f.name, ok);
        this.publish();
      });
      this.probes.set(f.name, p);
      p.start();
    }
  }

  private async refreshCounters(): Promise<void> {
    const h = this.engines.haproxy;
    this.statRows = h.alive() ? await showStat(this.paths.haproxy.adminSock).catch(() => this.statRows) : [];
    this.connections = this.engines.nginx.alive() ? await this.nginxStubStatus() : undefined;
    this.publish();
  }

  private nginxStubStatus(): Promise<L7EngineStatus['connections']> {
    return new Promise((resolve) => {
      const req = request({ socketPath: this.paths.nginx.ctlSock, path: '/lbd/stub_status', timeout: 1000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { body += d; });
        res.on('end', () => resolve(parseStubStatus(body)));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(undefined));
      req.end();
    });
  }

  private publish(): void {
    this.ctx.status.publish('l7', this.status());
  }

  /**
   * A frontend bound to a VIP must start on the backup node too, where the VIP is not (yet) an
   * address of this host: that takes net.ipv{4,6}.ip_nonlocal_bind (per network namespace).
   */
  private allowNonlocalBind(l7: L7Settings): void {
    const local = new Set(Object.values(networkInterfaces()).flatMap((a) => a ?? []).map((a) => a.address));
    const families = new Set<4 | 6>();
    for (const f of l7.frontends) for (const b of f.bind) {
      const host = parseEndpoint(b)?.host;
      const fam = host ? ipFamily(host) : 0;
      if (fam && host !== '0.0.0.0' && host !== '::' && !local.has(host!)) families.add(fam);
    }
    for (const fam of families) {
      const file = `/proc/sys/net/ipv${fam}/ip_nonlocal_bind`;
      try {
        if (readFileSync(file, 'utf8').trim() === '1') continue;
        writeFileSync(file, '1\n');
        this.ctx.log.info({ sysctl: `net.ipv${fam}.ip_nonlocal_bind` }, 'enabled: frontends bind addresses this node does not hold yet (VIPs)');
      } catch (e) {
        this.ctx.log.warn({ err: (e as Error).message }, `cannot enable net.ipv${fam}.ip_nonlocal_bind: a frontend on a VIP this node does not hold will fail to start`);
      }
    }
  }
}
