/** Helpers for scripts that run inside the test VM (see vm.ts and README.md). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** True inside the test VM. */
export const inVm = () => process.env.LBVM === '1';

/** The guest's results folder, shared with the host. */
export function outPath(name: string): string {
  const dir = process.env.LBVM_OUT;
  if (!dir) throw new Error('LBVM_OUT is not set: this script runs inside the test VM (test/vm/lib/vm.ts)');
  return join(dir, name);
}

/** Write the report the host-side test asserts on (report.json unless named). */
export function writeReport(data: unknown, name = 'report.json'): void {
  writeFileSync(outPath(name), JSON.stringify(data, null, 2) + '\n');
}

/**
 * Run a guest scenario: `body` fills a report; it is written even when a step throws, with the
 * error in `error`, so the host sees how far the scenario got. Exits non-zero on error.
 */
export async function scenario<R extends object>(body: (report: R) => Promise<void>, report = {} as R): Promise<void> {
  const started = Date.now();
  let error: string | undefined;
  try { await body(report); } catch (e) { error = (e as Error).stack ?? String(e); }
  writeReport({ ...report, durationMs: Date.now() - started, ...(error ? { error } : {}) });
  if (error) process.stderr.write(`scenario failed: ${error}\n`);
  process.exit(error ? 1 : 0);
}
