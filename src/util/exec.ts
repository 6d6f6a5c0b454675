/** Run a program (no shell) and poll for a condition: the plumbing of the demo lab, the tests and `nft.ts`. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const pExecFile = promisify(execFile);

export interface ExecResult { stdout: string; stderr: string; code: number }

/** Run a command; never throws for a non-zero exit (look at .code). Bounded by `timeoutMs`. */
export async function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<ExecResult> {
  try {
    const { stdout, stderr } = await pExecFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 << 20 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number | string };
    return { stdout: err.stdout ?? '', stderr: err.stderr ?? String(e), code: typeof err.code === 'number' ? err.code : 1 };
  }
}

/** Like run() but throws with the command's stderr on failure. */
export async function must(cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  const r = await run(cmd, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** Poll `fn` until it returns a truthy value or `timeoutMs` passes; returns the value or throws. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) { last = e; }
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
