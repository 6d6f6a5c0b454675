/** A manual clock for state-machine tests: time moves only when the test says so. */
import type { Clock, TimerHandle } from '../../src/vrrp/clock.js';

interface Pending { id: number; at: number; fn: () => void }

export class FakeClock implements Clock {
  t = 0;
  private timers: Pending[] = [];
  private seq = 0;

  now(): number { return this.t; }
  epoch(): number { return 1_700_000_000_000 + this.t; }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const p = { id: ++this.seq, at: this.t + Math.max(0, ms), fn };
    this.timers.push(p);
    return p.id as unknown as TimerHandle;
  }

  clearTimer(h: TimerHandle): void {
    this.timers = this.timers.filter((p) => p.id !== (h as unknown as number));
  }

  /** Advance time by `ms`, firing due timers in order (timers they set fire too if due). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}
