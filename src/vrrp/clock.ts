/** Time for the state machine, behind an interface so unit tests drive it with a fake clock. */
export interface TimerHandle { readonly __timer: unique symbol }

export interface Clock {
  /** Monotonic milliseconds (fractions allowed). */
  now(): number;
  /** Wall-clock milliseconds since the epoch, for transition records. */
  epoch(): number;
  setTimer(ms: number, fn: () => void): TimerHandle;
  clearTimer(h: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  epoch: () => Date.now(),
  setTimer: (ms, fn) => setTimeout(fn, Math.max(0, ms)) as unknown as TimerHandle,
  clearTimer: (h) => clearTimeout(h as unknown as NodeJS.Timeout),
};
