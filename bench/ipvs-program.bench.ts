/**
 * IPVS programming cost, lbd vs ipvsadm-restore on the same content in the same VM run (the
 * host kernel has no IPVS; see test/vm/lib/README.md): N services x 4 destinations from an
 * empty table, then single destination weight changes, for N = 100, 300 and 1,000 in one boot
 * (the quick run: N = 100 only, one run). Under QEMU's software emulation only the ratios mean
 * anything. Targets: full programming ratio <= 1.0; one change < 5 ms of lbd.
 */
import type { BenchModule, BenchResult } from './run.js';
import { ratio } from './run.js';
import { runGuestScript, vmUnavailable } from '../test/vm/lib/vm.js';

type Figure = { median: number; runs: number[] };
interface SizeReport {
  services: number;
  destinations: number;
  full: { lbd: Figure; restore: Figure; ipvsadmR: Figure };
  change: { lbd: Figure; restore: Figure; ipvsadmE: Figure };
  checks: { services: number; dests: number }[];
}
interface GuestReport { runs: number; roundTripMs: number; sizes: SizeReport[] }

export const run: BenchModule['run'] = async ({ quick, log }) => {
  const why = vmUnavailable();
  if (why) throw new Error(`needs the test VM: ${why}`);
  const sizes = quick ? [100] : [100, 300, 1000];
  const runs = quick ? 1 : 3;
  log(`booting the VM: ${sizes.join(', ')} services x 4 destinations, ${runs} run(s) each for lbd and ipvsadm-restore`);
  const { report, run: vm } = await runGuestScript<GuestReport>('dist/bench/guest/ipvs-program.js', {
    args: ['--services', sizes.join(','), '--runs', String(runs), '--changes', quick ? '5' : '10'],
    timeoutMs: quick ? 300_000 : 1_200_000,
  });
  log(`VM run took ${Math.round(vm.durationMs / 1000)} s`);
  const fig = (name: string, lbd: Figure, ref: Figure, note: string): BenchResult =>
    ({ name, unit: 'ms', lbd: lbd.median, ref: ref.median, ratio: ratio(lbd.median, ref.median), runs: lbd.runs.length, note });
  const results: BenchResult[] = [];
  for (const r of report.sizes) {
    const n = r.services;
    for (const c of r.checks) if (c.services !== n || c.dests !== n * 4) throw new Error(`table check failed at ${n} services: ${JSON.stringify(c)}`);
    const runsOf = (f: Figure) => f.runs.join('/');
    log(`${n} services: full: lbd ${runsOf(r.full.lbd)} ms, ipvsadm-restore ${runsOf(r.full.restore)} ms, ipvsadm -R ${runsOf(r.full.ipvsadmR)} ms; ` +
      `change: lbd ${runsOf(r.change.lbd)} ms, ipvsadm-restore ${runsOf(r.change.restore)} ms, ipvsadm -e ${runsOf(r.change.ipvsadmE)} ms`);
    results.push(
      fig(`ipvs-program-${n}x4`, r.full.lbd, r.full.restore, `from empty, ${n * 5} objects, ref ipvsadm-restore (wall time); VM (TCG): ratios only; target ratio <= 1.0`),
      fig(`ipvs-program-${n}x4-vs-ipvsadm-R`, r.full.lbd, r.full.ipvsadmR, 'same, ref ipvsadm -R (no clearing wrapper)'),
      fig(`ipvs-change-1-dest-${n}x4`, r.change.lbd, r.change.restore,
        `one weight in a table of ${n} services; first (cold JIT) ${r.change.lbd.runs[0]} ms; an empty netlink round trip here: ${report.roundTripMs} ms; ref ipvsadm-restore, which reloads the whole table; target lbd < 5 ms`),
      fig(`ipvs-change-1-dest-${n}x4-vs-ipvsadm-e`, r.change.lbd, r.change.ipvsadmE, 'one weight; ref one ipvsadm -e process'),
    );
  }
  return results;
};
