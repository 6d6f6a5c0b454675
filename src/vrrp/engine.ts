/**
 * The VRRP engine: every configured instance, their sync groups, tracking
 * scripts, sockets, VIPs and notifications, driven by config and by rtnetlink
 * events. It runs in its own process (engine-main.ts), so nothing the rest of
 * lbd does can delay an advert.
 *
 * Reload touches only what changed: an unchanged instance keeps its state,
 * timers and VIPs; a changed one is updated in place (one transition at most,
 * when the change itself calls for it); one whose identity changed (interface,
 * VRID, family, version) is stopped cleanly and started anew.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from '../log/logger.js';
import type { Config, SyncGroup, VrrpInstance as InstanceModel } from '../config/model.js';
import { Rtnl } from '../net/rtnl.js';
import { systemClock, type Clock } from './clock.js';
import type { Transition } from './instance.js';
import { NetState } from './netstate.js';
import { Notifier, SmtpAlerter, type NotifyState } from './notify.js';
import { identityOf, InstanceRuntime, vipOwnerOf, type RuntimeContext } from './runtime.js';
import type { VrrpEngineStatus } from './status.js';
import { SyncGroupCoordinator, type GroupState } from './sync-group.js';
import { ScriptRunner, type TrackedItem } from './trackers.js';
import { Transport } from './transport.js';
import { VipManager } from './vips.js';

export interface EngineOptions {
  log: Logger;
  stateDir: string;
  clock?: Clock;
  /** How the process is scheduled, reported in the status. */
  scheduling: string;
  onStatus(s: VrrpEngineStatus): void;
}

/** How often the engine republishes its status (counters, jitter) without a state change. */
export const STATUS_INTERVAL_MS = 1000;
const NOTIFY_DRAIN_AT_STOP_MS = 5000;

export class VrrpEngine {
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly rtnl = new Rtnl();
  private readonly net: NetState;
  private readonly transport = new Transport();
  private readonly vips: VipManager;
  private notifier?: Notifier;
  private config?: Config;
  private runtimes = new Map<string, InstanceRuntime>();
  private scripts = new Map<string, ScriptRunner>();
  private groups = new Map<string, SyncGroupCoordinator>();
  private external = new Map<string, boolean>();
  private maintenance = false;
  private statusTimer?: NodeJS.Timeout;
  private statusQueued = false;
  private readonly ctx: RuntimeContext;

  constructor(private readonly opts: EngineOptions) {
    this.log = opts.log;
    this.clock = opts.clock ?? systemClock;
    this.rtnl.on('error', (e) => this.log.error({ err: e.message }, 'rtnetlink error'));
    this.net = new NetState(this.rtnl, (e) => this.log.error({ err: e.message }, 'rtnetlink resync failed'));
    this.vips = new VipManager(this.rtnl, this.net, opts.stateDir,
      (instance, msg) => this.log.error({ instance }, `VIP operation failed: ${msg}`), () => this.queueStatus());
    this.ctx = {
      clock: this.clock, net: this.net, transport: this.transport, vips: this.vips,
      trackerState: (t) => this.trackerState(t),
      transitioned: (rt, t) => this.onTransition(rt, t),
    };
    this.net.on('change', (what, ifname) => this.onNetChange(what, ifname));
  }

  // ------------------------------------------------------------ lifecycle

  async start(config: Config, maintenance: boolean, external: Record<string, boolean>): Promise<void> {
    this.config = config;
    this.maintenance = maintenance;
    this.external = new Map(Object.entries(external));
    this.notifier = new Notifier(this.log, new SmtpAlerter(config.global, this.log));
    await this.net.load();
    const removed = await this.vips.removeStale(config.vrrp_instances.map((m) => vipOwnerOf(m)));
    if (removed.length) this.log.warn({ removed }, 'removed VIPs left behind by an earlier run');
    this.syncScripts(config, new Map());
    for (const m of config.vrrp_instances) this.runtimes.set(m.name, this.createRuntime(m));
    this.rebuildGroups(config.vrrp_sync_groups);
    for (const rt of this.runtimes.values()) rt.start();
    this.statusTimer = setInterval(() => this.publish(), STATUS_INTERVAL_MS);
    this.publish();
  }

