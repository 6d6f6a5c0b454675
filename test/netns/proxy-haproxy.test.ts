/**
 * HAProxy under lbd, with real processes on loopback: balancing and weights as
 * seen by clients, check-driven failover, reloads under load, refused changes,
 * runtime operations, and the health signal when the proxy dies.
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { constants } from 'node:crypto';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { waitFor } from '../lib/netns.js';
import { createLogger } from '../../src/log/logger.js';
import { HaproxyDriver } from '../../src/proxy/drivers.js';
import { proxyPaths } from '../../src/proxy/paths.js';
import { renderHaproxy } from '../../src/proxy/render.js';
import { ProxySupervisor } from '../../src/proxy/supervisor.js';
import {
  configOf, FAST_PROBE, freePort, get, healthBecomes, makeCert, proxyHarness, RARE_PROBE, startBackend, startLoad, tally, tempDir,
  type Backend, type Harness,
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


function l7(opts: { weights?: number[]; check?: boolean; extra?: Record<string, unknown>; frontends?: Record<string, unknown>; timeouts?: Record<string, number>; probe?: Record<string, number> } = {}) {
  const w = opts.weights ?? [1, 1, 1];
  return configOf({
    l7: {
      ...(opts.timeouts ? { timeouts: opts.timeouts } : {}),
      frontends: {
        web: { engine: 'haproxy', bind: [`127.0.0.1:${port}`], default_backend: 'app', probe: opts.probe ?? RARE_PROBE },
        ...opts.frontends,
      },
      backends: {
        app: {
          ...(opts.check ? { check: { type: 'http', path: '/health', inter: 0.2, rise: 1, fall: 2 } } : {}),
          servers: backends.map((b, i) => ({ name: b.name, address: '127.0.0.1', port: b.port, weight: w[i] })),
          ...opts.extra,
        },
      },
    },
  });
}

async function started(config = l7()): Promise<Harness> {
  h = proxyHarness();
  await h.sub.start(config);
  assert.equal(h.sub.lastApply('haproxy')?.ok, true, h.sub.lastApply('haproxy')?.error);
  return h;
}

/** Counts within `tol` of the expected ones (HAProxy re-positions servers lazily after runtime weight changes). */
function near(counts: Record<string, number>, expected: Record<string, number>, tol: number): void {
  for (const k of new Set([...Object.keys(counts), ...Object.keys(expected)]))
    assert.ok(Math.abs((counts[k] ?? 0) - (expected[k] ?? 0)) <= tol, `${k}: ${counts[k] ?? 0} vs ${expected[k] ?? 0} ±${tol} in ${JSON.stringify(counts)}`);
}

const live = (hh: Harness, server: string) => hh.sub.status().backends.find((b) => b.name === 'app')!.servers.find((s) => s.name === server)!.live;

test('round-robin and weights, as the clients see them', { timeout: 60_000 }, async (t) => {
  await started(l7({ weights: [1, 1, 1] }));
  await healthBecomes(h!.sub, 'web', true); // its first probe takes a round-robin turn too
  assert.deepEqual(await tally(port, 30), { a: 10, b: 10, c: 10 });
  const r = await h!.sub.apply(l7({ weights: [1, 2, 3] }).l7);
  assert.equal(r.find((x) => x.engine === 'haproxy')!.ok, true);
  const counts = await tally(port, 60);
  t.diagnostic(`weights 1:2:3 over 60 requests: ${JSON.stringify(counts)}`);
  assert.deepEqual(counts, { a: 10, b: 20, c: 30 });
});

test('a backend killed: no client errors once HAProxy\'s check marks it down', { timeout: 60_000 }, async (t) => {
  const spare = await startBackend('d');
  backends.push(spare);
  try {
    await started(l7({ check: true }));
    await waitFor('every server UP', () => backends.every((b) => live(h!, b.name)?.status === 'UP'), 10_000);
    await spare.close();
    const killedAt = Date.now();
    await waitFor('d marked DOWN', () => live(h!, 'd')?.status === 'DOWN', 10_000, 50);
    t.diagnostic(`check marked the killed server DOWN after ${Date.now() - killedAt} ms (inter 0.2 s, fall 2); ${JSON.stringify(live(h!, 'd')!.check)}`);
    const counts = await tally(port, 60);
    assert.deepEqual(counts, { a: 20, b: 20, c: 20 });
  } finally {
    backends = backends.filter((b) => b !== spare);
  }
});

