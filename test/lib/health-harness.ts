/**
 * Test side of health-child.ts: starts the health subsystem in a lab namespace,
 * drives it (start, reload, operator operations) and records what it announces
 * through its PoolSource (every 'change' with its time) and logs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { Lab } from './netns.js';
import type { HealthStatus } from '../../src/health/status.js';

export interface PoolChange { vs: string; t: number; dests: string[] }

export class HealthHarness {
  readonly changes: PoolChange[] = [];
  readonly logs: Record<string, unknown>[] = [];
  /** Current destinations per virtual server, as "ADDRESS:PORT=WEIGHT". */
  readonly dests = new Map<string, string[]>();
  readonly stateDir: string;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly proc: ChildProcess;
  private readonly ready: Promise<void>;

  constructor(lab: Lab, ns: string, stateDir?: string) {
    this.stateDir = stateDir ?? mkdtempSync(join(tmpdir(), 'lbd-health-'));
    const child = join(dirname(fileURLToPath(import.meta.url)), 'health-child.js');
    this.proc = lab.spawn(ns, process.execPath, [child, this.stateDir], { stdio: ['pipe', 'pipe', 'pipe'] });
    let markReady!: () => void;
    this.ready = new Promise((r) => { markReady = r; });
    this.proc.stderr!.on('data', (d: Buffer) => process.stderr.write(`[health-child] ${d}`));
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      let m: Record<string, unknown>;
      try { m = JSON.parse(line) as Record<string, unknown>; } catch { return; }
      if (m.ev === 'ready') markReady();
      else if (m.ev === 'change') {
        const c = m as unknown as PoolChange;
        this.changes.push(c);
        this.dests.set(c.vs, c.dests);
      } else if (m.ev === 'reply') {
        const p = this.pending.get(m.id as number);
        this.pending.delete(m.id as number);
        if (m.error) p?.reject(new Error(String(m.error))); else p?.resolve(m.result);
      } else this.logs.push(m);
    });
  }

  /** Resolves once the child runs (node started, modules loaded): time measurements start after this. */
  whenReady(): Promise<void> { return this.ready; }

  async request<T>(cmd: string, extra: Record<string, unknown> = {}): Promise<T> {
    await this.ready;
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.stdin!.write(JSON.stringify({ id, cmd, ...extra }) + '\n');
    });
  }

  /** Start with `config`; returns the destinations of every virtual server right after start. */
  async start(config: unknown): Promise<Record<string, string[]>> {
    const all = await this.request<Record<string, string[]>>('start', { config });
    this.setAll(all);
    return all;
  }
  async reload(config: unknown): Promise<void> { this.setAll(await this.request('reload', { config })); }
  op<T = unknown>(op: string, ...args: unknown[]): Promise<T> { return this.request<T>('op', { op, args }); }
  status(): Promise<HealthStatus> { return this.request('status'); }
  /** Stop the subsystem (and the child), then remove its state directory. */
  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      await Promise.race([this.request('stop').catch(() => undefined).then(() => exited), new Promise((r) => setTimeout(r, 5000))]);
    }
    rmSync(this.stateDir, { recursive: true, force: true });
  }

  private setAll(all: unknown): void {
    for (const [vs, d] of Object.entries(all as Record<string, string[]>)) this.dests.set(vs, d);
  }

  /**
   * Wait until the announced destinations of `vs` equal `want`, by a change announced at or after `since`;
   * returns the time of that change (epoch ms).
   */
  async waitDests(vs: string, want: string[], timeoutMs: number, since = 0): Promise<number> {
    const key = want.join(',');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.changes.findLast((c) => c.vs === vs && c.t >= since && c.dests.join(',') === key);
      if (hit && this.dests.get(vs)?.join(',') === key) return hit.t;
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${vs} = [${key}]; it is [${this.dests.get(vs)?.join(',')}]; ` +
          `recent logs: ${this.logs.slice(-8).map((l) => l.msg).join(' | ')}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Changes announced for `vs` after `since`. */
  changesOf(vs: string, since = 0): PoolChange[] { return this.changes.filter((c) => c.vs === vs && c.t >= since); }

  /** The message of the first log line matching `re`. */
  logged(re: RegExp): string | undefined {
    return this.logs.map((l) => String(l.msg)).find((m) => re.test(m));
  }
}
