/**
 * A big status view is built as a generator that yields between chunks of rows, so
 * the cache can spread it over several turns of the event loop while requests are
 * answered in between; a caller that needs it at once runs it to the end.
 */
export type Steps<T> = Generator<void, T, undefined>;

export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * Runs `steps` in slices of about `sliceMs` on the check phase (after pending I/O),
 * then hands the result to `done`. The returned function cancels what is left.
 */
export function runInSlices<T>(steps: Steps<T>, sliceMs: number, done: (value: T) => void, onSlice?: () => void): () => void {
  let timer: NodeJS.Immediate | undefined;
  const slice = () => {
    onSlice?.();
    const until = performance.now() + sliceMs;
    for (;;) {
      const r = steps.next();
      if (r.done) { timer = undefined; done(r.value); return; }
      if (performance.now() >= until) break;
    }
    timer = setImmediate(slice);
  };
  timer = setImmediate(slice);
  return () => { if (timer) clearImmediate(timer); timer = undefined; };
}
