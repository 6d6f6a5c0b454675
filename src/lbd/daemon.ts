/**
 * lbd's wiring: the config store, the status hub and the subsystems. Config
 * flows one way (store → validated model → each subsystem's reload with the
 * diff); observations flow back through the status hub. Operations run one at
 * a time so a reload never interleaves with a stop.
 */
import { mkdirSync } from 'node:fs';
import type { Logger, LogRing } from '../log/logger.js';
import { ConfigStore } from '../config/store.js';
import { ConfigError, errorsOf, formatDiagnostic, warningsOf } from '../config/diagnostics.js';
import type { Config } from '../config/model.js';
import { diffConfig, summarizeDiff } from '../config/diff.js';
import { StatusHub } from '../status/hub.js';
import type { Subsystem, SubsystemContext } from './subsystem.js';

export interface DaemonOptions {
  configFile: string;
  stateDir: string;
  log: Logger;
  ring?: LogRing;
  /** Command-line overrides for the admin subsystem (`lbd --admin-listen`, `--admin-socket`). */
  admin?: { listen?: string; socket?: string };
  /** Where the appliance firewall includes lbd's set elements from (`lbd --firewall-dir`). */
  firewallDir?: string;
  /** Builds the subsystems; each receives the shared context. */
  subsystems?: (ctx: SubsystemContext, daemon: Daemon) => Subsystem[];
}

export class Daemon {
  readonly store: ConfigStore;
  readonly status = new StatusHub();
  readonly log: Logger;
  private config?: Config;
  private subsystems: Subsystem[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(readonly opts: DaemonOptions) {
    this.log = opts.log;
    mkdirSync(opts.stateDir, { recursive: true, mode: 0o700 });
    this.store = new ConfigStore(opts.configFile, opts.stateDir);
  }

  get running(): Config | undefined { return this.config; }

  /** A running subsystem by name, for operations (maintenance, drain...) from the API and console. */
  get<T extends Subsystem>(name: string): T | undefined {
    return this.subsystems.find((s) => s.name === name) as T | undefined;
  }

  /** Names of the running subsystems, in start order. */
  subsystemNames(): string[] { return this.subsystems.map((s) => s.name); }

  /** Run operations one at a time, in order. */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const p = this.queue.then(op, op);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private loadValid(): Config {
    const r = this.store.load();
    for (const d of warningsOf(r.diagnostics)) this.log.warn({ file: d.file, line: d.line }, formatDiagnostic(d, this.opts.configFile));
    if (errorsOf(r.diagnostics).length || !r.config) {
      for (const d of errorsOf(r.diagnostics)) this.log.error({ file: d.file, line: d.line }, formatDiagnostic(d, this.opts.configFile));
      throw new ConfigError(r.diagnostics, this.opts.configFile);
    }
    return r.config;
  }

  start(): Promise<void> {
    return this.serial(async () => {
      const config = this.loadValid();
      const rev = this.store.adoptCurrent();
      this.log.info({
        file: this.opts.configFile, revision: rev?.id, router_id: config.global.router_id,
        vrrp_instances: config.vrrp_instances.map((i) => i.name), virtual_servers: config.virtual_servers.map((v) => v.name),
        l7_frontends: config.l7.frontends.map((f) => f.name),
      }, 'config loaded');
      const ctx: SubsystemContext = { log: this.log, status: this.status, stateDir: this.opts.stateDir };
      this.subsystems = this.opts.subsystems?.(ctx, this) ?? [];
      for (const s of this.subsystems) {
        await s.start(config);
        this.log.info({ subsystem: s.name }, 'subsystem started');
      }
      this.config = config;
    });
  }

  /** Re-read the config file (SIGHUP). An invalid file is logged and changes nothing. */
  reload(reason = 'SIGHUP'): Promise<boolean> {
    return this.serial(async () => {
      if (this.stopped || !this.config) return false;
      let next: Config;
      try { next = this.loadValid(); } catch (e) {
        this.log.error({ reason }, `reload refused, the running config stays: ${(e as Error).message.split('\n')[0]}`);
        return false;
      }
      this.store.adoptCurrent();
      await this.applyConfig(next, reason);
      return true;
    });
  }

  /** Validate, store and apply new config text (API, console). Throws ConfigError with nothing changed. */
  applyText(text: string, meta: { user: string; reason: string }): Promise<{ revision: number; changes: string }> {
    return this.serial(async () => {
      const { revision, result } = this.store.commit(text, meta);
      const changes = await this.applyConfig(result.config!, `revision ${revision.id} by ${meta.user}`);
      return { revision: revision.id, changes };
    });
  }

  /** Restore a revision from the history and apply it. */
  rollback(id: number, meta: { user: string; reason: string }): Promise<{ revision: number; changes: string }> {
    return this.serial(async () => {
      const { revision, result } = this.store.rollback(id, meta);
      const changes = await this.applyConfig(result.config!, `rollback to revision ${id} by ${meta.user}`);
      return { revision: revision.id, changes };
    });
  }

  private async applyConfig(next: Config, reason: string): Promise<string> {
    const diff = diffConfig(this.config!, next);
    const summary = summarizeDiff(diff);
    this.log.info({ reason, changes: summary || 'none' }, 'applying config');
    for (const s of this.subsystems) await s.reload(next, diff);
    this.config = next;
    return summary;
  }

  stop(): Promise<void> {
    return this.serial(async () => {
      if (this.stopped) return;
      this.stopped = true;
      for (const s of [...this.subsystems].reverse()) {
        try { await s.stop(); this.log.info({ subsystem: s.name }, 'subsystem stopped'); } catch (e) {
          this.log.error({ subsystem: s.name, err: e }, 'subsystem failed to stop cleanly');
        }
      }
    });
  }
}
