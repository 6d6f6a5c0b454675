/**
 * Tracking: what moves an instance's priority or puts it in FAULT.
 *
 * Three kinds, one weight rule (keepalived's): weight 0 → failure means FAULT;
 * weight < 0 → the priority drops by |weight| while failing; weight > 0 → the
 * priority rises by weight while OK. The effective priority is clamped to
 * 1..254; an address owner (255) is never changed by weights.
 *   - interfaces: link up/down from rtnetlink events;
 *   - scripts: run on their interval with timeout, fall/rise counting exactly as
 *     keepalived's vrrp_script (a script with no result yet counts for nothing,
 *     and holds a weight-0 tracker in FAULT until it has one);
 *   - external: verdicts pushed by other subsystems (`proxy:<frontend>`).
 */
import { EventEmitter } from 'node:events';
import type { VrrpScript } from '../config/model.js';
import { runCommand, type RunResult } from '../util/command.js';

export type TrackerKind = 'interface' | 'script' | 'external';

/** keepalived's vrrp_script result counter: `fall` failures to go down, `rise` successes to come up. */
export class RiseFall {
  /** 0..rise+fall-1; OK when ≥ rise. */
  private result: number;
  /** Null until the first run completes (unless init_fail). */
  state: boolean | null;

  /**
   * `initial` null: no verdict yet (like keepalived, one success is then enough to
   * come up and one failure to go down); false: init_fail; a reload passes the
   * verdict the previous definition of the script had reached.
   */
  constructor(private readonly rise: number, private readonly fall: number, initial: boolean | null) {
    this.result = initial === null ? rise - 1 : initial ? rise + fall - 1 : 0;
    this.state = initial;
  }

  /** Record one run; returns true when the OK/failed verdict changed. */
  record(success: boolean): boolean {
    const before = this.state;
    const max = this.rise + this.fall - 1;
    if (success) {
      if (this.result < this.rise - 1) this.result++;
      else if (this.result !== max) { if (this.result < this.rise) this.state = true; this.result = max; }
    } else {
      if (this.result > this.rise) this.result--;
      else {
        if (this.result === this.rise || this.state === null) this.state = false;
        this.result = 0;
      }
    }
    return before !== this.state;
  }
}

export interface ScriptRunnerEvents { change: [ok: boolean, last: RunResult] }

/** Runs one vrrp_script on its interval; never overlaps runs (a run still going skips the next tick). */
export class ScriptRunner extends EventEmitter<ScriptRunnerEvents> {
  readonly counter: RiseFall;
  last?: RunResult;
  private timer?: NodeJS.Timeout;
  private running = false;
  private stopped = false;

  constructor(readonly script: VrrpScript, initial: boolean | null = script.init_fail ? false : null) {
    super();
    this.counter = new RiseFall(script.rise, script.fall, initial);
  }

  start(): void {
    this.stopped = false;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.script.interval * 1000);
  }

  private tick(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    void runCommand(this.script.script, { timeoutMs: this.script.timeout * 1000, user: this.script.user }).then((r) => {
      this.running = false;
      if (this.stopped) return;
      this.last = r;
      const ok = r.code === 0 && !r.timedOut;
      if (this.counter.record(ok)) this.emit('change', this.counter.state === true, r);
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }
}

export interface TrackedItem {
  /** `interface:eth0`, `script:chk_haproxy`, `proxy:web`. */
  key: string;
  kind: TrackerKind;
  weight: number;
  /** null: no verdict yet. */
  ok: boolean | null;
}

export interface TrackingResult {
  priority: number;
  /** key → reason, for trackers that put the instance in FAULT. */
  faults: Map<string, string>;
}

const describe = (t: TrackedItem) => t.kind === 'interface' ? `interface ${t.key.slice(10)} down`
  : t.kind === 'script' ? `script ${t.key.slice(7)} failed` : `tracker ${t.key} failed`;

/** The effective priority and fault set of one instance from its tracked items. */
export function evaluate(base: number, items: TrackedItem[]): TrackingResult {
  const faults = new Map<string, string>();
  let total = base;
  for (const t of items) {
    if (t.weight === 0) {
      if (t.ok === false) faults.set(t.key, describe(t));
      else if (t.ok === null && t.kind === 'script') faults.set(t.key, `waiting for the first result of script ${t.key.slice(7)}`);
    } else if (t.ok === true && t.weight > 0) total += t.weight;
    else if (t.ok === false && t.weight < 0) total += t.weight;
  }
  const priority = base === 255 ? 255 : Math.min(254, Math.max(1, total));
  return { priority, faults };
}