  async reload(next: Config): Promise<void> {
    const prev = this.config!;
    this.config = next;
    if (!isDeepStrictEqual(prev.global, next.global)) this.notifier!.setSmtp(new SmtpAlerter(next.global, this.log));
    this.syncScripts(next, new Map(prev.vrrp_scripts.map((s) => [s.name, s])));

    const before = new Map(prev.vrrp_instances.map((m) => [m.name, m]));
    const after = new Map(next.vrrp_instances.map((m) => [m.name, m]));
    const started: InstanceRuntime[] = [];
    for (const [name, rt] of this.runtimes) {
      if (!after.has(name)) { rt.stop('removed from the config'); this.runtimes.delete(name); }
    }
    for (const [name, m] of after) {
      const old = before.get(name);
      const rt = this.runtimes.get(name);
      if (!old || !rt) { const n = this.createRuntime(m); this.runtimes.set(name, n); started.push(n); continue; }
      if (isDeepStrictEqual(old, m)) continue;
      if (identityOf(old) !== identityOf(m)) {
        rt.stop(`reconfigured as a different virtual router (${identityOf(m)})`);
        const n = this.createRuntime(m);
        this.runtimes.set(name, n);
        started.push(n);
      } else {
        this.log.info({ instance: name }, 'applying changed configuration in place');
        rt.update(m);
      }
    }
    this.rebuildGroups(next.vrrp_sync_groups);
    for (const rt of started) rt.start();
    this.publish();
  }

  async stop(reason = 'lbd stopping'): Promise<void> {
    if (this.statusTimer) clearInterval(this.statusTimer);
    for (const rt of this.runtimes.values()) rt.stop(reason);
    for (const s of this.scripts.values()) s.stop();
    await this.vips.settle();
    await Promise.race([this.notifier?.drain(), new Promise((r) => setTimeout(r, NOTIFY_DRAIN_AT_STOP_MS).unref())]);
    this.publish();
    this.notifier?.close();
    this.transport.close();
    this.rtnl.close();
  }

  // ------------------------------------------------------------ operations

  setMaintenance(on: boolean): void {
    if (this.maintenance === on) return;
    this.maintenance = on;
    this.log.warn(on ? 'maintenance on: leaving MASTER, staying BACKUP' : 'maintenance off');
    for (const rt of this.runtimes.values()) rt.inst.setMaintenance(on);
    this.queueStatus();
  }

  /** A verdict from another subsystem; `proxy:<frontend>` for track_proxy. */
  setExternalTracker(name: string, ok: boolean): void {
    if (this.external.get(name) === ok) return;
    this.external.set(name, ok);
    this.log.info({ tracker: name, ok }, `tracker ${name} ${ok ? 'OK' : 'failed'}`);
    for (const rt of this.runtimes.values()) if (rt.trackers.some((t) => t.key === name)) rt.evaluate();
    this.queueStatus();
  }

  // ------------------------------------------------------------ internals

  private createRuntime(m: InstanceModel): InstanceRuntime {
    const rt = new InstanceRuntime(m, this.ctx);
    rt.inst.setMaintenance(this.maintenance);
    return rt;
  }

  private trackerState(t: TrackedItem): boolean | null {
    if (t.kind === 'script') return this.scripts.get(t.key.slice('script:'.length))?.counter.state ?? null;
    return this.external.get(t.key) ?? true;
  }

  /** One runner per tracked script; a changed definition keeps the verdict its predecessor reached. */
  private syncScripts(config: Config, prev: Map<string, Config['vrrp_scripts'][number]>): void {
    const used = new Set(config.vrrp_instances.flatMap((m) => m.track_script.map((t) => t.script)));
    for (const [name, r] of this.scripts) {
      const def = config.vrrp_scripts.find((s) => s.name === name);
      if (used.has(name) && def && isDeepStrictEqual(prev.get(name), def)) continue;
      r.stop();
      this.scripts.delete(name);
      if (used.has(name) && def) this.startScript(def, r.counter.state);
    }
    for (const def of config.vrrp_scripts) if (used.has(def.name) && !this.scripts.has(def.name)) this.startScript(def);
  }

