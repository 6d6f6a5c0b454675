/**
 * The LVS subsystem: keeps the kernel's IPVS table equal to the config's virtual servers
 * with the pool's destinations, on every node whatever its VRRP state (a Backup that takes
 * over forwards at once). It touches only services it created (STATE_DIR/lvs-owned.json),
 * applies the smallest change on a reload or a pool change, keeps fwmark marking rules in
 * its own nftables table, sets lvs_timeouts, and publishes the 'lvs' status section.
 */
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { Config, VirtualServer } from '../config/model.js';
import type { ConfigDiff } from '../config/diff.js';
import type { Subsystem, SubsystemContext } from '../lbd/subsystem.js';
import { isDeepStrictEqual } from 'node:util';
import { runCommand } from '../util/command.js';
import {
  IpvsClient, IpvsUnavailableError, Reconciler, describeOperation, destId, parseServiceKey, serviceId,
  type DesiredService, type DestinationInfo, type Operation, type ServiceInfo,
} from '../ipvs/index.js';
import { StaticPool, type PoolSource } from './pool.js';
import { desiredServices, serviceIdsOf } from './desired.js';
import { OwnershipStore } from './ownership.js';
import { MARK_TABLE, markRules, markScript } from './marks.js';
import { applyNftScript } from '../util/nft.js';
import type { LvsServiceStatus, LvsStatus } from './status.js';

export interface LvsOptions {
  /** Who should take traffic; the health subsystem's live pool, else every configured real server. */
  pool?: PoolSource;
  /** How often the kernel's counters are read into the status (ms). */
  pollIntervalMs?: number;
}

/** How often the kernel's counters are read into the status by default. */
export const POLL_INTERVAL_MS = 5000;

export class LvsSubsystem implements Subsystem {
  readonly name = 'lvs';
  private readonly log: Logger;
  private readonly pool: PoolSource;
  private readonly pollIntervalMs: number;
  private readonly owned: OwnershipStore;
  private readonly markFile: string;
  private client?: IpvsClient;
  private reconciler?: Reconciler;
  private config?: Config;
  private queue: Promise<unknown> = Promise.resolve();
  /** Virtual servers to reconcile again: their pool changed, or their last apply failed. */
  private readonly dirty = new Set<string>();
  private timer?: NodeJS.Timeout;
  private appliedMarks?: string;
  /** Error messages already logged at error level (a retry that fails again logs at debug). */
  private readonly reported = new Set<string>();
  private status: LvsStatus;
  private stopped = false;
  private readonly onPoolChange = (vsName: string) => {
    this.dirty.add(vsName);
    void this.serial(() => this.reconcileDirty('pool change', true)).catch((e) => this.failed('pool change', e));
  };

  constructor(private readonly ctx: SubsystemContext, opts: LvsOptions = {}) {
    this.log = ctx.log.child({ subsystem: 'lvs' });
    this.pool = opts.pool ?? new StaticPool();
    this.pollIntervalMs = opts.pollIntervalMs ?? POLL_INTERVAL_MS;
    this.owned = new OwnershipStore(ctx.stateDir);
    this.markFile = join(ctx.stateDir, 'lvs-marks.nft');
    this.status = { available: false, updatedAt: new Date().toISOString(), pollIntervalMs: this.pollIntervalMs, services: [], markRules: { table: MARK_TABLE, rules: 0 } };
  }

