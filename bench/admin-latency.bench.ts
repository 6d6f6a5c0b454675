/**
 * Web admin latency as the appliance grows: 100, 300 and 1,000 virtual services
 * × 4 real servers, with a realistic status of that size published through the
 * status hub. Measures, over HTTPS keep-alive against the real listener:
 * - GET /api/v1/status;
 * - GET / (the dashboard's first page).
 * Every tenth request is sent right after the whole status changed, so it waits
 * for the rebuild (which lbd starts as soon as the change is published).
 * There is no reference product to compare with (ref = null); the target is p99 < 50 ms.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { BenchModule, BenchResult } from './run.js';
import { Daemon } from '../src/lbd/daemon.js';
import { createLogger } from '../src/log/logger.js';
import { AdminSubsystem } from '../src/admin/subsystem.js';
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

/** Sections typed as the VRRP, health and LVS subsystems publish them, with values changing per round. */
function publish(d: Daemon, round: number, services: number): void {
  const now = new Date().toISOString();
  d.status.publish('vrrp', vrrpStatus([vrrpInstance('VI_1', {
    state: 'MASTER', masterAddress: '198.18.10.2', counters: { ...vrrpInstance('x').counters, advertsSent: round, becameMaster: 1 },
  })]));
  d.status.publish('health', healthStatus(Array.from({ length: services }, (_, i) => healthService(`vs${i}`,
    Array.from({ length: PER_SERVICE }, (_, j) => {
      const up = (i + j + round) % 97 !== 0;
      const rs = realServer(`${rsAddr(i, j)}:80`, up, { weight: up ? 1 + j : null, configured_weight: 1 + j, since: now });
      rs.checks[0]!.last = { ...rs.checks[0]!.last!, at: now, latency_ms: 0.2 + ((i * 7 + j + round) % 50) / 10 };
      return rs;
    })))));
  d.status.publish('lvs', lvsStatus(Array.from({ length: services }, (_, i) => lvsService(`vs${i}`, `tcp:${vsAddr(i)}:80`,
    Array.from({ length: PER_SERVICE }, (_, j) => lvsDestination(rsAddr(i, j), 80, {
      weight: 1 + j, activeConns: (i + round) % 40, inactiveConns: j * 3,
      stats: stats({ conns: 250 * i, inPackets: 1e6, inBytes: 1.5e8, cps: 3, inPps: 220, inBps: 2.7e5 }),
    })),
    { stats: stats({ conns: 1000 * i + round, inPackets: 5e6, inBytes: 6e8, cps: 12, inPps: 900, inBps: 1.1e6 }) }))));
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const round2 = (x: number) => Math.round(x * 100) / 100;

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
  try {
    await daemon.start();
    const ctx = admin.context!;
    const base = ctx.endpoint.url!;
    await ctx.accounts.setPassword('bench', 'a long timing password');
    const token = ctx.accounts.createToken('bench', 'bench').token;
    const sess = ctx.sessions.create('bench');
    publish(daemon, 0, services);

    const get = (path: string, headers: Record<string, string>) => new Promise<{ ms: number; bytes: number }>((resolve, reject) => {
      client.once('message', (m: { ms: number; bytes: number } | { error: string }) => ('error' in m ? reject(new Error(m.error)) : resolve(m)));
      client.postMessage({ url: `${base}${path.slice(1)}`, headers });
    });
    /**
     * n requests; before every tenth, the whole status is republished (every server's check
     * result and counters change) and the request sent at once, so it waits for the rebuild of
     * what it shows. The p50 is the steady state; the p99 is a request right after a change.
     */
    const series = async (path: string, headers: Record<string, string>, n: number) => {
      for (let i = 0; i < 5; i++) await get(path, headers); // warm-up: the first render compiles the templates
      const ms: number[] = [];
      let bytes = 0;
      for (let i = 0; i < n; i++) {
        if (i % 10 === 0) publish(daemon, i, services);
        const r = await get(path, headers);
        ms.push(r.ms);
        bytes = r.bytes;
      }
      log(`${services} services: GET ${path}: ${n} requests, ${n / 10} right after a status change, ${(bytes / 1024).toFixed(0)} KiB each`);
      return ms;
    };
    const n = quick ? 20 : 200;
    const status = await series('/api/v1/status', { authorization: `Bearer ${token}` }, n);
    const dash = await series('/', { cookie: `__Host-lbd_session=${sess.id}` }, n);

    // The figures depend on what else the machine runs: say how busy it was.
    const note = `${services} virtual services × ${PER_SERVICE} real servers; no reference product (ref = null); target p99 < 50 ms; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs during the run`;
    const out = (name: string, xs: number[]): BenchResult[] => [
      { name: `${name}-${services}vs-p50`, unit: 'ms', lbd: round2(percentile(xs, 50)), ref: null, ratio: null, runs: xs.length, note },
      { name: `${name}-${services}vs-p99`, unit: 'ms', lbd: round2(percentile(xs, 99)), ref: null, ratio: null, runs: xs.length, note },
    ];
    return [...out('admin-status-api', status), ...out('admin-dashboard', dash)];
  } finally {
    await client.terminate();
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
