/**
 * Guest side of bench/ipvs-program.bench.ts (runs inside the test VM): program N services x 4
 * destinations from an empty table with lbd's LVS subsystem, with ipvsadm-restore and with
 * `ipvsadm -R` on the same content; then change one destination's weight with each:
 * ipvsadm-restore always clears the table and loads all of it again (its script runs
 * `ipvsadm -C` first), so its change is the whole content with one weight changed, and
 * `ipvsadm -e` for that one destination is the best a script can do. Alternating, several runs.
 * lbd's figure is the subsystem's own reconcile time (desired state, ownership record, kernel
 * read, plan, netlink apply; a daemon has paid Node's start-up long before); the tools' is the
 * process's wall time from spawn to exit, which is what running them costs.
 */
import { spawn, execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { scenario } from '../../test/vm/lib/guest.js';
import { resolveConfig } from '../../src/config/resolve.js';
import type { RawConfig } from '../../src/config/schema.js';
import type { Config, VirtualServer } from '../../src/config/model.js';
import { LvsSubsystem } from '../../src/lvs/subsystem.js';
import type { DesiredDest, PoolEvents, PoolSource } from '../../src/lvs/pool.js';
import type { LvsStatus } from '../../src/lvs/status.js';
import { StatusHub } from '../../src/status/hub.js';
import { createLogger } from '../../src/log/logger.js';
import { IpvsClient } from '../../src/ipvs/index.js';

const { values: o } = parseArgs({ options: { services: { type: 'string', default: '1000' }, runs: { type: 'string', default: '3' }, changes: { type: 'string', default: '9' } } });
const SERVICES = Number(o.services), RUNS = Number(o.runs), CHANGES = Number(o.changes), DESTS = 4;

const vip = (i: number) => `198.18.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
const rs = (d: number) => `198.19.0.${11 + d}`;

/** A pool whose weights the benchmark changes (the health subsystem's role in lbd). */
class BenchPool extends EventEmitter<PoolEvents> implements PoolSource {
  readonly weights = new Map<string, number>();
  destinations(vs: VirtualServer): DesiredDest[] {
    return vs.real_servers.map((r) => ({ address: r.address, port: r.port, lb_kind: r.lb_kind, uthreshold: 0, lthreshold: 0, weight: this.weights.get(`${vs.name}/${r.address}`) ?? r.weight }));
  }
}

function benchConfig(): Config {
  const raw = {
    global: { router_id: 'bench' },
    virtual_servers: Array.from({ length: SERVICES }, (_, i) => ({
      name: `vs${i}`, address: vip(i), port: 80, protocol: 'TCP', lb_algo: 'wrr', lb_kind: 'DR',
      real_servers: Array.from({ length: DESTS }, (_, d) => ({ address: rs(d), port: 80, weight: 1 })),
    })),
  } as unknown as RawConfig;
  return resolveConfig(raw);
}

/** The same table as ipvsadm-restore input; `weights` overrides "service/destination" weights. */
function restoreText(weights = new Map<string, number>()): string {
  const lines: string[] = [];
  for (let i = 0; i < SERVICES; i++) {
    lines.push(`-A -t ${vip(i)}:80 -s wrr`);
    for (let d = 0; d < DESTS; d++) lines.push(`-a -t ${vip(i)}:80 -r ${rs(d)}:80 -g -w ${weights.get(`vs${i}/${rs(d)}`) ?? 1}`);
  }
  return lines.join('\n') + '\n';
}

/** Wall time (ms) of a command from spawn to exit, stdin from `input` when given. */
function timeCommand(cmd: string, args: string[], input?: string): Promise<number> {
  return new Promise((res, rej) => {
    const fd = input ? openSync(input, 'r') : 'ignore';
    const t0 = performance.now();
    const p = spawn(cmd, args, { stdio: [fd, 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    p.on('close', (code) => {
      const ms = performance.now() - t0;
      if (typeof fd === 'number') closeSync(fd);
      if (code !== 0) rej(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${err}`)); else res(ms);
    });
  });
}

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });
const countTable = () => {
  const save = sh('ipvsadm', ['-S', '-n']).split('\n');
  return { services: save.filter((l) => l.startsWith('-A')).length, dests: save.filter((l) => l.startsWith('-a')).length };
};
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const round = (x: number) => Math.round(x * 100) / 100;