  /** Run kernel work one piece at a time (one dump at a time per socket, no interleaved plans). */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const p = this.queue.then(op, op);
    this.queue = p.catch(() => undefined);
    return p;
  }

  async start(config: Config): Promise<void> {
    this.config = config;
    this.owned.load();
    await this.serial(async () => {
      // Without IPVS there is nothing to mark packets for.
      if (!(await this.connect(config))) return;
      await this.applyTimeouts(config);
      await this.reconcile(config.virtual_servers, this.owned.ids(), 'start');
      await this.applyMarks(config, true);
    });
    this.pool.on('change', this.onPoolChange);
    this.schedulePoll(0);
  }

  /** The next status read, `delayMs` after the previous one finished (never piling up). */
  private schedulePoll(delayMs = this.pollIntervalMs): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    // Referenced: a running subsystem keeps lbd's event loop alive until stop().
    this.timer = setTimeout(() => { void this.serial(() => this.poll()).catch((e) => this.failed('status poll', e)).finally(() => this.schedulePoll()); }, delayMs);
  }

  async reload(next: Config, diff: ConfigDiff): Promise<void> {
    const prev = this.config!;
    this.config = next;
    const d = diff.virtual_servers;
    const touched = new Set([...d.added, ...d.removed, ...d.changed]);
    await this.serial(async () => {
      if (!this.client) {
        // IPVS was missing so far: once it is there, everything is programmed, as at start.
        if (!(await this.connect(next))) return;
        await this.applyTimeouts(next);
        await this.reconcile(next.virtual_servers, this.owned.ids(), 'reload (IPVS now available)');
        await this.applyMarks(next, true);
        return;
      }
      if (diff.global && !isDeepStrictEqual(prev.global.lvs_timeouts, next.global.lvs_timeouts)) await this.applyTimeouts(next);
      if (touched.size) {
        const nextVs = next.virtual_servers.filter((v) => touched.has(v.name));
        // Services of the old versions, and any owned by a touched name, may go.
        const deletable = new Set(prev.virtual_servers.filter((v) => touched.has(v.name)).flatMap(serviceIdsOf));
        for (const id of this.owned.ids()) if (touched.has(this.owned.owner(id)!)) deletable.add(id);
        await this.reconcile(nextVs, [...deletable].filter((id) => this.owned.owns(id)), `reload (${[...touched].join(', ')})`);
      }
      await this.applyMarks(next);
    });
    this.reported.clear();
    if (touched.size) this.schedulePoll(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.pool.off('change', this.onPoolChange);
    if (this.timer) clearTimeout(this.timer);
    await this.serial(async () => {
      if (this.reconciler) await this.reconcile([], this.owned.ids(), 'stop');
      if (this.appliedMarks !== undefined && this.appliedMarks !== markScript([])) {
        try { await applyNftScript(markScript([]), this.markFile); this.log.info(`removed nftables table ${MARK_TABLE}`); } catch (e) {
          this.log.error(`could not remove nftables table ${MARK_TABLE}: ${(e as Error).message}`);
        }
      }
      this.client?.close();
      this.client = undefined;
      this.reconciler = undefined;
    });
  }

  /** Open the IPVS client (loading ip_vs once if needed). False when the kernel has no IPVS. */
  private async connect(config: Config): Promise<boolean> {
    if (this.client) return true;
    try {
      this.client = await IpvsClient.open();
    } catch (e) {
      if (!(e instanceof IpvsUnavailableError)) throw e;
      await runCommand('modprobe', { args: ['ip_vs'], timeoutMs: 10_000 });
      try { this.client = await IpvsClient.open(); } catch (e2) {
        if (!(e2 instanceof IpvsUnavailableError)) throw e2;
        const message = e2.message;
        if (this.status.error !== message) {
          // One line, no stack: an environment fact, not a bug. Other subsystems keep running.
          if (config.virtual_servers.length) this.log.error(`${message}; the ${config.virtual_servers.length} virtual server(s) are not programmed`);
          else this.log.info(message);
        }
        this.publish({ ...this.status, available: false, error: message, updatedAt: new Date().toISOString() });
        return false;
      }
    }
    this.reconciler = new Reconciler(this.client);
    const info = await this.client.info();
    this.log.info({ version: info.version, conn_table_size: info.connTableSize }, 'IPVS ready');
    this.publish({ ...this.status, available: true, error: undefined, ipvsVersion: info.version });
    return true;
  }

  private desiredOf(vss: readonly VirtualServer[]): DesiredService[] {
    return vss.flatMap((vs) => desiredServices(vs, this.pool.destinations(vs)));
  }

  /**
   * Make the kernel hold `vss` and delete the `deletableIds` (owned services) nobody wants.
   * Ownership is recorded before creating and dropped after deleting.
   */
  private async reconcile(vss: readonly VirtualServer[], deletableIds: string[], reason: string, useKnown = false): Promise<void> {
    if (!this.reconciler) return;
    const started = performance.now();
    const desired = this.desiredOf(vss);
    const vsOf = new Map(vss.flatMap((vs) => serviceIdsOf(vs).map((id) => [id, vs.name] as const)));
    const wasOwned = new Set([...vsOf.keys()].filter((id) => this.owned.owns(id)));
    this.owned.add(vsOf);
    let result;
    try {
      result = await this.reconciler.reconcile(desired, deletableIds.map(parseServiceKey), { useKnown });
    } catch (e) {
      // The kernel could not be read or the socket failed: try these again at the next poll.
      for (const vs of vss) this.dirty.add(vs.name);
      this.log.error({ reason }, `IPVS not reconciled: ${(e as Error).message}`);
      return;
    }
    const failed = new Set(result.errors.map((e) => e.object.split(' ')[0]!));
    const created = new Set(result.operations.filter((o): o is Extract<Operation, { op: 'add-service' }> => o.op === 'add-service').map((o) => serviceId(o.service.key)));
    const adopted = [...vsOf.keys()].filter((id) => !wasOwned.has(id) && !created.has(id) && !failed.has(id));
    if (adopted.length) {
      this.log.warn({ services: adopted.slice(0, 20), count: adopted.length },
        `adopted ${adopted.length} kernel service(s) that lbd did not create, because the config declares them (${adopted.slice(0, 3).join(', ')}${adopted.length > 3 ? ', ...' : ''})`);
    }
    // Deletable services are gone unless their delete failed (absent ones needed no delete).
    this.owned.remove(deletableIds.filter((id) => !vsOf.has(id) && !failed.has(id)));
    for (const o of result.operations) this.log.debug({ op: o.op }, describeOperation(o));
    for (const e of result.errors) {
      // The object starts with the service id ("tcp:198.18.0.10:80 -> 198.18.0.11:80").
      const vs = vsOf.get(e.object.split(' ')[0]!);
      if (vs) this.dirty.add(vs);
      const level = this.reported.has(e.message) ? 'debug' : 'error';
      this.reported.add(e.message);
      this.log[level]({ errno: e.errno, code: e.code, object: e.object, virtual_server: vs }, e.message);
    }
    const durationMs = Math.round((performance.now() - started) * 100) / 100;
    if (result.operations.length || result.errors.length) {
      const counts: Record<string, number> = {};
      for (const o of result.operations) counts[o.op] = (counts[o.op] ?? 0) + 1;
      this.log.info({ reason, operations: result.operations.length, ...counts, errors: result.errors.length, duration_ms: durationMs }, `IPVS: ${result.applied} of ${result.operations.length} operation(s) applied`);
    }
    this.publish({
      ...this.status,
      lastReconcile: { at: new Date().toISOString(), reason, operations: result.operations.length, errors: result.errors.map((e) => e.message), durationMs },
    });
  }

  /** Reconcile the dirty virtual servers; a pool change trusts the known kernel state (one write, no read). */
  private async reconcileDirty(reason: string, useKnown = false): Promise<void> {
    if (this.stopped || !this.reconciler || !this.dirty.size) return;
    const names = new Set(this.dirty);
    this.dirty.clear();
    // Their services stay as they are (all desired): nothing to delete.
    const vss = this.config!.virtual_servers.filter((v) => names.has(v.name));
    await this.reconcile(vss, [], `${reason} (${[...names].join(', ')})`, useKnown);
  }

  /** Set lvs_timeouts when the kernel's differ (0 or absent: leave that one as it is). */
  private async applyTimeouts(config: Config): Promise<void> {
    const t = config.global.lvs_timeouts;
    if (!t || !this.client) return;
    try {
      const now = await this.client.timeouts();
      const want = { tcp: t.tcp || now.tcp, tcpFin: t.tcpfin || now.tcpFin, udp: t.udp || now.udp };
      if (isDeepStrictEqual(want, now)) return;
      await this.client.setTimeouts(want);
      this.log.info({ tcp: want.tcp, tcpfin: want.tcpFin, udp: want.udp }, 'IPVS timeouts set');
    } catch (e) {
      this.log.error((e as Error).message);
    }
  }

  /** Replace `table inet lbd` when its rules changed (at start: always, to clear a crashed run's table). */
  private async applyMarks(config: Config, atStart = false): Promise<void> {
    const rules = markRules(config.virtual_servers);
    const script = markScript(rules);
    if (!atStart && script === (this.appliedMarks ?? markScript([]))) return;
    try {
      await applyNftScript(script, this.markFile);
      this.appliedMarks = script;
      if (rules.length) this.log.info({ rules: rules.length }, `nftables table ${MARK_TABLE} applied`);
      this.publish({ ...this.status, markRules: { table: MARK_TABLE, rules: rules.length } });
    } catch (e) {
      // Without rules there is nothing to mark: a missing nft binary then does not matter.
      if (!rules.length) return;
      const message = (e as Error).message;
      this.log.error(`fwmark rules not applied: ${message}`);
      this.publish({ ...this.status, markRules: { table: MARK_TABLE, rules: 0, error: message } });
    }
  }

  /** Retry what failed, then read the kernel's state of our services into the status. */
  private async poll(): Promise<void> {
    if (this.stopped || !this.client) return;
    await this.reconcileDirty('retry');
    try {
      const services = new Map((await this.client.services()).map((s) => [serviceId(s.key), s] as const));
      const out: LvsServiceStatus[] = [];
      for (const vs of this.config!.virtual_servers) {
        for (const id of serviceIdsOf(vs)) {
          const s = services.get(id);
          if (!s) {
            this.reconciler?.learn(parseServiceKey(id), null);
            out.push({ virtualServer: vs.name, id, present: false, destinations: [] });
            continue;
          }
          const dests = await this.client.destinations(s.key);
          // What was just read is the known state the next pool change is planned on.
          if (this.owned.owns(id)) this.reconciler?.learn(s.key, { service: s, destinations: dests });
          out.push(this.serviceStatus(vs.name, id, s, dests));
        }
      }
      this.publish({ ...this.status, available: true, updatedAt: new Date().toISOString(), services: out, timeouts: await this.client.timeouts() });
    } catch (e) {
      this.log.warn(`IPVS status not read: ${(e as Error).message}`);
    }
  }

  private serviceStatus(vsName: string, id: string, s: ServiceInfo, dests: DestinationInfo[]): LvsServiceStatus {
    return {
      virtualServer: vsName, id, present: true, scheduler: s.scheduler,
      ...(s.flags & 1 ? { persistence: { timeout: s.timeout, netmask: s.netmask } } : {}),
      stats: s.stats,
      destinations: dests.map((d) => ({
        id: destId(d), address: d.address, port: d.port, forward: d.forward, weight: d.weight,
        upperThreshold: d.upperThreshold, lowerThreshold: d.lowerThreshold,
        activeConns: d.activeConns, inactiveConns: d.inactiveConns, persistentConns: d.persistentConns, stats: d.stats,
      })),
    };
  }

  /** Work started from a timer or an event has no caller to throw to. */
  private failed(what: string, e: unknown): void {
    this.log.error(`${what} failed: ${(e as Error).message}`);
  }

  private publish(s: LvsStatus): void {
    this.status = s;
    this.ctx.status.publish('lvs', s);
  }
}