  private startScript(def: Config['vrrp_scripts'][number], initial?: boolean | null): void {
    const r = new ScriptRunner(def, initial);
    r.on('change', (ok, last) => {
      this.log.info({ script: def.name, code: last.code, timedOut: last.timedOut, stderr: last.stderr.slice(0, 200) || undefined },
        `VRRP_Script(${def.name}) ${ok ? 'succeeded' : last.timedOut ? 'timed out' : 'failed'}`);
      for (const rt of this.runtimes.values()) if (rt.trackers.some((t) => t.key === `script:${def.name}`)) rt.evaluate();
      this.queueStatus();
    });
    this.scripts.set(def.name, r);
    r.start();
  }

  private rebuildGroups(defs: SyncGroup[]): void {
    const old = this.groups;
    for (const g of old.values()) g.detach();
    this.groups = new Map();
    for (const def of defs) {
      const members = def.group.map((n) => this.runtimes.get(n)?.inst).filter((i) => i !== undefined);
      const g = new SyncGroupCoordinator(def.name, members, (state, reason) => this.onGroupState(def, state, reason));
      g.state = old.get(def.name)?.state ?? 'INIT';
      this.groups.set(def.name, g);
      if (members[0]) g.faultChanged(members[0]);
    }
    for (const rt of this.runtimes.values()) if (!rt.model.sync_group) rt.inst.setGroupFault(null);
  }

  private onNetChange(what: 'link' | 'addr', ifname: string): void {
    for (const rt of this.runtimes.values()) {
      if (rt.model.interface === ifname) {
        const link = this.net.link(ifname);
        const rx = this.transport.receiverIfindex(ifname, rt.model.family);
        if (!link || (rx !== undefined && rx !== link.index)) {
          for (const r of this.runtimes.values()) if (r.model.interface === ifname) r.disconnect();
          this.transport.dropInterface(ifname);
        }
        rt.connect();
      }
      if (what === 'link' && rt.trackers.some((t) => t.key === `interface:${ifname}`)) rt.evaluate();
    }
    this.queueStatus();
  }

  private onTransition(rt: InstanceRuntime, t: Transition): void {
    const priority = rt.inst.effectivePriority;
    this.log.info({ instance: rt.name, from: t.from, to: t.to, reason: t.reason, priority, at: t.at },
      `(${rt.name}) ${t.from} -> ${t.to}: ${t.reason}`);
    if (t.to !== 'INIT') this.notifier?.notify('INSTANCE', rt.name, rt.model, t.to as NotifyState, priority, t.reason);
    if (rt.model.sync_group) this.groups.get(rt.model.sync_group)?.memberChanged(`${rt.name}: ${t.reason}`);
    this.queueStatus();
  }

  private onGroupState(def: SyncGroup, state: GroupState, reason: string): void {
    this.log.info({ sync_group: def.name, state, reason }, `sync group ${def.name} is ${state}`);
    if (state !== 'INIT') this.notifier?.notify('GROUP', def.name, def, state, 0, reason);
  }

  private queueStatus(): void {
    if (this.statusQueued) return;
    this.statusQueued = true;
    setImmediate(() => { this.statusQueued = false; this.publish(); });
  }

  status(): VrrpEngineStatus {
    return {
      maintenance: this.maintenance,
      instances: [...this.runtimes.values()].map((rt) => rt.status()),
      syncGroups: [...this.groups.values()].map((g) => ({ name: g.name, state: g.state, members: g.members.map((m) => m.name) })),
      sockets: this.transport.socketDrops(),
      externalTrackers: Object.fromEntries(this.external),
      scheduling: this.opts.scheduling,
    };
  }

  private publish(): void {
    this.opts.onStatus(this.status());
  }
}
