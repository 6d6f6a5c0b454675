/**
 * Helpers for the proxy tests: throw-away TLS certificates, HTTP backends that
 * name themselves, a bounded load generator that counts every request, and a
 * ProxySubsystem whose processes die with the test run even if it fails.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer as netServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/log/logger.js';
import { StatusHub } from '../../src/status/hub.js';
import { validateRaw } from '../../src/config/load.js';
import { errorsOf } from '../../src/config/diagnostics.js';
import type { Config } from '../../src/config/model.js';
import { ProxySubsystem, type ProxyOptions } from '../../src/proxy/subsystem.js';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}

/** A self-signed certificate: combined PEM (HAProxy), and separate .crt/.key (Nginx). */
export function makeCert(dir: string, cn = 'lbd-test'): { pem: string; crt: string; key: string } {
  const crt = join(dir, `${cn}.crt`), key = join(dir, `${cn}.key`), pem = join(dir, `${cn}.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '2', '-subj', `/CN=${cn}`], { stdio: 'ignore' });
  writeFileSync(pem, execFileSync('cat', [crt, key]));
  return { pem, crt, key };
}

/** Probes go through the frontend too: tests that count exact shares probe rarely (once at start). */
export const RARE_PROBE = { interval: 60, timeout: 1, rise: 1 };
export const FAST_PROBE = { interval: 0.2, timeout: 1, rise: 1, fall: 2 };

/**
 * A port free on 127.0.0.1 right now (tests bind loopback only), taken below the kernel's
 * ephemeral range (32768+): a port the kernel handed out by bind(0) is soon handed out again,
 * to the outgoing connection of a client or a health probe, and the proxy's bind to it fails.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const s = netServer();
    const ok = await new Promise<boolean>((r) => { s.once('error', () => r(false)); s.listen(port, '127.0.0.1', () => r(true)); });
    if (ok) { await new Promise((r) => s.close(r)); return port; }
  }
}

export interface Backend { name: string; port: number; server: http.Server; close(): Promise<void> }

/** An HTTP server on 127.0.0.1 that answers every request with its name (and 200 on /health). */
export async function startBackend(name: string, port = 0): Promise<Backend> {
  const server = http.createServer((req, res) => {
    res.setHeader('x-backend', name);
    res.end(name);
    void req;
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    name, port: (server.address() as AddressInfo).port, server,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export interface GetResult { ok: boolean; status?: number; body?: string; error?: string }

/** One GET on a new connection (Connection: close), bounded by timeoutMs. */
export function get(port: number, path = '/', headers: Record<string, string> = {}, timeoutMs = 5000, host = '127.0.0.1'): Promise<GetResult> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path, agent: false, headers: { connection: 'close', ...headers }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ ok: res.statusCode === 200, status: res.statusCode, body }));
      res.on('error', (e) => resolve({ ok: false, error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ ok: false, error: e.message }));
  });
}

/** Names of the backends that answered n sequential requests, counted. */
export async function tally(port: number, n: number, headers: Record<string, string> = {}): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await get(port, '/', headers);
    const k = r.ok ? r.body! : `error:${r.status ?? r.error}`;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

export interface LoadReport { sent: number; ok: number; failed: number; errors: Record<string, number>; retried: number }

/** Requests each socket carried: a keep-alive socket is "reused" from its second request on. */
const socketUses = new WeakMap<object, number>();

/**
 * One GET over a keep-alive agent. A reset of a reused connection before any answer is retried
 * once, as RFC 9110 9.2.2 allows for idempotent requests: the server may close an idle connection
 * just as the request goes out — what an old proxy process does at a reload. (Node's
 * `req.reusedSocket` misses sockets handed straight to a queued request, so uses are counted here.)
 */
function getKeepAlive(port: number, agent: http.Agent, report: LoadReport): Promise<GetResult> {
  return new Promise((resolve) => {
    let reused = false;
    const req = http.get({ host: '127.0.0.1', port, agent, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ok: res.statusCode === 200, status: res.statusCode }));
      res.on('error', (e) => resolve({ ok: false, error: e.message }));
    });
    req.on('socket', (sock) => {
      const n = (socketUses.get(sock) ?? 0) + 1;
      socketUses.set(sock, n);
      reused = n > 1;
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (reused && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) {
        // Retried once, on a new connection (other pooled ones may be closing too).
        report.retried++;
        resolve(get(port));
      } else resolve({ ok: false, error: `${e.message} (${e.code}, ${reused ? 'reused' : 'new'} connection)` });
    });
  });
}

/**
 * `concurrency` clients sending requests back to back until stop() — every request is counted.
 * Default: a new connection per request; keepAlive: clients reuse connections (and retry as above).
 */
export function startLoad(port: number, concurrency: number, opts: { keepAlive?: boolean } = {}): { stop(): Promise<LoadReport> } {
  const report: LoadReport = { sent: 0, ok: 0, failed: 0, errors: {}, retried: 0 };
  const agent = opts.keepAlive ? new http.Agent({ keepAlive: true, maxSockets: concurrency }) : undefined;
  let running = true;
  const worker = async () => {
    while (running) {
      report.sent++;
      const r = agent ? await getKeepAlive(port, agent, report) : await get(port);
      if (r.ok) report.ok++;
      else { report.failed++; const k = r.error ?? `status ${r.status}`; report.errors[k] = (report.errors[k] ?? 0) + 1; }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return { stop: async () => { running = false; await Promise.all(workers); agent?.destroy(); return report; } };
}

/** Validate a raw config object; throws with the diagnostics when invalid. */
export function configOf(raw: unknown): Config {
  const r = validateRaw(raw);
  if (errorsOf(r.diagnostics).length) throw new Error(`invalid test config: ${JSON.stringify(r.diagnostics)}`);
  return r.config!;
}

const live = new Set<ProxySubsystem>();
process.on('exit', () => {
  // A failed test must not leave proxies behind: kill each engine's process group.
  for (const sub of live) for (const pid of [sub.status().engines.haproxy?.pid, sub.status().engines.nginx?.pid]) {
    if (pid) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
  }
});

export interface Harness { sub: ProxySubsystem; hub: StatusHub; stateDir: string; stop(): Promise<void> }

/** A ProxySubsystem on a fresh state dir (or `stateDir`, which is then left in place), quick timers for tests. */
export function proxyHarness(opts: ProxyOptions = {}, given?: string): Harness {
  const stateDir = given ?? tempDir('lbd-l7');
  const hub = new StatusHub();
  const log = createLogger({ level: process.env.LBD_TEST_LOG ? 'debug' : 'silent' });
  const sub = new ProxySubsystem({ log, status: hub, stateDir }, { backoffMs: { first: 200, max: 2000 }, statusIntervalMs: 500, ...opts });
  live.add(sub);
  return {
    sub, hub, stateDir,
    stop: async () => { await sub.stop(); live.delete(sub); if (!given) rmSync(stateDir, { recursive: true, force: true }); },
  };
}

/** Wait for the next 'health' event of `frontend` with value `ok` (or its current verdict already being it). */
export function healthBecomes(sub: ProxySubsystem, frontend: string, ok: boolean, timeoutMs = 15_000): Promise<number> {
  const start = Date.now();
  if (sub.health()[frontend] === ok) return Promise.resolve(0);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { sub.off('health', on); reject(new Error(`frontend ${frontend} did not become ${ok ? 'healthy' : 'unhealthy'} within ${timeoutMs} ms`)); }, timeoutMs);
    const on = (f: string, v: boolean) => { if (f === frontend && v === ok) { clearTimeout(t); sub.off('health', on); resolve(Date.now() - start); } };
    sub.on('health', on);
  });
}
