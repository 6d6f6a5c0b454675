/** Locations tests need, valid from the compiled tree (dist/test/...) of a checkout. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const fixture = (...p: string[]) => join(repoRoot, 'test', 'fixtures', ...p);
export const example = (...p: string[]) => join(repoRoot, 'examples', ...p);
export const lbctlJs = join(repoRoot, 'dist', 'src', 'cli', 'lbctl.js');
export const lbdJs = join(repoRoot, 'dist', 'src', 'cli', 'lbd.js');
