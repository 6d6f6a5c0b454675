/**
 * Advertisement timing as it really happened: how late each advert timer fired
 * against its schedule (lateness), over a window of recent sends. This is the
 * number that shows whether the VRRP loop is being starved.
 */
export interface JitterStats {
  samples: number;
  /** Over the window: mean, 99th percentile and worst lateness in ms. */
  meanMs: number;
  p99Ms: number;
  maxMs: number;
  /** Worst lateness since start, in ms. */
  maxEverMs: number;
}

export class Jitter {
  private readonly window: number[] = [];
  private total = 0;
  private maxEver = 0;

  constructor(private readonly size = 1000) {}

  record(latenessMs: number): void {
    const v = Math.max(0, latenessMs);
    this.window.push(v);
    if (this.window.length > this.size) this.window.shift();
    this.total++;
    if (v > this.maxEver) this.maxEver = v;
  }

  stats(): JitterStats {
    const w = [...this.window].sort((a, b) => a - b);
    const r = (x: number) => Math.round(x * 100) / 100;
    return {
      samples: this.total,
      meanMs: r(w.length ? w.reduce((a, b) => a + b, 0) / w.length : 0),
      p99Ms: r(w.length ? w[Math.min(w.length - 1, Math.floor(w.length * 0.99))]! : 0),
      maxMs: r(w.length ? w[w.length - 1]! : 0),
      maxEverMs: r(this.maxEver),
    };
  }
}
