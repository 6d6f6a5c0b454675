/** nftables from lbd: `nft` with a bound on its run time, scripts applied from a file lbd keeps. */
import { atomicWriteFileSync } from './atomic-write.js';
import { must } from './exec.js';

/** Run nft; throws with its stderr on failure. */
export function nft(args: string[]): Promise<string> {
  return must('nft', args, 10_000);
}

/** Apply an `nft -f` script (one transaction) from `file`, written atomically first and kept: it is what lbd last applied. */
export async function applyNftScript(script: string, file: string): Promise<void> {
  atomicWriteFileSync(file, script, 0o600);
  await nft(['-f', file]);
}
