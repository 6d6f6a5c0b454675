/**
 * Nginx under lbd, with real processes on loopback: weights as the clients see
 * them, passive failover, reloads under load, refused changes, tcp (stream)
 * frontends, and the health signal when the master dies.
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import {
  configOf, FAST_PROBE, freePort, healthBecomes, proxyHarness, RARE_PROBE, startBackend, startLoad, tally, type Backend, type Harness,
} from '../lib/proxy.js';

let backends: Backend[] = [];
let h: Harness | undefined;
let port: number;

before(async () => {
  backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n)));
  port = await freePort();
});
after(async () => { await Promise.all(backends.map((b) => b.close())); });
afterEach(async () => { await h?.stop(); h = undefined; });


function l7(opts: { weights?: number[]; servers?: Backend[]; frontends?: Record<string, unknown>; probe?: Record<string, number>; extra?: Record<string, unknown> } = {}) {
  const w = opts.weights ?? [1, 1, 1];
  return configOf({
    l7: {
      frontends: {
        web: { engine: 'nginx', bind: [`127.0.0.1:${port}`], default_backend: 'app', probe: opts.probe ?? RARE_PROBE },
        ...opts.frontends,
      },
      backends: { app: { servers: (opts.servers ?? backends).map((b, i) => ({ name: b.name, address: '127.0.0.1', port: b.port, weight: w[i] })), ...opts.extra } },
    },
  });
}

async function started(config = l7()): Promise<Harness> {
  h = proxyHarness();
  await h.sub.start(config);
  assert.equal(h.sub.lastApply('nginx')?.ok, true, h.sub.lastApply('nginx')?.error);
  return h;
}

const nginxResult = async (config: ReturnType<typeof l7>) => (await h!.sub.apply(config.l7)).find((x) => x.engine === 'nginx')!;

test('round-robin and weights, as the clients see them (shared zone: one balancing state for all workers)', { timeout: 60_000 }, async (t) => {
  await started(l7({ weights: [1, 1, 1] }));
  await healthBecomes(h!.sub, 'web', true); // its first probe takes a round-robin turn too
  assert.deepEqual(await tally(port, 30), { a: 10, b: 10, c: 10 });
  assert.equal((await nginxResult(l7({ weights: [1, 2, 3] }))).ok, true);
  const counts = await tally(port, 60);
  t.diagnostic(`weights 1:2:3 over 60 requests: ${JSON.stringify(counts)}`);
  assert.deepEqual(counts, { a: 10, b: 20, c: 30 });
});

test('a backend killed: Nginx passes the request to the next server, no client error', { timeout: 60_000 }, async () => {
  const d = await startBackend('d');
  try {
    await started(l7({ servers: [...backends, d], weights: [1, 1, 1, 1] }));
    await healthBecomes(h!.sub, 'web', true);
    assert.deepEqual(await tally(port, 8), { a: 2, b: 2, c: 2, d: 2 });
    await d.close();
    const counts = await tally(port, 60);
    assert.equal(Object.keys(counts).filter((k) => k.startsWith('error')).length, 0, JSON.stringify(counts));
    assert.equal(counts.d, undefined);
  } finally { await d.close(); }
});

for (const keepAlive of [false, true]) test(`reloads under concurrent load lose no request (${keepAlive ? 'keep-alive clients retrying as RFC 9110 allows' : 'a new connection per request'})`, { timeout: 90_000 }, async (t) => {
  await started();
  const load = startLoad(port, 8, { keepAlive });
  const reloads: number[] = [];
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 300));
    const r = await nginxResult(l7({ weights: [1 + (i % 3), 1, 2] }));
    assert.equal(r.ok, true, r.error);
    reloads.push(r.durationMs);
  }
  await new Promise((r) => setTimeout(r, 300));
  const report = await load.stop();
  t.diagnostic(`${keepAlive ? 'keep-alive' : 'new connection each'}: ${report.sent} requests by 8 clients across ${reloads.length} reloads (${reloads.join(', ')} ms): ${report.ok} ok, ${report.failed} failed ${JSON.stringify(report.errors)}, ${report.retried} retried after a reset of a reused idle connection`);
  assert.ok(report.sent > 200, `too little load to prove anything: ${report.sent}`);
  assert.equal(report.failed, 0);
});

test('a change Nginx refuses (missing certificate) is reported with its message; the old config keeps serving', { timeout: 60_000 }, async () => {
  await started();
  const before = readFileSync(h!.sub.paths.nginx.config, 'utf8');
  const pid = h!.sub.status().engines.nginx!.pid;
  const bad = l7({ frontends: { tls: { engine: 'nginx', bind: [`127.0.0.1:${await freePort()}`], default_backend: 'app', tls: { certificate: '/nonexistent/www.pem' } } } });
  const r = await nginxResult(bad);
  assert.equal(r.ok, false);
  assert.match(r.error!, /\[emerg\].*\/nonexistent\/www\.pem/);
  assert.equal(readFileSync(h!.sub.paths.nginx.config, 'utf8'), before);
  assert.equal(h!.sub.status().engines.nginx!.pid, pid);
  assert.deepEqual(await tally(port, 9), { a: 3, b: 3, c: 3 });
});

test('tcp frontends (stream module): connections balanced by weight', { timeout: 60_000 }, async () => {
  const tcp: Server[] = [];
  const ports: number[] = [];
  for (const name of ['t1', 't2']) {
    const s = createServer((c) => c.end(name));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    tcp.push(s);
    ports.push((s.address() as AddressInfo).port);
  }
  try {
    const tcpPort = await freePort();
    await started(configOf({ l7: {
      frontends: { db: { engine: 'nginx', mode: 'tcp', bind: [`127.0.0.1:${tcpPort}`], default_backend: 'pool', probe: FAST_PROBE } },
      backends: { pool: { servers: [{ name: 't1', address: '127.0.0.1', port: ports[0], weight: 1 }, { name: 't2', address: '127.0.0.1', port: ports[1], weight: 3 }] } },
    } }));
    await healthBecomes(h!.sub, 'db', true);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const name = await new Promise<string>((resolve, reject) => {
        let d = '';
        connect(tcpPort, '127.0.0.1').on('data', (x) => { d += x; }).on('end', () => resolve(d)).on('error', reject);
      });
      counts[name] = (counts[name] ?? 0) + 1;
    }
    // The probe shares the balancing: allow it a few turns.
    assert.ok(counts.t1! >= 8 && counts.t1! <= 12 && counts.t1! + counts.t2! === 40, JSON.stringify(counts));
  } finally { for (const s of tcp) s.close(); }
});

test('the master killed: the health signal flips at once; its orphaned workers go and Nginx comes back', { timeout: 60_000 }, async (t) => {
  await started(l7({ probe: FAST_PROBE }));
  await healthBecomes(h!.sub, 'web', true);
  const pid = h!.sub.status().engines.nginx!.pid!;
  const killedAt = Date.now();
  process.kill(pid, 'SIGKILL'); // the master only: its workers would keep the port
  const down = await healthBecomes(h!.sub, 'web', false, 5000);
  await healthBecomes(h!.sub, 'web', true, 15_000);
  t.diagnostic(`unhealthy ${down} ms after the kill, serving again ${Date.now() - killedAt} ms after it`);
  const st = h!.sub.status().engines.nginx!;
  assert.equal(st.state, 'running');
  assert.equal(st.restarts, 1);
  assert.notEqual(st.pid, pid);
  assert.equal((await tally(port, 3)).a, 1);
});

test('every server down: the frontend answers 502 and the health signal says so', { timeout: 60_000 }, async () => {
  const x = await startBackend('x');
  await started(l7({ servers: [x], probe: FAST_PROBE }));
  await healthBecomes(h!.sub, 'web', true);
  await x.close();
  await healthBecomes(h!.sub, 'web', false);
  assert.match(h!.sub.status().frontends[0]!.lastProbe!.detail, /status 502/);
  assert.equal(h!.sub.status().engines.nginx!.state, 'running');
});
