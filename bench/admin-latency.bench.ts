/**
 * Web admin latency as the appliance grows: 100, 300 and 1,000 virtual services
 * × 4 real servers, with a realistic status of that size published through the
 * status hub. Measures GET /api/v1/status and GET / (the dashboard's first page)
 * over HTTPS keep-alive against the real listener, from a client in a worker
 * thread, under two loads:
 * - lbd's own cadence (the target, p99 < 50 ms): the VRRP section republished every
 *   second, the health and LVS sections (every real server's check result and
 *   counters) every 5 s each, half a period apart, at the subsystems' own intervals;
 *   the client sends requests at random times (exponential gaps, mean 50 ms), so a
 *   request lands while lbd rebuilds the view as often as it would on a node.
 * - right after a change of the whole status (no target): the latency of a request
 *   sent at once, and for the API the time until a response shows the change.
 * There is no reference product to compare with (ref = null).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { BenchModule, BenchResult } from './run.js';
import { Daemon } from '../src/lbd/daemon.js';
import { createLogger } from '../src/log/logger.js';
import { AdminSubsystem } from '../src/admin/subsystem.js';
import { STATUS_INTERVAL_MS as VRRP_STATUS_INTERVAL_MS } from '../src/vrrp/engine.js';
import { STATUS_INTERVAL_MS as HEALTH_STATUS_INTERVAL_MS } from '../src/health/health-subsystem.js';
import { POLL_INTERVAL_MS as LVS_POLL_INTERVAL_MS } from '../src/lvs/subsystem.js';
import { healthService, healthStatus, lvsDestination, lvsService, lvsStatus, realServer, stats, vrrpInstance, vrrpStatus } from '../test/lib/status-fixtures.js';

const SIZES = [100, 300, 1000];
const PER_SERVICE = 4;

const vsAddr = (i: number) => `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const rsAddr = (i: number, j: number) => `198.19.${Math.floor((i * PER_SERVICE + j) / 250)}.${((i * PER_SERVICE + j) % 250) + 1}`;

function bigConfig(services: number): string {
  return stringify({
    global: { router_id: 'bench' },
    vrrp_instances: { VI_1: { interface: 'eth0', virtual_router_id: 1, priority: 100, virtual_ipaddress: ['198.18.10.1/16'] } },
    virtual_servers: Array.from({ length: services }, (_, i) => ({
      name: `vs${i}`, address: vsAddr(i), port: 80, protocol: 'TCP', lb_algo: 'wlc', lb_kind: 'DR', delay_loop: 5,
      real_servers: Array.from({ length: PER_SERVICE }, (_, j) => ({ address: rsAddr(i, j), port: 80, weight: 1 + j, checks: [{ type: 'TCP_CHECK', connect_timeout: 2 }] })),
    })),
  });
}

/*
 * Sections typed as the VRRP, health and LVS subsystems publish them, with values changing
 * per round: every real server's check result and counters, as a health round and a poll
 * of the kernel's counters change them.
 */
function publishVrrp(d: Daemon, round: number): void {
  d.status.publish('vrrp', vrrpStatus([vrrpInstance('VI_1', {
    state: 'MASTER', masterAddress: '198.18.10.2', counters: { ...vrrpInstance('x').counters, advertsSent: round, becameMaster: 1 },
  })]));
}

/** Returns the check time it published: every server's row shows it, so a reader can tell this round is visible. */
function publishHealth(d: Daemon, round: number, services: number): string {
  const now = new Date().toISOString();
  d.status.publish('health', healthStatus(Array.from({ length: services }, (_, i) => healthService(`vs${i}`,
    Array.from({ length: PER_SERVICE }, (_, j) => {
      const up = (i + j + round) % 97 !== 0;
      const rs = realServer(`${rsAddr(i, j)}:80`, up, { weight: up ? 1 + j : null, configured_weight: 1 + j, since: now });
      rs.checks[0]!.last = { ...rs.checks[0]!.last!, at: now, latency_ms: 0.2 + ((i * 7 + j + round) % 50) / 10 };
      return rs;
    })))));
  return now;
}

