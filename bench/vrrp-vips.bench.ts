/**
 * How failover cost grows with the number of VIPs, lbd vs keepalived, same run: a master and a
 * backup (VRRPv3, 0.1 s adverts) share N addresses (one in virtual_ipaddress, the rest in
 * virtual_ipaddress_excluded, so adverts stay small on both); the master crashes (every process
 * frozen then killed, as in vrrp-failover); the figure is the time from the crash until the
 * backup's eth0 carries all N (read back with `ip addr`, polled every 10 ms). The
 * master_down_interval (~360 ms) is in every figure; what grows with N is the address work.
 */
import type { BenchModule, BenchResult } from './run.js';
import { median, ratio } from './run.js';
import { KeepalivedNode, LbdNode, VrrpLab, vrrpConfig } from '../test/lib/vrrp-lab.js';
import { run as exec, waitFor } from '../src/util/exec.js';

type Impl = 'lbd' | 'keepalived';
/** LB_BENCH_VIP_SIZES=N,N... measures other sizes. */
const SIZES = (process.env.LB_BENCH_VIP_SIZES ?? '1,100,1000').split(',').map(Number);
const vip = (i: number) => `198.19.${Math.floor(i / 250)}.${1 + (i % 250)}`;

function kaConf(n: number, priority: number): string {
  const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => `    ${vip(from + k)}/32 dev eth0\n`).join('');
  return `global_defs {\n  router_id ka\n  vrrp_version 3\n  vrrp_garp_master_delay 0\n}\n` +
    `vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n  priority ${priority}\n  advert_int 0.1\n` +
    `  virtual_ipaddress {\n${lines(0, 1)}  }\n  virtual_ipaddress_excluded {\n${lines(1, n)}  }\n}\n`;
}

const lbdConf = (n: number, priority: number) => vrrpConfig({
  VI_1: {
    interface: 'eth0', virtual_router_id: 51, priority, version: 3, advert_int: 0.1, garp_master_delay: 0,
    virtual_ipaddress: [`${vip(0)}/32`],
    ...(n > 1 ? { virtual_ipaddress_excluded: Array.from({ length: n - 1 }, (_, k) => `${vip(k + 1)}/32`) } : {}),
  },
}, { global: { logging: { level: 'info' } } });

async function vipCount(ns: string): Promise<number> {
  const r = await exec('ip', ['-n', ns, '-4', '-o', 'addr', 'show', 'dev', 'eth0'], 5000);
  return (r.stdout.match(/ inet 198\.19\./g) ?? []).length;
}

async function measure(impl: Impl, n: number, runs: number, log: (m: string) => void): Promise<number[]> {
  const vl = await VrrpLab.create('bv');
  try {
    const mk = (ns: string, name: string) => (impl === 'lbd' ? new LbdNode(vl, ns, name) : new KeepalivedNode(vl, ns, name));
    const master = mk(await vl.host('m', 1), 'm');
    const backup = mk(await vl.host('b', 2), 'b');
    const start = (node: LbdNode | KeepalivedNode, prio: number) => (node instanceof LbdNode ? node.start(lbdConf(n, prio)) : node.start(kaConf(n, prio)));
    await start(backup, 100);
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      await start(master, 150);
      await master.waitState('VI_1', 'MASTER', 20_000);
      await backup.waitState('VI_1', 'BACKUP', 20_000);
      await waitFor(`all ${n} VIPs on the master`, async () => (await vipCount(master.ns)) === n, 20_000, 50);
      await waitFor(`no VIP left on the backup`, async () => (await vipCount(backup.ns)) === 0, 20_000, 50);
      const t0 = await master.crash();
      let seen = 0;
      await waitFor(`all ${n} VIPs on the backup`, async () => (seen = await vipCount(backup.ns)) === n, 30_000, 10)
        .catch((e: Error) => { throw new Error(`${impl}: ${e.message} (${seen} there)`); });
      samples.push(Date.now() - t0);
      log(`${impl} ${n} VIPs #${i + 1}: all on the backup ${samples.at(-1)} ms after the crash`);
      // The crashed master's addresses stay in its namespace (no process removes them): clear them for the next run.
      await exec('ip', ['-n', master.ns, 'addr', 'flush', 'dev', 'eth0', 'to', '198.19.0.0/16']);
    }
    return samples;
  } finally {
    await vl.cleanup();
  }
}

export const run: BenchModule['run'] = async ({ quick, log }) => {
  const runs = quick ? 1 : 3;
  const out: BenchResult[] = [];
  // The quick run: the largest size only, once.
  for (const n of quick ? SIZES.slice(-1) : SIZES) {
    let l: number, k: number;
    try {
      l = median(await measure('lbd', n, runs, log));
      k = median(await measure('keepalived', n, runs, log));
    } catch (e) {
      // One size failing must not hide the others' figures; the run still ends in failure.
      log(`FAILED at ${n} VIPs: ${(e as Error).message}`);
      process.exitCode = 1;
      continue;
    }
    out.push({ name: `vrrp_failover_${n}_vips`, unit: 'ms', lbd: Math.round(l), ref: Math.round(k), ratio: ratio(l, k), runs,
      note: `crash of the master to all ${n} VIPs on the backup's eth0 (VRRPv3, 0.1 s adverts: master_down_interval ~360 ms included)` });
  }
  return out;
};
