/**
 * `npm run bench [-- --quick] [-- --only NAME]`: every benchmark module in dist/bench/*.bench.js,
 * each measuring lbd against its reference (keepalived, ipvsadm-restore, ...) in the same run.
 * Prints `name lbd=… ref=… ratio=…` per figure and writes bench/results.json.
 */
import { readdirSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { atomicWriteFileSync } from '../src/util/atomic-write.js';

export interface BenchResult {
  name: string;
  unit: string;
  lbd: number;
  ref: number | null;
  /** lbd / ref (lower is better for times and costs). */
  ratio: number | null;
  runs: number;
  note?: string;
}

export interface BenchModule {
  run(opts: { quick: boolean; log: (msg: string) => void }): Promise<BenchResult[]>;
}

export const ratio = (lbd: number, ref: number | null) => (ref ? Math.round((lbd / ref) * 1000) / 1000 : null);
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const onlyIdx = args.indexOf('--only');
  const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined;
  const here = dirname(fileURLToPath(import.meta.url));
  const modules = readdirSync(here).filter((f) => f.endsWith('.bench.js') && (!only || f.startsWith(only))).sort();
  const results: BenchResult[] = [];
  const started = Date.now();
  for (const f of modules) {
    const log = (msg: string) => process.stderr.write(`[${f.replace('.bench.js', '')}] ${msg}\n`);
    log(quick ? 'quick run' : 'full run');
    const t0 = Date.now();
    try {
      const mod = (await import(pathToFileURL(join(here, f)).href)) as BenchModule;
      for (const r of await mod.run({ quick, log })) {
        results.push(r);
        process.stdout.write(`${r.name} lbd=${r.lbd}${r.unit} ref=${r.ref ?? 'n/a'}${r.ref !== null ? r.unit : ''} ratio=${r.ratio ?? 'n/a'}${r.note ? `  # ${r.note}` : ''}\n`);
      }
    } catch (e) {
      log(`FAILED: ${(e as Error).stack ?? String(e)}`);
      process.exitCode = 1;
    }
    log(`took ${Math.round((Date.now() - t0) / 1000)} s`);
  }
  const out = join(here, '..', '..', 'bench', 'results.json');
  mkdirSync(dirname(out), { recursive: true });
  atomicWriteFileSync(out, JSON.stringify(results, null, 2) + '\n');
  process.stderr.write(`wrote ${out} (${results.length} figures in ${Math.round((Date.now() - started) / 1000)} s)\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main();