function publishLvs(d: Daemon, round: number, services: number): void {
  d.status.publish('lvs', lvsStatus(Array.from({ length: services }, (_, i) => lvsService(`vs${i}`, `tcp:${vsAddr(i)}:80`,
    Array.from({ length: PER_SERVICE }, (_, j) => lvsDestination(rsAddr(i, j), 80, {
      weight: 1 + j, activeConns: (i + round) % 40, inactiveConns: j * 3,
      stats: stats({ conns: 250 * i, inPackets: 1e6, inBytes: 1.5e8, cps: 3, inPps: 220, inBps: 2.7e5 }),
    })),
    { stats: stats({ conns: 1000 * i + round, inPackets: 5e6, inBytes: 6e8, cps: 12, inPps: 900, inBps: 1.1e6 }) }))));
}

function publishAll(d: Daemon, round: number, services: number): string {
  publishVrrp(d, round);
  publishLvs(d, round, services);
  return publishHealth(d, round, services);
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const round2 = (x: number) => Math.round(x * 100) / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The machine's CPU times so far (/proc/stat): `steal` is time the hypervisor gave our vCPUs to someone else. */
function cpuTimes(): { total: number; steal: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { total: f.reduce((a, b) => a + b, 0), steal: f[7] ?? 0 };
}

/** The client's mean gap between requests at lbd's cadence (ms); random gaps make arrivals independent of the changes. */
const MEAN_GAP_MS = 50;
/** Requests sent right after a change, per page and size. */
const AFTER_CHANGE = 20;

export const run: BenchModule['run'] = async ({ quick, log }) => {
  const out: BenchResult[] = [];
  // The quick run: the largest size only.
  for (const services of quick ? SIZES.slice(-1) : SIZES) out.push(...await measure(services, quick, log));
  return out;
};

async function measure(services: number, quick: boolean, log: (msg: string) => void): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'lbbench-admin-'));
  writeFileSync(join(dir, 'config.yaml'), bigConfig(services));
  let admin!: AdminSubsystem;
  const daemon = new Daemon({
    configFile: join(dir, 'config.yaml'), stateDir: join(dir, 'state'), log: createLogger({ level: 'error', stream: process.stderr }),
    admin: { listen: '127.0.0.1:0', socket: join(dir, 'lbd.sock') },
    subsystems: (c, d) => [(admin = new AdminSubsystem(c, d))],
  });
  const client = new Worker(new URL('./admin-client-worker.js', import.meta.url));
  const timers: NodeJS.Timeout[] = [];
  const stopCadence = () => { for (const t of timers.splice(0)) clearTimeout(t); };
  try {
    await daemon.start();
    const ctx = admin.context!;
    const base = ctx.endpoint.url!;
    await ctx.accounts.setPassword('bench', 'a long timing password');
    const token = ctx.accounts.createToken('bench', 'bench').token;
    const sess = ctx.sessions.create('bench');
    let round = 0;
    publishAll(daemon, round, services);

    type Reply = { ms: number; bytes: number; found: boolean };
    const get = (path: string, headers: Record<string, string>, expect?: string) => new Promise<Reply>((resolve, reject) => {
      client.once('message', (m: Reply | { error: string }) => ('error' in m ? reject(new Error(m.error)) : resolve(m)));
      client.postMessage({ url: `${base}${path.slice(1)}`, headers, expect });
    });

    /**
     * Right after a change of the whole status: the request sent at once (its latency), and for
     * the API, the time until a response shows the change (lbd builds it while it answers with
     * the previous build).
     */
    const afterChange = async (path: string, headers: Record<string, string>, api: boolean) => {
      const latency: number[] = [];
      const visible: number[] = [];
      for (let i = 0; i < (quick ? 10 : AFTER_CHANGE); i++) {
        const marker = publishAll(daemon, ++round, services);
        const t0 = performance.now();
        let r = await get(path, headers, api ? marker : undefined);
        latency.push(r.ms);
        while (api && !r.found) r = await get(path, headers, marker);
        if (api) visible.push(performance.now() - t0);
        await sleep(20);
      }
      return { latency, visible };
    };

    /** Requests at random times for `seconds` while the sections change at the subsystems' own intervals. */
    const cadence = async (path: string, headers: Record<string, string>, seconds: number) => {
      let changes = 0;
      timers.push(setInterval(() => publishVrrp(daemon, ++round), VRRP_STATUS_INTERVAL_MS));
      timers.push(setInterval(() => { changes++; publishHealth(daemon, ++round, services); }, HEALTH_STATUS_INTERVAL_MS));
      timers.push(setTimeout(() => timers.push(setInterval(() => { changes++; publishLvs(daemon, ++round, services); }, LVS_POLL_INTERVAL_MS)), LVS_POLL_INTERVAL_MS / 2));
      const ms: number[] = [];
      let bytes = 0;
      const end = Date.now() + seconds * 1000;
      while (Date.now() < end) {
        const r = await get(path, headers);
        ms.push(r.ms);
        bytes = r.bytes;
        await sleep(-Math.log(1 - Math.random()) * MEAN_GAP_MS);
      }
      stopCadence();
      log(`${services} services: GET ${path}: ${ms.length} requests in ${seconds} s while every real server's status changed ${changes} times; ${(bytes / 1024).toFixed(0)} KiB each`);
      return ms;
    };

    const seconds = quick ? 10 : services >= 1000 ? 30 : 15;
    const series = async (name: string, path: string, headers: Record<string, string>, api: boolean): Promise<BenchResult[]> => {
      for (let i = 0; i < 5; i++) await get(path, headers); // warm-up: the first render compiles the templates
      const cpu0 = cpuTimes();
      const worst = await afterChange(path, headers, api);
      const steady = await cadence(path, headers, seconds);
      const cpu1 = cpuTimes();
      const steal = (100 * (cpu1.steal - cpu0.steal)) / Math.max(1, cpu1.total - cpu0.total);
      // The figures depend on what else the machine runs: say how busy it was.
      // Steal: on a VM, stalls of 100 ms and more that no code in lbd can avoid.
      const load = `load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs, ${steal.toFixed(1)} % CPU steal`;
      const size = `${services} virtual services × ${PER_SERVICE} real servers`;
      const cadenceNote = `${size}; requests at random times while lbd's subsystems publish at their own intervals; no reference product (ref = null); target p99 < 50 ms; ${load}`;
      const worstNote = `${size}; every request sent right after the whole status changed (no target); ${load}`;
      const visibleNote = `${size}; from a change of the whole status until a response shows it (no target); ${load}`;
      const row = (suffix: string, xs: number[], p: number, note: string): BenchResult =>
        ({ name: `${name}-${services}vs-${suffix}`, unit: 'ms', lbd: round2(percentile(xs, p)), ref: null, ratio: null, runs: xs.length, note });
      return [
        row('p50', steady, 50, cadenceNote), row('p99', steady, 99, cadenceNote),
        row('after-change-p50', worst.latency, 50, worstNote), row('after-change-max', worst.latency, 100, worstNote),
        ...(api ? [row('change-visible-p50', worst.visible, 50, visibleNote), row('change-visible-max', worst.visible, 100, visibleNote)] : []),
      ];
    };
    return [
      ...await series('admin-status-api', '/api/v1/status', { authorization: `Bearer ${token}` }, true),
      ...await series('admin-dashboard', '/', { cookie: `__Host-lbd_session=${sess.id}` }, false),
    ];
  } finally {
    stopCadence();
    await client.terminate();
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
