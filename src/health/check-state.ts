/**
 * One checker's state, with keepalived's retry rule: while the check is up, a
 * failed attempt is retried `retry` times, `delay_before_retry` apart, and only
 * the last failure takes it down; while it is down there are no retries, and one
 * passing attempt brings it up. The next attempt is due `delay_loop` after an
 * attempt that settles the state, so a failure is seen within
 *   delay_loop + connect_timeout × (retry + 1) + delay_before_retry × retry.
 */
import type { Check } from '../config/model.js';
import type { CheckResult } from './checker.js';

export interface LastResult {
  ok: boolean;
  message: string;
  latencyMs: number;
  /** Epoch ms when the attempt ended. */
  at: number;
  output?: string;
}

export interface Applied {
  /** Milliseconds until the next attempt. */
  nextMs: number;
  /** Set when the check changed state, with the words for the log. */
  transition: { up: boolean; reason: string } | null;
  /** misc_dynamic changed the weight this check asks for. */
  weightChanged: boolean;
}

const retries = (n: number) => `${n} ${n === 1 ? 'retry' : 'retries'}`;

export class CheckState {
  up: boolean;
  hasRun = false;
  retriesUsed = 0;
  /** Failed attempts in a row, for status. */
  failures = 0;
  last: LastResult | null = null;
  /** misc_dynamic: the weight of the last passing run; undefined means the configured weight. */
  weight: number | undefined;

  /** A check starts up unless `alpha` (keepalived's default), or as told (reload of a down server). */
  constructor(public check: Check, up = !check.alpha) {
    this.up = up;
  }

  apply(r: CheckResult, at: number): Applied {
    this.last = { ok: r.ok, message: r.message, latencyMs: Math.round(r.latencyMs * 10) / 10, at, ...(r.output ? { output: r.output } : {}) };
    this.hasRun = true;
    const loop = this.check.delay_loop * 1000;
    if (r.ok) {
      this.retriesUsed = 0;
      this.failures = 0;
      const weightChanged = r.weight !== this.weight;
      this.weight = r.weight;
      if (this.up) return { nextMs: loop, transition: null, weightChanged };
      this.up = true;
      return { nextMs: loop, transition: { up: true, reason: r.message }, weightChanged };
    }
    this.failures++;
    if (this.up && this.retriesUsed < this.check.retry) {
      this.retriesUsed++;
      return { nextMs: this.check.delay_before_retry * 1000, transition: null, weightChanged: false };
    }
    const used = this.retriesUsed;
    this.retriesUsed = 0;
    if (!this.up) return { nextMs: loop, transition: null, weightChanged: false };
    this.up = false;
    return { nextMs: loop, transition: { up: false, reason: used ? `${r.message} after ${retries(used)}` : r.message }, weightChanged: false };
  }

  /**
   * Take a reloaded config for the same probe: state stays; a check that already
   * used more retries than the new config allows fails on its next failure.
   */
  reconfigure(next: Check): void {
    this.check = next;
    this.retriesUsed = Math.min(this.retriesUsed, next.retry);
  }
}

/**
 * What a check probes, without its timing: two checks with the same identity are
 * the same check across a reload (new timing applies, state is kept).
 */
export function checkIdentity(c: Check): string {
  const { delay_loop: _d, retry: _r, delay_before_retry: _b, warmup: _w, alpha: _a, connect_timeout: _t, ...probe } = c;
  if (probe.type === 'MISC_CHECK') {
    const { misc_timeout: _m, ...rest } = probe;
    return JSON.stringify(rest);
  }
  return JSON.stringify(probe);
}
