/**
 * One proxy engine under lbd: its master process (started, restarted with
 * backoff when it dies, stopped gracefully) and the way a new config reaches
 * it — new listening addresses free? → check with the binary → atomic swap →
 * graceful reload → wait until the new generation serves. Any failure puts the
 * previous file back, leaves the previous processes serving, and reports the
 * binary's own words.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Logger } from '../log/logger.js';
import type { L7Engine } from '../config/model.js';
import { atomicWriteFileSync } from '../util/atomic-write.js';
import type { ProxyDriver } from './drivers.js';
import { unbindable } from './preflight.js';
import type { RenderedConfig } from './render.js';

export type ProcessState = 'stopped' | 'starting' | 'running' | 'backoff';

export interface ApplyResult {
  engine: L7Engine;
  ok: boolean;
  /** False when the engine already ran this exact config. */
  changed: boolean;
  generation?: string;
  durationMs: number;
  /** The binary's error message (or what went wrong) when !ok. */
  error?: string;
  at: string;
}

export interface SupervisorOptions {
  /** How long a (re)started or reloaded proxy has to serve the new generation. */
  verifyTimeoutMs?: number;
  /** Restart delays double from the first to the last; a process that ran a minute starts over. */
  backoffMs?: { first: number; max: number };
  stopTimeoutMs?: number;
}

export interface SupervisorEvents { state: [state: ProcessState] }

interface OutputLine { seq: number; text: string }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ProxySupervisor extends EventEmitter<SupervisorEvents> {
  state: ProcessState = 'stopped';
  restarts = 0;
  since?: Date;
  lastApply?: ApplyResult;
  /** The config file on disk: the last one that passed. */
  private current?: RenderedConfig;
  private child?: ChildProcess;
  private output: OutputLine[] = [];
  private seq = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private restartTimer?: NodeJS.Timeout;
  private failures = 0;
  private stopping = false;
  /** Stopped for good (lbd stops): no more restarts. */
  private closed = false;
  private readonly verifyTimeoutMs: number;
  private readonly backoff: { first: number; max: number };
  private readonly stopTimeoutMs: number;

  constructor(readonly driver: ProxyDriver, private readonly log: Logger, opts: SupervisorOptions = {}) {
    super();
    this.verifyTimeoutMs = opts.verifyTimeoutMs ?? 10_000;
    this.backoff = opts.backoffMs ?? { first: 500, max: 30_000 };
    this.stopTimeoutMs = opts.stopTimeoutMs ?? 10_000;
  }

  get engine(): L7Engine { return this.driver.engine; }
  get generation(): string | undefined { return this.current?.generation; }
  get pid(): number | undefined { return this.state === 'running' || this.state === 'starting' ? this.child?.pid : undefined; }

