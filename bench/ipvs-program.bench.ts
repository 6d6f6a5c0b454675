/**
 * IPVS programming cost, lbd vs ipvsadm-restore on the same content in the same VM run (the
 * host kernel has no IPVS; see test/vm/lib/README.md): N services x 4 destinations from an
 * empty table, then single destination weight changes. Under QEMU's software emulation only
 * the ratios mean anything. Targets: full programming ratio <= 1.0; one change < 5 ms of lbd.
 */
import type { BenchModule, BenchResult } from './run.js';
import { ratio } from './run.js';
import { runGuestScript, vmUnavailable } from '../test/vm/lib/vm.js';

interface GuestReport {
  services: number;
  destinations: number;
  runs: number;
  full: { lbdMs: number; restoreMs: number; lbdRuns: number[]; restoreRuns: number[] };
  change: { lbdMs: number; restoreMs: number; lbdRuns: number[]; restoreRuns: number[] };
  checks: { services: number; dests: number }[];
}

export const run: BenchModule['run'] = async ({ quick, log }) => {
  const why = vmUnavailable();
  if (why) throw new Error(`needs the test VM: ${why}`);
  const services = quick ? 200 : 1000;
  const runs = quick ? 1 : 3;
  log(`booting the VM: ${services} services x 4 destinations, ${runs} run(s) each for lbd and ipvsadm-restore`);
  const { report: r, run: vm } = await runGuestScript<GuestReport>('dist/bench/guest/ipvs-program.js', {
    args: ['--services', String(services), '--runs', String(runs), '--changes', quick ? '5' : '9'],
    timeoutMs: quick ? 600_000 : 1_500_000,
  });
  for (const c of r.checks) if (c.services !== services || c.dests !== services * 4) throw new Error(`table check failed: ${JSON.stringify(c)}`);
  log(`VM run took ${Math.round(vm.durationMs / 1000)} s; full: lbd ${r.full.lbdRuns.join('/')} ms, ipvsadm-restore ${r.full.restoreRuns.join('/')} ms; ` +
    `change: lbd ${r.change.lbdRuns.join('/')} ms, ipvsadm-restore ${r.change.restoreRuns.join('/')} ms`);
  const results: BenchResult[] = [
    {
      name: `ipvs-program-${services}x4`, unit: 'ms', lbd: r.full.lbdMs, ref: r.full.restoreMs, ratio: ratio(r.full.lbdMs, r.full.restoreMs), runs,
      note: `from empty, ${services * 5} objects; ref ipvsadm-restore (process wall time); VM (TCG), ratios only; target ratio <= 1.0`,
    },
    {
      name: 'ipvs-change-1-dest', unit: 'ms', lbd: r.change.lbdMs, ref: r.change.restoreMs, ratio: ratio(r.change.lbdMs, r.change.restoreMs), runs: r.change.lbdRuns.length,
      note: `one weight, ${services} services programmed; lbd: read service + destinations, 1 SET_DEST; ref ipvsadm-restore with one -e line; target lbd < 5 ms`,
    },
  ];
  return results;
};