for (const keepAlive of [false, true]) test(`reloads under concurrent load lose no request (${keepAlive ? 'keep-alive clients retrying as RFC 9110 allows' : 'a new connection per request'})`, { timeout: 90_000 }, async (t) => {
  await started(l7({ weights: [1, 1, 1] }));
  const load = startLoad(port, 8, { keepAlive });
  const reloads: number[] = [];
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 300));
    const res = (await h!.sub.apply(l7({ weights: [1 + (i % 3), 1, 2] }).l7)).find((x) => x.engine === 'haproxy')!;
    assert.equal(res.ok, true, res.error);
    assert.equal(res.changed, true);
    reloads.push(res.durationMs);
  }
  await new Promise((r) => setTimeout(r, 300));
  const report = await load.stop();
  t.diagnostic(`${keepAlive ? 'keep-alive' : 'new connection each'}: ${report.sent} requests by 8 clients across ${reloads.length} reloads (${reloads.join(', ')} ms): ${report.ok} ok, ${report.failed} failed ${JSON.stringify(report.errors)}, ${report.retried} retried after a reset of a reused idle connection`);
  assert.ok(report.sent > 200, `too little load to prove anything: ${report.sent}`);
  assert.equal(report.failed, 0);
});

test('a change HAProxy refuses (missing certificate) is reported and the old config keeps serving', { timeout: 60_000 }, async () => {
  await started();
  const before = readFileSync(h!.sub.paths.haproxy.config, 'utf8');
  const generation = h!.sub.status().engines.haproxy!.generation;
  const bad = l7({ frontends: { tls: { engine: 'haproxy', bind: [`127.0.0.1:${await freePort()}`], default_backend: 'app', tls: { certificate: '/nonexistent/www.pem' } } } });
  const r = (await h!.sub.apply(bad.l7)).find((x) => x.engine === 'haproxy')!;
  assert.equal(r.ok, false);
  assert.match(r.error!, /\[ALERT\].*\/nonexistent\/www\.pem/);
  assert.equal(readFileSync(h!.sub.paths.haproxy.config, 'utf8'), before, 'the running config file is unchanged');
  assert.equal(h!.sub.status().engines.haproxy!.generation, generation);
  assert.equal(h!.sub.status().engines.haproxy!.lastApply!.ok, false);
  assert.deepEqual(await tally(port, 9), { a: 3, b: 3, c: 3 });
});

test('a new listener on a port another program holds is refused before HAProxy is touched', { timeout: 60_000 }, async (t) => {
  await started();
  const taken = await startBackend('squatter'); // holds the port without SO_REUSEPORT
  try {
    const before = readFileSync(h!.sub.paths.haproxy.config, 'utf8');
    const pid = h!.sub.status().engines.haproxy!.pid;
    const load = startLoad(port, 4);
    const bad = l7({ frontends: { more: { engine: 'haproxy', bind: [`127.0.0.1:${taken.port}`], default_backend: 'app' } } });
    const r = (await h!.sub.apply(bad.l7)).find((x) => x.engine === 'haproxy')!;
    const report = await load.stop();
    t.diagnostic(`refused after ${r.durationMs} ms: ${r.error}; meanwhile ${report.ok}/${report.sent} requests ok`);
    assert.equal(r.ok, false);
    assert.equal(r.error, `cannot listen on 127.0.0.1:${taken.port}: the address is in use by another process`);
    assert.equal(report.failed, 0);
    assert.equal(readFileSync(h!.sub.paths.haproxy.config, 'utf8'), before);
    assert.equal(h!.sub.status().engines.haproxy!.pid, pid);
    // The next good change goes through.
    const ok = (await h!.sub.apply(l7({ weights: [2, 1, 0] }).l7)).find((x) => x.engine === 'haproxy')!;
    assert.equal(ok.ok, true, ok.error);
    assert.deepEqual(await tally(port, 9), { a: 6, b: 3 });
  } finally { await taken.close(); }
});

