/**
 * When checks run. Each check has its own timer, so a slow server delays only
 * its own next attempt. First attempts are spread evenly over each check's
 * warmup (keepalived: a random start within one delay_loop), and every later
 * one is due a fixed delay after the previous ended, so the spread persists
 * instead of collapsing into bursts. Attempts in flight are bounded (sockets
 * and script processes separately); a due attempt beyond the bound waits its
 * turn, and the wait shows as lag in status.
 */

export interface SchedulerLimits {
  /** Socket checks (HTTP, SSL, TCP) in flight at once. */
  sockets: number;
  /** MISC_CHECK scripts running at once. */
  processes: number;
}

export const DEFAULT_LIMITS: SchedulerLimits = { sockets: 2048, processes: 32 };

export interface SchedulerStats {
  in_flight: number;
  scripts_running: number;
  queued: number;
  limits: SchedulerLimits;
  /** Longest wait of a due attempt for a free slot since the last stats() call, ms. */
  max_lag_ms: number;
}

export interface Task {
  readonly usesProcess: boolean;
  /** One attempt; the slot is released when the promise settles. */
  execute(): Promise<void>;
}

/** A task's place in the scheduler: at most one pending run at a time. */
export class TaskHandle {
  timer: NodeJS.Timeout | null = null;
  queued = false;
  dueAt = 0;
  cancelled = false;

  constructor(readonly task: Task, private readonly scheduler: CheckScheduler) {}

  /** Run the task `ms` from now (replacing a pending run). */
  runIn(ms: number): void {
    if (this.cancelled) return;
    if (this.timer) clearTimeout(this.timer);
    this.dueAt = performance.now() + ms;
    this.timer = setTimeout(this.onDue, Math.max(0, ms));
  }

  /** Bring a pending run forward so it is at most `ms` away (a reload shortened the interval). */
  runWithin(ms: number): void {
    if (this.timer && this.dueAt - performance.now() > ms) this.runIn(ms);
  }

  cancel(): void {
    this.cancelled = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.scheduler.dequeue(this);
  }

  private readonly onDue = () => {
    this.timer = null;
    this.scheduler.due(this);
  };
}

export class CheckScheduler {
  private sockets = 0;
  private processes = 0;
  private readonly socketQueue: TaskHandle[] = [];
  private readonly processQueue: TaskHandle[] = [];
  private maxLag = 0;

  constructor(readonly limits: SchedulerLimits = DEFAULT_LIMITS) {}

  add(task: Task): TaskHandle { return new TaskHandle(task, this); }

  /** Called by a handle whose time has come. */
  due(h: TaskHandle): void {
    if (h.cancelled) return;
    const proc = h.task.usesProcess;
    if ((proc ? this.processes < this.limits.processes : this.sockets < this.limits.sockets)) this.start(h);
    else { h.queued = true; (proc ? this.processQueue : this.socketQueue).push(h); }
  }

  dequeue(h: TaskHandle): void {
    if (!h.queued) return;
    h.queued = false;
    for (const q of [this.socketQueue, this.processQueue]) {
      const i = q.indexOf(h);
      if (i >= 0) q.splice(i, 1);
    }
  }

  stats(): SchedulerStats {
    const s = { in_flight: this.sockets, scripts_running: this.processes, queued: this.socketQueue.length + this.processQueue.length, limits: this.limits, max_lag_ms: Math.round(this.maxLag) };
    this.maxLag = 0;
    return s;
  }

  private start(h: TaskHandle): void {
    const proc = h.task.usesProcess;
    if (proc) this.processes++; else this.sockets++;
    const lag = performance.now() - h.dueAt;
    if (lag > this.maxLag) this.maxLag = lag;
    const done = () => {
      if (proc) this.processes--; else this.sockets--;
      const next = (proc ? this.processQueue : this.socketQueue).shift();
      if (next) { next.queued = false; this.start(next); }
    };
    h.task.execute().then(done, done);
  }
}

/**
 * Start offsets for a batch of checks starting together: check i of n starts at
 * a random point of the i-th n-th of its warmup, so starts are evenly spread
 * (stratified), without two runs of lbd repeating the same pattern.
 */
export function spreadStarts(warmupsMs: number[], random: () => number = Math.random): number[] {
  const n = warmupsMs.length;
  return warmupsMs.map((w, i) => (w * (i + random())) / n);
}