  /** True while the master process exists (the "killall -0" half of a proxy health check). */
  alive(): boolean {
    const pid = this.child?.pid;
    if (!pid || this.child!.exitCode !== null || this.child!.signalCode !== null) return false;
    try { process.kill(pid, 0); return true; } catch { return false; }
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const p = this.queue.then(op, op);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private setState(s: ProcessState): void {
    if (this.state === s) return;
    this.state = s;
    if (s === 'running') this.since = new Date();
    this.emit('state', s);
  }

  /** Bring the engine to `next` (undefined: no frontend uses it, so stop it). */
  apply(next: RenderedConfig | undefined): Promise<ApplyResult> {
    return this.serial(async () => {
      const started = performance.now();
      const done = (r: Omit<ApplyResult, 'engine' | 'durationMs' | 'at'>): ApplyResult => {
        const result = { engine: this.engine, ...r, durationMs: Math.round(performance.now() - started), at: new Date().toISOString() };
        if (r.changed) this.lastApply = result;
        return result;
      };
      if (!next) {
        const changed = this.state !== 'stopped' || existsSync(this.driver.paths.config);
        await this.halt();
        rmSync(this.driver.paths.config, { force: true });
        this.current = undefined;
        return done({ ok: true, changed });
      }
      if (next.generation === this.generation && this.state === 'running') return done({ ok: true, changed: false, generation: next.generation });

      if (!this.alive()) await this.killStale(); // its listeners would look busy
      const busy = await unbindable(next.listeners.filter((l) => !this.current?.listeners.includes(l)));
      if (busy) return done({ ok: false, changed: true, generation: next.generation, error: busy });

      mkdirSync(this.driver.paths.dir, { recursive: true, mode: 0o700 });
      // Only checked, never run: no need to make it durable.
      const candidate = `${this.driver.paths.config}.candidate`;
      writeFileSync(candidate, next.text, { mode: 0o600 });
      const invalid = await this.driver.check(candidate);
      rmSync(candidate, { force: true });
      if (invalid) return done({ ok: false, changed: true, generation: next.generation, error: invalid });

      const previous = existsSync(this.driver.paths.config) ? readFileSync(this.driver.paths.config, 'utf8') : undefined;
      const before = this.current;
      atomicWriteFileSync(this.driver.paths.config, next.text, 0o600);
      this.current = next;
      const wasServing = this.alive();
      const error = wasServing ? await this.reloadRunning(next) : await this.startFresh(next);
      if (!error) return done({ ok: true, changed: true, generation: next.generation });

      if (wasServing) {
        // The previous processes still serve: put back the file they were started from.
        if (previous !== undefined) atomicWriteFileSync(this.driver.paths.config, previous, 0o600);
        this.current = before;
      } else {
        // Nothing served before, so there is nothing to protect: keep trying this config.
        this.scheduleRestart();
      }
      return done({ ok: false, changed: true, generation: next.generation, error });
    });
  }

  private async reloadRunning(next: RenderedConfig): Promise<string | null> {
    const mark = this.seq;
    try { await this.driver.beforeReload(next); } catch (e) {
      this.log.warn({ proxy: this.engine, err: (e as Error).message }, 'could not save server states before the reload');
    }
    try { process.kill(this.child!.pid!, this.driver.reloadSignal); } catch (e) { return `cannot signal the ${this.engine} master: ${(e as Error).message}`; }
    return this.verify(next.generation, mark);
  }

  private async startFresh(config: RenderedConfig): Promise<string | null> {
    this.clearRestart();
    const mark = this.seq;
    await this.spawnMaster(config);
    const error = await this.verify(config.generation, mark);
    if (error && this.alive()) await this.halt();
    return error;
  }

  /** Wait until `generation` serves; the error text when the process dies, reports failure, or the time runs out. */
  private async verify(generation: string, mark: number): Promise<string | null> {
    const deadline = Date.now() + this.verifyTimeoutMs;
    const linesSince = () => this.output.filter((l) => l.seq > mark).map((l) => l.text);
    const errors = () => {
      const lines = linesSince();
      const bad = lines.filter((l) => this.driver.levelOf(l) === 'error');
      return (bad.length ? bad : lines.slice(-5)).join('\n');
    };
    for (;;) {
      if (await this.driver.servingGeneration() === generation) {
        this.failures = 0;
        this.setState('running');
        return null;
      }
      if (!this.alive()) return `${this.engine} exited: ${errors() || 'no message'}`;
      if (linesSince().some((l) => this.driver.reloadFailed.test(l))) {
        await sleep(100); // let the rest of the message arrive
        return errors();
      }
      if (Date.now() > deadline) return `${this.engine} did not serve the new config within ${this.verifyTimeoutMs} ms${errors() ? `: ${errors()}` : ''}`;
      await sleep(5);
    }
  }

  private async spawnMaster(config: RenderedConfig): Promise<void> {
    await this.killStale();
    this.driver.prepare(config);
    const [file, ...args] = this.driver.command();
    this.setState('starting');
    // Own process group: stopping kills the master and every worker, old or new.
    const child = spawn(file!, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    const onLine = (text: string) => {
      this.output.push({ seq: ++this.seq, text });
      if (this.output.length > 500) this.output.splice(0, this.output.length - 500);
      const level = this.driver.levelOf(text);
      this.log[level]({ proxy: this.engine, proxyPid: child.pid }, text);
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.on('error', (e) => onLine(`[lbd] cannot run ${file}: ${e.message}`));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child || this.stopping) return;
    this.log.error({ proxy: this.engine, proxyPid: child.pid, code, signal }, `${this.engine} exited`);
    // Nginx workers outlive a killed master and keep its ports: the group goes with it.
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.closed || this.restartTimer) return;
    const ranMs = this.since && this.state === 'running' ? Date.now() - this.since.getTime() : 0;
    if (ranMs > 60_000) this.failures = 0;
    const delay = Math.min(this.backoff.max, this.backoff.first * 2 ** this.failures++);
    this.log.warn({ proxy: this.engine, restartInMs: delay }, `${this.engine} restarts in ${delay} ms`);
    this.setState('backoff');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.serial(() => this.restart());
    }, delay);
  }

  private async restart(): Promise<void> {
    if (this.closed || this.state !== 'backoff' || !this.current) return;
    this.restarts++;
    const error = await this.startFresh(this.current);
    if (error) {
      this.log.error({ proxy: this.engine, error }, `${this.engine} restart failed`);
      this.scheduleRestart();
    }
  }

  private clearRestart(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  /** A master left by an lbd that died without stopping it: same config path, so it must go first. */
  private async killStale(): Promise<void> {
    let pid: number;
    try { pid = Number(readFileSync(this.driver.paths.pid, 'utf8').trim()); } catch { return; }
    if (!Number.isInteger(pid) || pid <= 1 || pid === this.child?.pid) return;
    const cmdline = () => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'); } catch { return []; } };
    if (!cmdline().includes(this.driver.paths.config)) return;
    this.log.warn({ proxy: this.engine, proxyPid: pid }, `killing a leftover ${this.engine} master that runs our config`);
    try { process.kill(-pid, 'SIGKILL'); } catch { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    // Its listening sockets close only once it is gone.
    for (let i = 0; i < 100 && cmdline().includes(this.driver.paths.config); i++) await sleep(20);
  }

  /** Stop the processes: graceful signal, then SIGKILL to the whole group after the timeout. */
  private async halt(): Promise<void> {
    this.clearRestart();
    const child = this.child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) { this.setState('stopped'); return; }
    this.stopping = true;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try { process.kill(child.pid, this.driver.gracefulStopSignal); } catch { /* gone */ }
    const timedOut = await Promise.race([exited.then(() => false), sleep(this.stopTimeoutMs).then(() => true)]);
    // Old workers may outlive the master; the group goes in every case.
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    if (timedOut) await exited;
    this.stopping = false;
    this.setState('stopped');
  }

  stop(): Promise<void> {
    this.closed = true;
    this.clearRestart();
    return this.serial(() => this.halt());
  }
}
