/**
 * Time from a config change to the new config serving, for HAProxy and Nginx:
 * lbd's apply (preflight, the binary's check, atomic swap, graceful reload,
 * wait for the new generation) until a fresh request gets the new answer —
 * against the hand-made way on the same config text, run for run in turn:
 * write the file, `haproxy -c` / `nginx -t`, SIGUSR2 the master / `nginx -s reload`,
 * then the same polling. Each change moves the only server between two backends
 * that answer differently, so "serving" is what a client sees.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { median, ratio, type BenchResult } from './run.js';
import { createLogger } from '../src/log/logger.js';
import { StatusHub } from '../src/status/hub.js';
import { validateRaw } from '../src/config/load.js';
import type { L7Engine, L7Settings } from '../src/config/model.js';
import { proxyPaths } from '../src/proxy/paths.js';
import { renderProxyConfigs } from '../src/proxy/render.js';
import { ProxySubsystem } from '../src/proxy/subsystem.js';

const pExecFile = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

function get(port: number): Promise<string> {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, agent: false, headers: { connection: 'close' }, timeout: 2000 }, (res) => {
      let b = '';
      res.on('data', (d) => { b += d; });
      res.on('end', () => resolve(b));
    }).on('error', () => resolve('')).on('timeout', function (this: http.ClientRequest) { this.destroy(); });
  });
}

/** Poll with fresh connections until the answer is `want`; ms since `t0`. */
async function until(port: number, want: string, t0: number): Promise<number> {
  for (let i = 0; i < 20_000; i++) {
    if (await get(port) === want) return performance.now() - t0;
    await sleep(1);
  }
  throw new Error(`never answered "${want}"`);
}

function l7(engine: L7Engine, port: number, backendPort: number): L7Settings {
  const r = validateRaw({ l7: {
    frontends: { web: { engine, bind: [`127.0.0.1:${port}`], default_backend: 'app', probe: { interval: 60 } } },
    backends: { app: { servers: [{ name: 's', address: '127.0.0.1', port: backendPort }] } },
  } });
  if (!r.config) throw new Error(JSON.stringify(r.diagnostics));
  return r.config.l7;
}

interface Way { change(i: number): Promise<void>; close(): Promise<void> }

/** The hand-made way: the admin's own file, the binary's check, a signal. */
async function byHand(engine: L7Engine, dir: string, port: number, backends: number[]): Promise<Way> {
  const paths = proxyPaths(dir);
  const p = engine === 'haproxy' ? paths.haproxy : paths.nginx;
  mkdirSync(p.dir, { recursive: true });
  const text = (i: number) => renderProxyConfigs(l7(engine, port, backends[i % 2]!), paths)[engine]!.text;
  writeFileSync(p.config, text(0));
  if (engine === 'haproxy') writeFileSync(paths.haproxy.stateFile, '1\n');
  const master: ChildProcess = spawn(engine, engine === 'haproxy' ? ['-W', '-db', '-f', p.config, '-p', p.pid] : ['-c', p.config], { stdio: 'ignore', detached: true });
  await until(port, 'x', performance.now());
  return {
    change: async (i) => {
      writeFileSync(p.config, text(i));
      if (engine === 'haproxy') {
        await pExecFile('haproxy', ['-c', '-f', p.config]);
        process.kill(master.pid!, 'SIGUSR2');
      } else {
        await pExecFile('nginx', ['-q', '-t', '-c', p.config]);
        await pExecFile('nginx', ['-s', 'reload', '-c', p.config]);
      }
    },
    close: async () => { try { process.kill(-master.pid!, 'SIGKILL'); } catch { /* gone */ } },
  };
}

async function viaLbd(engine: L7Engine, dir: string, port: number, backends: number[]): Promise<Way> {
  const sub = new ProxySubsystem({ log: createLogger({ level: 'silent' }), status: new StatusHub(), stateDir: dir }, { statusIntervalMs: 60_000 });
  await sub.apply(l7(engine, port, backends[0]!));
  await until(port, 'x', performance.now());
  return {
    change: async (i) => {
      const r = (await sub.apply(l7(engine, port, backends[i % 2]!))).find((x) => x.engine === engine)!;
      if (!r.ok) throw new Error(r.error);
    },
    close: () => sub.stop(),
  };
}

/** Alternate the two ways run by run, so both see the same machine load. */
async function measure(ways: { lbd: Way; ref: Way; lbdPort: number; refPort: number }, runs: number): Promise<{ lbd: number[]; ref: number[] }> {
  const out = { lbd: [] as number[], ref: [] as number[] };
  for (let i = 1; i <= runs; i++) {
    for (const k of ['lbd', 'ref'] as const) {
      const t0 = performance.now();
      await ways[k].change(i);
      out[k].push(await until(k === 'lbd' ? ways.lbdPort : ways.refPort, i % 2 ? 'y' : 'x', t0));
      await sleep(200);
    }
  }
  return out;
}

export async function run(opts: { quick: boolean; log: (msg: string) => void }): Promise<BenchResult[]> {
  const runs = opts.quick ? 5 : 20;
  const servers = await Promise.all(['x', 'y'].map(async (name) => {
    const s = http.createServer((_q, r) => r.end(name));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return s;
  }));
  const backends = servers.map((s) => (s.address() as AddressInfo).port);
  const root = mkdtempSync(join(tmpdir(), 'lbd-bench-l7-'));
  const results: BenchResult[] = [];
  try {
    for (const engine of ['haproxy', 'nginx'] as const) {
      const [lbdPort, refPort] = [await freePort(), await freePort()];
      const lbdWay = await viaLbd(engine, join(root, `lbd-${engine}`), lbdPort, backends);
      const refWay = await byHand(engine, join(root, `ref-${engine}`), refPort, backends);
      let times;
      try { times = await measure({ lbd: lbdWay, ref: refWay, lbdPort, refPort }, runs); } finally { await lbdWay.close(); await refWay.close(); }
      const [l, r] = [median(times.lbd), median(times.ref)].map((x) => Math.round(x * 10) / 10) as [number, number];
      opts.log(`${engine}: lbd ${times.lbd.map(Math.round).join(' ')} ms; by hand ${times.ref.map(Math.round).join(' ')} ms`);
      results.push({
        name: `l7 config change → new config serving (${engine})`, unit: 'ms', lbd: l, ref: r, ratio: ratio(l, r), runs,
        note: engine === 'haproxy' ? 'ref: write cfg, haproxy -c, SIGUSR2 to the master-worker' : 'ref: write conf, nginx -t, nginx -s reload',
      });
    }
  } finally {
    for (const s of servers) { s.closeAllConnections(); s.close(); }
    rmSync(root, { recursive: true, force: true });
  }
  return results;
}
