/** `lbctl reference`: the configuration reference in Markdown (docs/CONFIG.md is its output). */
import { configReference } from '../config/reference.js';

export function runReference(args: string[]): number {
  if (args.length) { process.stderr.write('usage: lbctl reference > docs/CONFIG.md\n'); return 2; }
  process.stdout.write(configReference());
  return 0;
}
