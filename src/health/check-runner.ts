/** Runs one check of one real server on the scheduler, forever, until stopped. */
import type { Check } from '../config/model.js';
import type { CheckState } from './check-state.js';
import type { Checker, CheckResult } from './checker.js';
import { HttpChecker } from './http-check.js';
import { MiscChecker } from './misc-check.js';
import type { CheckScheduler, Task, TaskHandle } from './scheduler.js';
import { TcpChecker } from './tcp-check.js';
import type { RealServerState, VirtualServerPool } from './pool-state.js';

export function createChecker(c: Check): Checker {
  switch (c.type) {
    case 'TCP_CHECK': return new TcpChecker(c);
    case 'MISC_CHECK': return new MiscChecker(c);
    default: return new HttpChecker(c);
  }
}

/** Applies a result and returns the delay (ms) to the next attempt. */
export type ResultHandler = (runner: CheckRunner, r: CheckResult) => number;

export class CheckRunner implements Task {
  readonly usesProcess: boolean;
  private readonly handle: TaskHandle;
  private stopped = false;
  /** The attempt in flight, if any (stop waits a little for scripts). */
  inFlight: Promise<void> | null = null;

  constructor(
    readonly state: CheckState,
    public checker: Checker,
    readonly pool: VirtualServerPool,
    readonly server: RealServerState,
    scheduler: CheckScheduler,
    private readonly onResult: ResultHandler,
  ) {
    this.usesProcess = checker.usesProcess;
    this.handle = scheduler.add(this);
  }

  start(inMs: number): void { this.handle.runIn(inMs); }

  execute(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const p = this.inFlight = this.checker.run().then((r) => {
      this.inFlight = null;
      // A reload or stop while the attempt was in flight: its result belongs to nobody.
      if (!this.stopped) this.handle.runIn(this.onResult(this, r));
    });
    return p;
  }

  /** A reload changed the timing: the next attempt must not wait longer than the new interval. */
  retimed(): void { this.handle.runWithin(this.state.check.delay_loop * 1000); }

  stop(): void {
    this.stopped = true;
    this.handle.cancel();
    this.checker.abort();
  }
}
