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
 * then hands the result to `done`, or what it threw to `failed` (a throw from an
 * immediate would take the process down). The returned function cancels what is left.
 */
export function runInSlices<T>(steps: Steps<T>, sliceMs: number, on: { slice(): void; done(value: T): void; failed(e: unknown): void }): () => void {
  let timer: NodeJS.Immediate | undefined;
  const slice = () => {
    timer = undefined;
    on.slice();
    const until = performance.now() + sliceMs;
    let r: IteratorResult<void, T>;
    try {
      do r = steps.next(); while (!r.done && performance.now() < until);
    } catch (e) {
      on.failed(e);
      return;
    }
    if (r.done) on.done(r.value);
    else timer = setImmediate(slice);
  };
  timer = setImmediate(slice);
  return () => { if (timer) clearImmediate(timer); timer = undefined; };
}
