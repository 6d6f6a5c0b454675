/**
 * The VRRP subsystem inside lbd: a supervisor for the engine process.
 *
 * The engine (engine-main.ts) runs apart from lbd's event loop, so health
 * checks, the admin UI or a GC pause here cannot delay an advert. This side
 * forwards config and operations, publishes the engine's status as the 'vrrp'
 * section, and if the engine dies removes the VIPs it left and starts a new one
 * (with backoff). A watchdog kills an engine that stops reporting.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log/logger.js';
import type { Config } from '../config/model.js';
import type { ConfigDiff } from '../config/diff.js';
import type { Subsystem, SubsystemContext } from '../lbd/subsystem.js';
import { Rtnl } from '../net/rtnl.js';
import { atomicWriteFileSync } from '../util/atomic-write.js';
import type { FromEngine, ToEngine } from './ipc.js';
import { NetState } from './netstate.js';
import { vipOwnerOf } from './runtime.js';
import type { VrrpEngineStatus, VrrpStatus } from './status.js';
import { VipManager } from './vips.js';

const ENGINE = fileURLToPath(new URL('./engine-main.js', import.meta.url));
const MAINTENANCE_FILE = 'vrrp-maintenance';
// Generous: under software emulation (the appliance image on QEMU TCG) Node alone takes tens of seconds to load.
const START_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 15_000;
const WATCHDOG_SILENCE_MS = 10_000;
const RESTART_BACKOFF_MS = [200, 1000, 5000, 10_000];
const STABLE_AFTER_MS = 60_000;

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

export class VrrpSubsystem implements Subsystem {
  readonly name = 'vrrp';
  private readonly log: Logger;
  private config?: Config;
  private child?: ChildProcess;
  private engineStatus?: VrrpEngineStatus;
  private restarts = 0;
  private startedAt: number | null = null;
  private lastExit: string | null = null;
  private stopping = false;
  private maintenance: boolean;
  private external = new Map<string, boolean>();
  private waiters = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private lastHeard = 0;
  /** The engine answered 'start': from then on silence means it hangs (before, START_TIMEOUT_MS rules). */
  private engineUp = false;
  private watchdog?: NodeJS.Timeout;
  private restartTimer?: NodeJS.Timeout;

  constructor(private readonly ctx: SubsystemContext) {
    this.log = ctx.log.child({ subsystem: 'vrrp' });
    this.maintenance = existsSync(join(ctx.stateDir, MAINTENANCE_FILE));
  }

  async start(config: Config): Promise<void> {
    this.config = config;
    this.publish();
    if (config.vrrp_instances.length) await this.spawn();
    else await this.cleanupVips(config);
  }

  async reload(next: Config, diff: ConfigDiff): Promise<void> {
    this.config = next;
    const touched = diff.global || [diff.vrrp_instances, diff.vrrp_scripts, diff.vrrp_sync_groups]
      .some((d) => d.added.length || d.removed.length || d.changed.length);
    if (!touched) return;
    if (!next.vrrp_instances.length) { await this.stopEngine('no VRRP instance left in the config'); this.publish(); return; }
    if (!this.child) { await this.spawn(); return; }
    await this.request({ t: 'reload', config: next }, 'reloaded', START_TIMEOUT_MS);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.stopEngine('lbd stopping');
  }

  // ------------------------------------------------------------ operations (API, console, other subsystems)

  /** Maintenance on: this node gives up MASTER at once (priority 0) and stays BACKUP until released. Survives restarts. */
  setMaintenance(on: boolean): void {
    this.maintenance = on;
    const file = join(this.ctx.stateDir, MAINTENANCE_FILE);
    if (on) atomicWriteFileSync(file, `${new Date().toISOString()}\n`, 0o600); else rmSync(file, { force: true });
    this.send({ t: 'maintenance', on });
    this.publish();
  }

  /** Feed an external tracker (track_proxy uses `proxy:<frontend>`); unknown names are kept for later. */
  setExternalTracker(name: string, ok: boolean): void {
    this.external.set(name, ok);
    this.send({ t: 'tracker', name, ok });
  }

  status(): VrrpStatus {
    return this.ctx.status.get<VrrpStatus>('vrrp') ?? this.compose();
  }

  // ------------------------------------------------------------ engine process

  private send(m: ToEngine): void {
    if (this.child?.connected) this.child.send(m);
  }

  private request(m: ToEngine, reply: 'started' | 'reloaded', timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiters.delete(reply); reject(new Error(`VRRP engine did not answer '${m.t}' within ${timeoutMs / 1000} s`)); }, timeoutMs);
      this.waiters.set(reply, {
        resolve: () => { clearTimeout(timer); resolve(); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.send(m);
    });
  }

  private async spawn(): Promise<void> {
    const child = fork(ENGINE, [], {
      // No V8 background threads (GC helpers, concurrent compilers): they would run at normal
      // priority, and the realtime thread waiting for them under load is a priority inversion.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--single-threaded'],
      env: { ...process.env, LBD_STATE_DIR: this.ctx.stateDir },
    });
    this.child = child;
    this.startedAt = Date.now();
    this.lastHeard = Date.now();
    this.engineUp = false;
    child.on('message', (m: FromEngine) => this.onMessage(m));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    this.startWatchdog();
    this.log.info({ engine_pid: child.pid }, 'VRRP engine started');
    await this.request({ t: 'start', config: this.config!, maintenance: this.maintenance, external: Object.fromEntries(this.external) }, 'started', START_TIMEOUT_MS);
  }

  private onMessage(m: FromEngine): void {
    this.lastHeard = Date.now();
    if (m.t === 'started') this.engineUp = true;
    switch (m.t) {
      case 'status': this.engineStatus = m.status; this.publish(); break;
      case 'log': this.relog(m.line); break;
      case 'failed': this.waiters.get(m.op === 'start' ? 'started' : 'reloaded')?.reject(new Error(`VRRP engine ${m.op} failed: ${m.error}`)); break;
      default: this.waiters.get(m.t)?.resolve();
    }
  }

  private relog(line: string): void {
    let o: Record<string, unknown>;
    try { o = JSON.parse(line) as Record<string, unknown>; } catch { this.log.info({ engine: true }, line); return; }
    const { level, msg, time: _time, ...fields } = o;
    const lvl = typeof level === 'string' && LEVELS.has(level) ? level as 'info' : 'info';
    this.log[lvl]({ ...fields, engine_pid: this.child?.pid }, String(msg ?? ''));
  }

  private startWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    let lastTick = Date.now();
    this.watchdog = setInterval(() => {
      const now = Date.now();
      // If this process was itself stalled, silence proves nothing about the engine.
      if (now - lastTick > 2500) this.lastHeard = now;
      lastTick = now;
      if (this.child && this.engineUp && now - this.lastHeard > WATCHDOG_SILENCE_MS) {
        this.log.error({ engine_pid: this.child.pid }, `VRRP engine silent for ${WATCHDOG_SILENCE_MS / 1000} s: killing it`);
        this.child.kill('SIGKILL');
        this.lastHeard = now;
      }
    }, 1000);
    this.watchdog.unref();
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.engineStatus = undefined;
    this.lastExit = `${new Date().toISOString()} ${signal ? `signal ${signal}` : `exit code ${code}`}`;
    for (const [k, w] of this.waiters) { w.reject(new Error(`VRRP engine exited (${this.lastExit})`)); this.waiters.delete(k); }
    this.publish();
    if (this.stopping || !this.config?.vrrp_instances.length) return;
    const ranMs = Date.now() - (this.startedAt ?? Date.now());
    if (ranMs > STABLE_AFTER_MS) this.restarts = 0;
    // Exit 0 means it was told to stop (a signal to the process group): give lbd's own stop a moment to arrive.
    const delay = code === 0 ? 1000 : RESTART_BACKOFF_MS[Math.min(this.restarts, RESTART_BACKOFF_MS.length - 1)]!;
    this.log.error({ exit: this.lastExit, restart_in_ms: delay }, 'VRRP engine exited: removing its VIPs and restarting it');
    void this.cleanupVips(this.config).finally(() => {
      this.restartTimer = setTimeout(() => {
        if (this.stopping || this.child) return;
        this.restarts++;
        this.spawn().catch((e: Error) => this.log.error({ err: e.message }, 'VRRP engine restart failed'));
      }, delay);
    });
  }

  private async stopEngine(reason: string): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    this.send({ t: 'stop', reason });
    const timer = setTimeout(() => { this.log.error('VRRP engine did not stop in time: killing it'); child.kill('SIGKILL'); }, STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    if (this.watchdog) clearInterval(this.watchdog);
    // A killed engine could not release its VIPs.
    if (this.config) await this.cleanupVips(this.config);
  }

  /** Remove VIPs our instances (or an earlier config's) left on the node. */
  private async cleanupVips(config: Config): Promise<void> {
    const rtnl = new Rtnl();
    try {
      const net = new NetState(rtnl, () => undefined);
      await net.load();
      const vips = new VipManager(rtnl, net, this.ctx.stateDir, (_i, msg) => this.log.error(msg), () => undefined);
      const removed = await vips.removeStale(config.vrrp_instances.map(vipOwnerOf));
      await vips.settle();
      if (removed.length) this.log.warn({ removed }, 'removed VIPs left by the VRRP engine');
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'could not remove stale VIPs');
    } finally {
      rtnl.close();
    }
  }

  private compose(): VrrpStatus {
    const s = this.engineStatus;
    return {
      maintenance: this.maintenance,
      instances: s?.instances ?? [],
      syncGroups: s?.syncGroups ?? [],
      sockets: s?.sockets ?? [],
      externalTrackers: s?.externalTrackers ?? Object.fromEntries(this.external),
      scheduling: s?.scheduling ?? 'not running',
      engine: {
        running: !!this.child, pid: this.child?.pid ?? null, restarts: this.restarts,
        startedAt: this.child && this.startedAt ? new Date(this.startedAt).toISOString() : null, lastExit: this.lastExit,
      },
    };
  }

  private publish(): void {
    this.ctx.status.publish('vrrp', this.compose());
  }
}

