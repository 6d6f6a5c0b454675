/**
 * Every checker type against real servers in their own namespaces (Debian's
 * nginx, Node servers with switchable misbehaviour, TLS with openssl
 * certificates), with lbd's health subsystem running in the director namespace.
 * Each failure must take the server out of the pool, for the right reason,
 * within delay_loop + connect_timeout × (retry + 1) + delay_before_retry × retry
 * (plus a margin), and the repair must bring it back within delay_loop +
 * connect_timeout (plus the margin).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Lab, waitFor, type Link } from '../lib/netns.js';
import { HealthHarness } from '../lib/health-harness.js';
import { NginxServer, TestServer, makeCerts, type TestCerts } from '../lib/health-servers.js';

const T = { delay_loop: 1, connect_timeout: 1, retry: 1, delay_before_retry: 0.5, warmup: 0 };
const DOWN_BOUND_MS = (T.delay_loop + T.connect_timeout * (T.retry + 1) + T.delay_before_retry * T.retry) * 1000;
const UP_BOUND_MS = (T.delay_loop + T.connect_timeout) * 1000;
const MARGIN_MS = 1000;

const RS = '198.18.1.12';
const RS6 = '2001:db8:18::12';

interface Scenario {
  name: string;
  server: string; // ADDRESS:PORT as the pool shows it
  rs: Record<string, unknown>;
  /** Make the server fail; the down reason must match `reason`. Absent: a static case, down from the start. */
  fail?: () => Promise<void>;
  repair?: () => Promise<void>;
  reason: RegExp;
  /** The virtual address, when not IPv4. */
  vip?: string;
}

let lab: Lab;
let health: HealthHarness;
let certs: TestCerts;
let rsLink: Link;
let scenarios: Scenario[] = [];
const nginx: Record<string, NginxServer> = {};
const srv: Record<string, TestServer> = {};
let digest = '';
let startedAt = 0;