await scenario(async (report: Record<string, unknown>) => {
  sh('ip', ['link', 'set', 'lo', 'up']);
  sh('ip', ['link', 'add', 'd0', 'type', 'dummy']);
  sh('ip', ['link', 'set', 'd0', 'up']);
  sh('ip', ['addr', 'add', '198.19.0.1/24', 'dev', 'd0']); // destinations must be unicast-routable
  sh('modprobe', ['ip_vs_wrr']);
  const config = benchConfig();
  writeFileSync('/tmp/full.restore', restoreText());
  const log = createLogger({ level: 'warn', stream: process.stderr });
  const full = { lbd: [] as number[], restore: [] as number[], ipvsadmR: [] as number[] };
  const change = { lbd: [] as number[], restore: [] as number[], ipvsadmE: [] as number[] };
  const checks: unknown[] = [];

  for (let run = 0; run < RUNS; run++) {
    // lbd: an empty table and an empty state dir, then start.
    sh('ipvsadm', ['-C']);
    rmSync('/tmp/bench-state', { recursive: true, force: true });
    mkdirSync('/tmp/bench-state');
    const pool = new BenchPool();
    const hub = new StatusHub();
    const lvs = new LvsSubsystem({ log, status: hub, stateDir: '/tmp/bench-state' }, { pool, pollIntervalMs: 3_600_000 });
    await lvs.start(config);
    const r = hub.get<LvsStatus>('lvs')!.lastReconcile!;
    if (r.errors.length || r.operations !== SERVICES * (1 + DESTS)) throw new Error(`lbd programming: ${r.operations} operations, errors ${r.errors.join('; ')}`);
    full.lbd.push(r.durationMs);
    checks.push({ run, after: 'lbd full', ...countTable() });
    // One destination's weight, one virtual server at a time (what a health change does).
    for (let k = 0; k < CHANGES; k++) {
      const vs = config.virtual_servers[(k * 97) % SERVICES]!;
      pool.weights.set(`${vs.name}/${rs(k % DESTS)}`, 2 + k);
      const before = hub.get<LvsStatus>('lvs')!.lastReconcile!.at;
      pool.emit('change', vs.name);
      const t0 = Date.now();
      while (hub.get<LvsStatus>('lvs')!.lastReconcile!.at === before) {
        if (Date.now() - t0 > 30_000) throw new Error('the pool change was not applied');
        await new Promise((res) => setImmediate(res));
      }
      const c = hub.get<LvsStatus>('lvs')!.lastReconcile!;
      if (c.operations !== 1 || c.errors.length) throw new Error(`a weight change took ${c.operations} operations (${c.errors.join('; ')})`);
      change.lbd.push(c.durationMs);
    }
    await lvs.stop();

    // ipvsadm-restore and ipvsadm -R: the same content from an empty table.
    sh('ipvsadm', ['-C']);
    full.ipvsadmR.push(await timeCommand('ipvsadm', ['-R'], '/tmp/full.restore'));
    checks.push({ run, after: 'ipvsadm -R full', ...countTable() });
    sh('ipvsadm', ['-C']);
    full.restore.push(await timeCommand('ipvsadm-restore', [], '/tmp/full.restore'));
    checks.push({ run, after: 'ipvsadm-restore full', ...countTable() });
    // One weight: ipvsadm-restore reloads everything with it changed; ipvsadm -e edits one.
    const weights = new Map<string, number>();
    for (let k = 0; k < CHANGES; k++) {
      const i = (k * 97) % SERVICES;
      weights.set(`vs${i}/${rs(k % DESTS)}`, 2 + k);
      // A whole-table reload each: three samples per run are enough.
      if (k < 3) {
        writeFileSync('/tmp/changed.restore', restoreText(weights));
        change.restore.push(await timeCommand('ipvsadm-restore', [], '/tmp/changed.restore'));
      }
      change.ipvsadmE.push(await timeCommand('ipvsadm', ['-e', '-t', `${vip(i)}:80`, '-r', `${rs(k % DESTS)}:80`, '-g', '-w', String(20 + k)]));
    }
    checks.push({ run, after: 'ipvsadm changes', ...countTable() });
  }
  // The floor under one change: a netlink round trip that does nothing in the kernel.
  const probe = await IpvsClient.open();
  const rtt: number[] = [];
  for (let i = 0; i < 30; i++) { const t0 = performance.now(); await probe.info(); rtt.push(performance.now() - t0); }
  probe.close();
  report.roundTripMs = round(median(rtt));
  sh('ipvsadm', ['-C']);
  report.services = SERVICES;
  report.destinations = SERVICES * DESTS;
  report.runs = RUNS;
  const summary = (xs: Record<string, number[]>) => Object.fromEntries(Object.entries(xs).map(([k, v]) => [k, { median: round(median(v)), runs: v.map(round) }]));
  report.full = summary(full);
  report.change = summary(change);
  report.checks = checks;
});
