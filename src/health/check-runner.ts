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

  async execute(): Promise<void> {
    if (this.stopped) return;
    const r = await this.checker.run();
    // A reload or stop while the attempt was in flight: its result belongs to nobody.
    if (this.stopped) return;
    this.handle.runIn(this.onResult(this, r));
  }

  stop(): void {
    this.stopped = true;
    this.handle.cancel();
    this.checker.abort();
  }
}