before(async () => {
  lab = await Lab.create('hck');
  certs = await makeCerts();
  const lb = await lab.addNs('lb');
  const r1 = await lab.addNs('r1');
  const r2 = await lab.addNs('r2');
  const r3 = await lab.addNs('r3');
  await lab.connect(lb, 'eth0', 'br0', ['198.18.1.1/24', '198.18.1.2/24', '2001:db8:18::1/64']);
  await lab.connect(r1, 'eth0', 'br0', ['198.18.1.11/24']);
  await lab.connect(r2, 'eth0', 'br0', [`${RS}/24`, `${RS6}/64`]);
  rsLink = await lab.connect(r3, 'eth0', 'br0', ['198.18.1.13/24']);

  for (const [name, port] of [['refused', 8001], ['e503', 8002], ['digest', 8003]] as const) {
    nginx[name] = new NginxServer(lab, r1, '198.18.1.11', port);
    await nginx[name].start();
  }
  const ts = async (name: string, ns: string, addr: string, port: number, tls = false) => { srv[name] = await TestServer.start(lab, ns, addr, port, tls ? certs : undefined); };
  await ts('regex', r2, RS, 9001);
  await ts('hang', r2, RS, 9002);
  await ts('trickle', r2, RS, 9003);
  await ts('close', r2, RS, 9004);
  await ts('ssl', r2, RS, 9443, true);
  await ts('ssl2', r2, RS, 9444, true);
  await ts('tcp', r2, RS, 9005);
  await ts('tcp6', r2, RS6, 9006);
  await ts('misc', r2, RS, 9007);
  await ts('bindto', r2, RS, 9008);
  await ts('multi', r2, RS, 9009);
  await ts('both', r2, RS, 9010);
  await ts('blackhole', r3, '198.18.1.13', 80);
  await srv.regex!.cmd('body <p>status: healthy</p>');
  await srv.bindto!.cmd('allow 198.18.1.2');

  // The digest as keepalived's genhash computes it, against the real nginx; it must be the MD5 of the page.
  const g = await lab.exec(lb, 'genhash', ['-s', '198.18.1.11', '-p', '8003', '-u', '/index.html'], 10_000);
  digest = g.stdout.trim().split('\n').pop()!.trim();
  assert.match(digest, /^[0-9a-f]{32}$/, `genhash said: ${g.stdout} ${g.stderr}`);
  assert.equal(digest, createHash('md5').update(readFileSync(join(nginx.digest!.dir, 'www', 'index.html'))).digest('hex'));

  const http = (port: number, url: Record<string, unknown> = { path: '/' }, extra: Record<string, unknown> = {}) =>
    ({ type: 'HTTP_GET', connect_port: port, url: [url], ...T, ...extra });
  const ssl = (extra: Record<string, unknown> = {}, port = 9443) => ({ type: 'SSL_GET', connect_port: port, url: [{ path: '/' }], ...T, ...extra });
  scenarios = [
    { name: 'nginx-refused', server: '198.18.1.11:8001', rs: { address: '198.18.1.11', port: 8001, checks: [http(8001, { path: '/index.html' })] },
      fail: () => nginx.refused!.stop(), repair: () => nginx.refused!.start(), reason: /^connection refused after 1 retry$/ },
    { name: 'nginx-503', server: '198.18.1.11:8002', rs: { address: '198.18.1.11', port: 8002, checks: [http(8002, { path: '/index.html' })] },
      fail: async () => nginx.e503!.maintenance(true), repair: async () => nginx.e503!.maintenance(false), reason: /^HTTP status 503 on \/index\.html after 1 retry$/ },
    { name: 'nginx-digest', server: '198.18.1.11:8003', rs: { address: '198.18.1.11', port: 8003, checks: [http(8003, { path: '/index.html', digest })] },
      fail: async () => nginx.digest!.setPage('<html>changed</html>\n'), repair: async () => nginx.digest!.setPage('<html><body>real server 198.18.1.11</body></html>\n'),
      reason: new RegExp(`^MD5 digest [0-9a-f]{32} instead of ${digest} on /index\\.html after 1 retry$`) },
    { name: 'regex', server: `${RS}:9001`, rs: { address: RS, port: 9001, checks: [http(9001, { path: '/', regex: 'status: health' })] },
      fail: () => srv.regex!.cmd('body <p>status: sick</p>'), repair: () => srv.regex!.cmd('body <p>status: healthy</p>'),
      reason: /^body does not match \/status: health\/ on \/ after 1 retry$/ },
    { name: 'accept-never-answer', server: `${RS}:9002`, rs: { address: RS, port: 9002, checks: [http(9002)] },
      fail: () => srv.hang!.cmd('mode hang'), repair: () => srv.hang!.cmd('mode ok'), reason: /^no response within 1 s on \/ after 1 retry$/ },
    { name: 'slow-response', server: `${RS}:9003`, rs: { address: RS, port: 9003, checks: [http(9003)] },
      fail: () => srv.trickle!.cmd('mode trickle'), repair: () => srv.trickle!.cmd('mode ok'), reason: /^response incomplete after 1 s on \/ \(\d+ bytes\) after 1 retry$/ },
    { name: 'accept-and-close', server: `${RS}:9004`, rs: { address: RS, port: 9004, checks: [http(9004)] },
      fail: () => srv.close!.cmd('mode close'), repair: () => srv.close!.cmd('mode ok'),
      reason: /^(connection closed without a response on \/|connection reset while reading the response on \/|connection reset) after 1 retry$/ },
    { name: 'tls-handshake', server: `${RS}:9443`, rs: { address: RS, port: 9443, checks: [ssl()] },
      fail: () => srv.ssl!.cmd('mode plain'), repair: () => srv.ssl!.cmd('mode ok'), reason: /^TLS handshake failed: wrong version number after 1 retry$/ },
    { name: 'tcp', server: `${RS}:9005`, rs: { address: RS, port: 9005, checks: [{ type: 'TCP_CHECK', ...T }] },
      fail: () => srv.tcp!.cmd('listen off'), repair: () => srv.tcp!.cmd('listen on'), reason: /^connection refused after 1 retry$/ },
    { name: 'tcp-ipv6', server: `[${RS6}]:9006`, vip: '2001:db8:18::100', rs: { address: RS6, port: 9006, checks: [{ type: 'TCP_CHECK', ...T }] },
      fail: () => srv.tcp6!.cmd('listen off'), repair: () => srv.tcp6!.cmd('listen on'), reason: /^connection refused after 1 retry$/ },
    { name: 'tcp-blackhole', server: '198.18.1.13:80', rs: { address: '198.18.1.13', port: 80, checks: [{ type: 'TCP_CHECK', ...T }] },
      fail: () => lab.cable(rsLink, false), repair: () => lab.cable(rsLink, true), reason: /^connect timeout after 1 s after 1 retry$/ },
    { name: 'misc-curl', server: `${RS}:9007`, rs: { address: RS, port: 9007, checks: [{ type: 'MISC_CHECK', misc_path: `curl -sf -o /dev/null --max-time 1 http://${RS}:9007/`, ...T }] },
      fail: () => srv.misc!.cmd('mode status 500'), repair: () => srv.misc!.cmd('mode ok'), reason: /^script exited 22 after 1 retry$/ },
    { name: 'bindto', server: `${RS}:9008`, rs: { address: RS, port: 9008, checks: [http(9008, { path: '/' }, { bindto: '198.18.1.2' })] },
      fail: () => srv.bindto!.cmd('allow 198.18.1.99'), repair: () => srv.bindto!.cmd('allow 198.18.1.2'), reason: /^HTTP status 403 on \/ after 1 retry$/ },
    { name: 'second-url', server: `${RS}:9009`, rs: { address: RS, port: 9009, checks: [{ ...http(9009), url: [{ path: '/' }, { path: '/two', status_code: 200 }] }] },
      fail: () => srv.multi!.cmd('mode status 201'), repair: () => srv.multi!.cmd('mode ok'), reason: /^HTTP status 201 on \/two after 1 retry$/ },
    { name: 'two-checkers', server: `${RS}:9010`, rs: { address: RS, port: 9010, checks: [http(9010), { type: 'TCP_CHECK', ...T }] },
      fail: () => srv.both!.cmd('mode status 500'), repair: () => srv.both!.cmd('mode ok'), reason: /^HTTP status 500 on \/ after 1 retry$/ },
    // Static cases: wrong from the start.
    { name: 'bindto-control', server: `${RS}:9008`, rs: { address: RS, port: 9008, checks: [http(9008)] }, reason: /^HTTP status 403 on \/ after 1 retry$/ },
    { name: 'tls-unknown-ca', server: `${RS}:9444`, rs: { address: RS, port: 9444, checks: [ssl({ tls_verify: { ca: certs.otherCa }, sni_name: 'rs.example' }, 9444)] },
      reason: /^TLS handshake failed: unable to verify the first certificate after 1 retry$/ },
    { name: 'tls-wrong-name', server: `${RS}:9444`, rs: { address: RS, port: 9444, checks: [ssl({ tls_verify: { ca: certs.caCert, name: 'wrong.example' } }, 9444)] },
      reason: /^TLS handshake failed: Hostname\/IP does not match certificate's altnames: Host: wrong\.example\. is not in the cert's altnames: DNS:rs\.example after 1 retry$/ },
  ];
  health = new HealthHarness(lab, lb);
  await health.whenReady();
  startedAt = Date.now();
  await health.start({
    virtual_servers: [
      ...scenarios.map((s, i) => ({ name: s.name, address: s.vip ?? `198.18.2.${i + 1}`, port: 80, lb_kind: 'NAT', real_servers: [s.rs] })),
      // Verified TLS with SNI: must stay up.
      { name: 'tls-verified', address: '198.18.2.200', port: 80, real_servers: [{ address: RS, port: 9444, checks: [ssl({ tls_verify: { ca: certs.caCert }, sni_name: 'rs.example' }, 9444)] }] },
    ],
  });
});