test('a reload that fails after the binary\'s check is rolled back: previous file back, previous workers serving', { timeout: 60_000 }, async (t) => {
  // The supervisor alone, fed a config whose listener list leaves out the busy port, so that the
  // failure happens where only the reload can see it (a port taken between preflight and reload).
  const stateDir = tempDir('lbd-l7-sup');
  const paths = proxyPaths(stateDir);
  const sup = new ProxySupervisor(new HaproxyDriver(paths.haproxy), createLogger({ level: 'silent' }), { verifyTimeoutMs: 10_000 });
  const taken = await startBackend('squatter');
  try {
    const good = renderHaproxy(l7().l7, paths)!;
    assert.equal((await sup.apply(good)).ok, true);
    const bad = renderHaproxy(l7({ frontends: { more: { engine: 'haproxy', bind: [`127.0.0.1:${taken.port}`], default_backend: 'app' } } }).l7, paths)!;
    const load = startLoad(port, 4);
    const r = await sup.apply({ ...bad, listeners: good.listeners });
    const report = await load.stop();
    t.diagnostic(`rolled back after ${r.durationMs} ms: ${r.error}; during HAProxy's bind retries ${report.failed}/${report.sent} requests failed ${JSON.stringify(report.errors)}`);
    assert.equal(r.ok, false);
    assert.match(r.error!, /cannot bind socket.*127\.0\.0\.1:\d+/);
    assert.equal(readFileSync(paths.haproxy.config, 'utf8'), good.text, 'the previous file is back');
    assert.equal(sup.generation, good.generation);
    assert.equal(sup.state, 'running');
    assert.deepEqual(await tally(port, 9), { a: 3, b: 3, c: 3 });
    // A later reload (of the good file) works: the master is not stuck.
    const again = await sup.apply(renderHaproxy(l7({ weights: [1, 0, 0] }).l7, paths)!);
    assert.equal(again.ok, true, again.error);
    assert.deepEqual(await tally(port, 3), { a: 3 });
  } finally {
    await sup.stop();
    await taken.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('runtime operations: drain, maint, ready and weight without a reload, kept across reloads', { timeout: 60_000 }, async () => {
  await started();
  const pid = h!.sub.status().engines.haproxy!.pid;
  await h!.sub.setServerState('app', 'b', 'drain');
  assert.equal(live(h!, 'b')!.admin, 'drain');
  near(await tally(port, 20), { a: 10, c: 10 }, 2); // no b; a and c share
  await h!.sub.setServerState('app', 'c', 'maint');
  assert.equal(live(h!, 'c')!.status, 'MAINT');
  assert.deepEqual(await tally(port, 4), { a: 4 });
  await h!.sub.setServerState('app', 'c', 'ready');
  await h!.sub.setServerWeight('app', 'c', 3);
  assert.equal(live(h!, 'c')!.weight, 3);
  near(await tally(port, 80), { a: 20, c: 60 }, 6);
  // A reload for an unrelated change keeps b drained and c's runtime weight.
  const r = (await h!.sub.apply(l7({ timeouts: { client: 40 } }).l7)).find((x) => x.engine === 'haproxy')!;
  assert.equal(r.ok, true, r.error);
  assert.equal(h!.sub.status().engines.haproxy!.pid, pid, 'same master: a reload, not a restart');
  assert.equal(live(h!, 'b')!.admin, 'drain');
  assert.equal(live(h!, 'c')!.weight, 3);
  near(await tally(port, 80), { a: 20, c: 60 }, 6);
  await h!.sub.setServerState('app', 'b', 'ready');
  await h!.sub.setServerWeight('app', 'c', 1);
  near(await tally(port, 90), { a: 30, b: 30, c: 30 }, 6);
  await assert.rejects(h!.sub.setServerState('app', 'nope', 'drain'), /no server "nope"/);
  await assert.rejects(h!.sub.setServerState('nope', 'a', 'drain'), /no backend "nope"/);
  await assert.rejects(h!.sub.setServerWeight('app', 'a', 999), /0-256/);
});

test('a server moved to another port is reached there after the reload (saved runtime state does not pin it)', { timeout: 60_000 }, async () => {
  const moved = await startBackend('a2'); // "a" on a new port
  try {
    await started(l7({ weights: [1, 0, 0] }));
    await h!.sub.setServerState('app', 'b', 'drain'); // some runtime state to carry over
    assert.deepEqual(await tally(port, 3), { a: 3 });
    const next = l7({ weights: [1, 0, 0] });
    next.l7.backends[0]!.servers[0]!.port = moved.port;
    const r = (await h!.sub.apply(next.l7)).find((x) => x.engine === 'haproxy')!;
    assert.equal(r.ok, true, r.error);
    assert.deepEqual(await tally(port, 3), { a2: 3 });
    assert.equal(live(h!, 'b')!.admin, 'drain', 'the unchanged server kept its runtime state');
  } finally { await moved.close(); }
});

test('runtime state from an earlier lbd run applies only to servers still where they were', { timeout: 60_000 }, async () => {
  const stateDir = tempDir('lbd-l7-rerun');
  const moved = await startBackend('a2');
  try {
    h = proxyHarness({}, stateDir);
    await h.sub.start(l7({ weights: [1, 1, 0] }));
    await h.sub.setServerState('app', 'a', 'drain');
    await h.sub.setServerState('app', 'b', 'drain');
    await h.stop();
    // lbd starts again; meanwhile "a" moved to another port, "b" did not.
    const next = l7({ weights: [1, 1, 1] });
    next.l7.backends[0]!.servers[0]!.port = moved.port;
    h = proxyHarness({}, stateDir);
    await h.sub.start(next);
    assert.equal(live(h, 'b')!.admin, 'drain', 'b stays drained');
    assert.equal(live(h, 'a')!.admin, 'ready', 'a is a new server: no old state');
    // The frontend's first probe goes through round robin too: let it pass before counting exact shares.
    await healthBecomes(h.sub, 'web', true);
    assert.deepEqual(await tally(port, 6), { a2: 3, c: 3 });
  } finally {
    await moved.close();
    await h?.stop();
    h = undefined;
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('an engine no frontend uses any more is stopped and its files removed', { timeout: 60_000 }, async () => {
  await started(l7({ probe: FAST_PROBE }));
  await healthBecomes(h!.sub, 'web', true);
  const other = await freePort();
  const next = configOf({ l7: {
    frontends: { moved: { engine: 'nginx', bind: [`127.0.0.1:${other}`], default_backend: 'app', probe: RARE_PROBE } },
    backends: { app: { servers: backends.map((b) => ({ name: b.name, address: '127.0.0.1', port: b.port })) } },
  } });
  const r = await h!.sub.apply(next.l7);
  assert.deepEqual(r.map((x) => [x.engine, x.ok, x.changed]), [['haproxy', true, true], ['nginx', true, true]]);
  const st = h!.sub.status();
  assert.equal(st.engines.haproxy!.state, 'stopped');
  assert.equal(st.engines.nginx!.state, 'running');
  assert.throws(() => readFileSync(h!.sub.paths.haproxy.config));
  assert.deepEqual(Object.keys(h!.sub.health()), ['moved']);
  assert.equal((await get(port)).ok, false, 'nothing listens on the old port');
  await healthBecomes(h!.sub, 'moved', true); // its first probe takes a round-robin turn too
  assert.deepEqual(await tally(other, 3), { a: 1, b: 1, c: 1 });
});

test('the proxy killed: the health signal flips at once and the supervisor brings it back', { timeout: 60_000 }, async (t) => {
  await started(l7({ probe: FAST_PROBE }));
  await healthBecomes(h!.sub, 'web', true);
  const events: [string, boolean][] = [];
  h!.sub.on('health', (f, ok) => events.push([f, ok]));
  const pid = h!.sub.status().engines.haproxy!.pid!;
  const killedAt = Date.now();
  process.kill(-pid, 'SIGKILL'); // master and workers, like `killall -9 haproxy`
  const down = await healthBecomes(h!.sub, 'web', false, 5000);
  const up = await healthBecomes(h!.sub, 'web', true, 15_000);
  t.diagnostic(`unhealthy ${down} ms after the kill, healthy again ${Date.now() - killedAt} ms after it (${up} ms later)`);
  assert.deepEqual(events, [['web', false], ['web', true]]);
  const st = h!.sub.status().engines.haproxy!;
  assert.equal(st.state, 'running');
  assert.equal(st.restarts, 1);
  assert.notEqual(st.pid, pid);
  assert.deepEqual(await tally(port, 3), { a: 1, b: 1, c: 1 });
});

test('the health signal follows the service, not just the process: all servers down → unhealthy', { timeout: 60_000 }, async () => {
  const x = await startBackend('x');
  h = proxyHarness();
  await h.sub.start(configOf({ l7: {
    frontends: { solo: { engine: 'haproxy', bind: [`127.0.0.1:${port}`], default_backend: 'one', probe: FAST_PROBE } },
    backends: { one: { check: { type: 'tcp', inter: 0.2, fall: 1, rise: 1 }, servers: [{ name: 'x', address: '127.0.0.1', port: x.port }] } },
  } }));
  await healthBecomes(h.sub, 'solo', true);
  await x.close();
  await healthBecomes(h.sub, 'solo', false);
  assert.match(h.sub.status().frontends[0]!.lastProbe!.detail, /status 503/);
  assert.equal(h.sub.status().engines.haproxy!.state, 'running');
});

test('TLS termination, and TLS pass-through with SSL-session-id stickiness', { timeout: 60_000 }, async (t) => {
  const dir = tempDir('lbd-l7-tls');
  const cert = makeCert(dir);
  // Two HTTPS servers with session ids only (no tickets), TLS 1.2: resumption works only on the server that issued the id.
  const tlsServers = await Promise.all(['s1', 's2'].map(async (name) => {
    const srv = https.createServer({ cert: readFileSync(cert.crt), key: readFileSync(cert.key), maxVersion: 'TLSv1.2', secureOptions: constants.SSL_OP_NO_TICKET },
      (_q, res) => res.end(name));
    const sessions = new Map<string, Buffer>();
    srv.on('newSession', (id: Buffer, data: Buffer, cb: () => void) => { sessions.set(id.toString('hex'), data); cb(); });
    srv.on('resumeSession', (id: Buffer, cb: (e: Error | null, d: Buffer | null) => void) => cb(null, sessions.get(id.toString('hex')) ?? null));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    return { name, srv, port: (srv.address() as AddressInfo).port };
  }));
  try {
    const tlsPort = await freePort();
    h = proxyHarness();
    await h.sub.start(configOf({ l7: {
      frontends: {
        https: { engine: 'haproxy', bind: [`127.0.0.1:${port}`], tls: { certificate: cert.pem }, default_backend: 'app' },
        passthrough: { engine: 'haproxy', mode: 'tcp', bind: [`127.0.0.1:${tlsPort}`], default_backend: 'tls', probe: { tls: true, interval: 0.2, rise: 1 } },
      },
      backends: {
        app: { servers: backends.map((b) => ({ name: b.name, address: '127.0.0.1', port: b.port })) },
        tls: { stick: { type: 'ssl_session_id' }, check: { type: 'tcp', inter: 0.5 }, servers: tlsServers.map((s) => ({ name: s.name, address: '127.0.0.1', port: s.port })) },
      },
    } }));
    assert.equal(h.sub.lastApply('haproxy')?.ok, true, h.sub.lastApply('haproxy')?.error);
    const body = await new Promise<string>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port, rejectUnauthorized: false, agent: false }, (res) => { let b = ''; res.on('data', (d) => { b += d; }); res.on('end', () => resolve(b)); }).on('error', reject);
    });
    assert.match(body, /^[abc]$/);
    await healthBecomes(h.sub, 'passthrough', true);

    // A resumed TLS session lands on the server that holds it; without stickiness round-robin would alternate.
    const request = (session?: Buffer) => new Promise<{ name: string; reused: boolean; session?: Buffer }>((resolve, reject) => {
      let sess: Buffer | undefined;
      const s: TLSSocket = tlsConnect({ host: '127.0.0.1', port: tlsPort, rejectUnauthorized: false, maxVersion: 'TLSv1.2', session }, () => {
        s.write('GET / HTTP/1.0\r\n\r\n');
      });
      s.on('session', (x) => { sess = x; });
      let data = '';
      s.on('data', (d) => { data += d; });
      s.on('end', () => resolve({ name: data.split('\r\n\r\n')[1] ?? '', reused: s.isSessionReused(), session: sess }));
      s.on('error', reject);
    });
    const first = await request();
    assert.ok(first.session, 'the server issued a session');
    const names: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await request(first.session);
      assert.equal(r.reused, true, 'the session was resumed');
      names.push(r.name);
    }
    t.diagnostic(`first connection on ${first.name}; 6 resumed connections on ${names.join(',')}`);
    assert.deepEqual(names, Array(6).fill(first.name));
    const other = await request(); // a new session goes round-robin on
    assert.notEqual(other.name, '', 'fresh connection served');
  } finally {
    for (const s of tlsServers) { s.srv.closeAllConnections(); s.srv.close(); }
  }
});
