/**
 * IPVS programming cost, lbd vs ipvsadm-restore on the same content in the same VM run (the
 * host kernel has no IPVS; see test/vm/lib/README.md): N services x 4 destinations from an
 * empty table, then single destination weight changes. Under QEMU's software emulation only
 * the ratios mean anything. Targets: full programming ratio <= 1.0; one change < 5 ms of lbd.
 */
import type { BenchModule, BenchResult } from './run.js';
import { ratio } from './run.js';
import { runGuestScript, vmUnavailable } from '../test/vm/lib/vm.js';

type Figure = { median: number; runs: number[] };
interface GuestReport {
  services: number;
  destinations: number;
  runs: number;
  roundTripMs: number;
  full: { lbd: Figure; restore: Figure; ipvsadmR: Figure };
  change: { lbd: Figure; restore: Figure; ipvsadmE: Figure };
  checks: { services: number; dests: number }[];
}

export const run: BenchModule['run'] = async ({ quick, log }) => {
  const why = vmUnavailable();
  if (why) throw new Error(`needs the test VM: ${why}`);
  const services = quick ? 200 : 1000;
  const runs = quick ? 1 : 3;
  log(`booting the VM: ${services} services x 4 destinations, ${runs} run(s) each for lbd and ipvsadm-restore`);
  const { report: r, run: vm } = await runGuestScript<GuestReport>('dist/bench/guest/ipvs-program.js', {
    args: ['--services', String(services), '--runs', String(runs), '--changes', quick ? '5' : '20'],
    timeoutMs: quick ? 600_000 : 1_500_000,
  });
  for (const c of r.checks) if (c.services !== services || c.dests !== services * 4) throw new Error(`table check failed: ${JSON.stringify(c)}`);
  const runsOf = (f: Figure) => f.runs.join('/');
  log(`VM run took ${Math.round(vm.durationMs / 1000)} s; full: lbd ${runsOf(r.full.lbd)} ms, ipvsadm-restore ${runsOf(r.full.restore)} ms, ipvsadm -R ${runsOf(r.full.ipvsadmR)} ms; ` +
    `change: lbd ${runsOf(r.change.lbd)} ms, ipvsadm-restore ${runsOf(r.change.restore)} ms, ipvsadm -e ${runsOf(r.change.ipvsadmE)} ms`);
  const fig = (name: string, lbd: Figure, ref: Figure, note: string): BenchResult =>
    ({ name, unit: 'ms', lbd: lbd.median, ref: ref.median, ratio: ratio(lbd.median, ref.median), runs: lbd.runs.length, note });
  const results: BenchResult[] = [
    fig(`ipvs-program-${services}x4`, r.full.lbd, r.full.restore, `from empty, ${services * 5} objects, ref ipvsadm-restore (wall time); VM (TCG): ratios only; target ratio <= 1.0`),
    fig(`ipvs-program-${services}x4-vs-ipvsadm-R`, r.full.lbd, r.full.ipvsadmR, 'same, ref ipvsadm -R (no clearing wrapper)'),
    fig('ipvs-change-1-dest', r.change.lbd, r.change.restore,
      `one weight; first (cold JIT) ${r.change.lbd.runs[0]} ms; an empty netlink round trip here: ${r.roundTripMs} ms; ref ipvsadm-restore, which reloads the whole table; target lbd < 5 ms`),
    fig('ipvs-change-1-dest-vs-ipvsadm-e', r.change.lbd, r.change.ipvsadmE, 'one weight; ref one ipvsadm -e process'),
  ];
  return results;
};