after(async () => {
  await health?.stop();
  for (const n of Object.values(nginx)) await n.remove();
  await lab?.cleanup();
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

test('static cases go down from the start with the right reason, within the bound', { timeout: 30_000 }, async (t) => {
  let worst = 0;
  await each(scenarios.filter((s) => !s.fail), async (s) => {
    const at = await health.waitDests(s.name, [], DOWN_BOUND_MS + MARGIN_MS + 3000);
    worst = Math.max(worst, at - startedAt);
    assert.ok(at - startedAt <= DOWN_BOUND_MS + MARGIN_MS, `${s.name} down after ${at - startedAt} ms`);
    const line = health.logged(new RegExp(`of ${s.name} is DOWN: `));
    assert.match(line?.replace(/^.* is DOWN: /, '') ?? '(no log line)', s.reason, s.name);
  });
  t.diagnostic(`slowest static case down ${worst} ms after start (bound ${DOWN_BOUND_MS} + ${MARGIN_MS})`);
});

test('every dynamic case passes at first, and verified TLS with SNI passes', { timeout: 30_000 }, async () => {
  const st = await waitFor('a first passing result for every check', async () => {
    const s = await health.status();
    const dynamic = s.virtual_servers.filter((v) => v.name === 'tls-verified' || scenarios.find((x) => x.name === v.name)?.fail);
    return dynamic.every((v) => v.real_servers[0]!.checks.every((c) => c.last?.ok)) && s;
  }, 10_000, 200);
  const v = st.virtual_servers.find((x) => x.name === 'tls-verified')!.real_servers[0]!;
  assert.equal(v.state, 'up');
  assert.equal(v.checks[0]!.last!.message, 'HTTP 200 on /');
  assert.ok(v.checks[0]!.last!.latency_ms > 0);
  for (const s of scenarios.filter((x) => x.fail)) assert.deepEqual(health.dests.get(s.name), [`${s.server}=1`], s.name);
});

/** Run `fn` for every scenario at once; fail with every scenario's problem, not just the first. */
async function each(list: Scenario[], fn: (s: Scenario) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(list.map(fn));
  const problems = results.flatMap((r, i) => (r.status === 'rejected' ? [`${list[i]!.name}: ${(r.reason as Error).message}`] : []));
  assert.deepEqual(problems, []);
}

test('each failure is detected within the bound, with its reason', { timeout: 60_000 }, async (tc) => {
  const took: string[] = [];
  await each(scenarios.filter((s) => s.fail), async (s) => {
    const t0 = Date.now();
    await s.fail!();
    const t = await health.waitDests(s.name, [], DOWN_BOUND_MS + MARGIN_MS + 5000, t0);
    took.push(`${s.name} ${t - t0}`);
    assert.ok(t - t0 <= DOWN_BOUND_MS + MARGIN_MS, `${s.name}: down after ${t - t0} ms (bound ${DOWN_BOUND_MS} + ${MARGIN_MS})`);
    const line = health.logs.map((l) => String(l.msg)).filter((m) => m.includes(`of ${s.name} is DOWN: `)).pop();
    assert.match(line?.replace(/^.* is DOWN: /, '') ?? '(no log line)', s.reason, s.name);
  });
  tc.diagnostic(`down after (ms, bound ${DOWN_BOUND_MS} + ${MARGIN_MS}): ${took.join(', ')}`);
  const st = await health.status();
  const hang = st.virtual_servers.find((v) => v.name === 'accept-never-answer')!.real_servers[0]!;
  assert.equal(hang.state, 'down');
  assert.equal(hang.in_pool, false);
  assert.match(hang.checks[0]!.last!.message, /^no response within 1 s on \/$/);
  // Node's timers run off the loop's cached clock, so a 1 s timeout can read 999.x ms by performance.now().
  assert.ok(hang.checks[0]!.last!.latency_ms >= 995, `latency ${hang.checks[0]!.last!.latency_ms} ms`);
});

test('each repaired server returns within delay_loop + connect_timeout', { timeout: 60_000 }, async (tc) => {
  const took: string[] = [];
  await each(scenarios.filter((s) => s.repair), async (s) => {
    const t0 = Date.now();
    await s.repair!();
    const t = await health.waitDests(s.name, [`${s.server}=1`], UP_BOUND_MS + MARGIN_MS + 5000, t0);
    took.push(`${s.name} ${t - t0}`);
    assert.ok(t - t0 <= UP_BOUND_MS + MARGIN_MS, `${s.name}: up after ${t - t0} ms (bound ${UP_BOUND_MS} + ${MARGIN_MS})`);
  });
  tc.diagnostic(`up after (ms, bound ${UP_BOUND_MS} + ${MARGIN_MS}): ${took.join(', ')}`);
});
