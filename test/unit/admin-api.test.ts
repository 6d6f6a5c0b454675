import { test } from 'node:test';
import { healthService, healthStatus, lvsDestination, lvsService, lvsStatus, realServer, stats, vrrpInstance, vrrpStatus } from '../lib/status-fixtures.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { Readable } from 'node:stream';
import { startAdmin, exampleConfig, apiToken, json, type AdminHarness } from '../lib/admin.js';
import type { Config } from '../../src/config/model.js';
import type { ConfigDiff } from '../../src/config/diff.js';
import type { Subsystem } from '../../src/lbd/subsystem.js';
import { Ajv } from 'ajv';
import { StatusViewSchema, type StatusView } from '../../src/admin/status/schemas.js';
import { parseConfigText } from '../../src/config/load.js';
import { stringify } from 'yaml';
import { StatusCache } from '../../src/admin/status/cache.js';
import { StatusHub } from '../../src/status/hub.js';
import type { Daemon } from '../../src/lbd/daemon.js';

const withAdmin = async (fn: (h: AdminHarness, auth: { authorization: string }) => Promise<void>, extra?: Subsystem[]) => {
  const h = await startAdmin({ extra });
  try { await fn(h, { authorization: `Bearer ${await apiToken(h)}` }); } finally { await h.stop(); }
};

test('GET /api/v1/status shows every configured object, then what the subsystems publish', { timeout: 30_000 }, () => withAdmin(async (h, auth) => {
  const before = json<any>(await h.built.app.inject({ url: '/api/v1/status', headers: auth }));
  assert.deepEqual(before.reported, { vrrp: false, lvs: false, health: false, l7: false });
  assert.equal(before.vrrp[0].name, 'VI_WEB');
  assert.equal(before.vrrp[0].state, 'UNKNOWN');
  assert.deepEqual(before.virtual_servers[0].real_servers.map((r: any) => [r.key, r.health, r.weight_configured, r.weight]),
    [['198.18.0.11:80', 'unknown', 3, null], ['198.18.0.12:80', 'unknown', 1, null]]);

  h.daemon.status.publish('health', healthStatus([healthService('web', [
    realServer('198.18.0.11:80', true, { weight: 3, configured_weight: 3, checks: [{ ...realServer('198.18.0.11:80', true).checks[0]!, last: { ok: true, message: 'HTTP status 200 on /', latency_ms: 1.5, at: '2026-01-01T00:00:01Z' } }] }),
    realServer('198.18.0.12:80', false, { drain: true }),
  ])]));
  h.daemon.status.publish('vrrp', vrrpStatus([vrrpInstance('VI_WEB', {
    state: 'MASTER', basePriority: 150, effectivePriority: 150, masterAddress: '198.18.0.2',
    lastTransition: { at: Date.parse('2026-01-01T00:00:00Z'), from: 'BACKUP', to: 'MASTER', reason: 'master down' },
    counters: { ...vrrpInstance('x').counters, advertsSent: 10, advertsReceived: 2, becameMaster: 1, dropped: { auth: 3 } },
  })]));
  h.daemon.status.publish('lvs', lvsStatus([lvsService('web', 'tcp:198.18.0.100:80', [
    lvsDestination('198.18.0.11', 80, { weight: 3, activeConns: 7, inactiveConns: 2, stats: stats({ cps: 4, conns: 90 }) }),
  ], { stats: stats({ conns: 100, inBytes: 5000, cps: 4 }) })]));
  const v = json<any>(await h.built.app.inject({ url: '/api/v1/status', headers: auth }));
  assert.deepEqual(v.reported, { vrrp: true, lvs: true, health: true, l7: false });
  assert.deepEqual([v.vrrp[0].state, v.vrrp[0].priority, v.vrrp[0].master, v.vrrp[0].counters.dropped], ['MASTER', 150, '198.18.0.2', { auth: 3 }]);
  const [a, b] = v.virtual_servers[0].real_servers;
  assert.deepEqual([a.health, a.weight, a.active_conns, a.inactive_conns, a.last_check.latency_ms, a.rates.cps], ['up', 3, 7, 2, 1.5, 4]);
  assert.deepEqual([b.health, b.admin, b.weight, b.active_conns, b.last_check.message], ['down', 'drain', null, null, 'connection refused']);
  assert.equal(v.virtual_servers[0].up, 1);
  assert.equal(v.virtual_servers[0].counters.conns, 100);
  // The body is serialized from a cache, not by the route's serializer: it must still match the documented schema.
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  for (const view of [before, v]) assert.ok(ajv.validate(StatusViewSchema, view), JSON.stringify(ajv.errors));
  assert.equal(ajv.validate(StatusViewSchema, { ...v, vrrp: [{ ...v.vrrp[0], priority: 'high' }] }), false, 'the schema check can fail');

  // /metrics is the same view in Prometheus text.
  const m = (await h.built.app.inject({ url: '/metrics', headers: auth })).body;
  assert.match(m, /^lbd_vrrp_instance_state\{instance="VI_WEB",state="MASTER"\} 1$/m);
  assert.match(m, /^lbd_vrrp_adverts_dropped_total\{instance="VI_WEB",reason="auth"\} 3$/m);
  assert.match(m, /^lbd_real_server_up\{virtual_server="web",real_server="198\.18\.0\.11:80"\} 1$/m);
  assert.match(m, /^lbd_real_server_up\{virtual_server="web",real_server="198\.18\.0\.12:80"\} 0$/m);
  assert.match(m, /^lbd_real_server_check_latency_seconds\{virtual_server="web",real_server="198\.18\.0\.11:80"\} 0\.0015$/m);
  assert.match(m, /^lbd_virtual_server_connections_total\{virtual_server="web"\} 100$/m);
  assert.match(m, /^# TYPE lbd_vrrp_transitions_total counter$/m);
}));

test('the status view rebuilds only the parts whose sections changed, and never serves a superseded one', { timeout: 30_000 }, () => withAdmin(async (h) => {
  const view = () => h.ctx.status.view();
  h.daemon.status.publish('health', healthStatus([healthService('web', [realServer('198.18.0.11:80', true), realServer('198.18.0.12:80', true)])]));
  const first = view();
  assert.equal(first.virtual_servers[0]!.up, 2);
  h.daemon.status.publish('vrrp', vrrpStatus([vrrpInstance('VI_WEB', { state: 'MASTER' })]));
  const second = view();
  assert.notEqual(second, first);
  assert.equal(second.vrrp[0]!.state, 'MASTER', 'the new VRRP section shows at once');
  assert.equal(second.virtual_servers, first.virtual_servers, 'a VRRP update reuses the real-server rows');
  h.daemon.status.publish('health', healthStatus([healthService('web', [realServer('198.18.0.11:80', true), realServer('198.18.0.12:80', false)])]));
  const third = view();
  assert.notEqual(third.virtual_servers, second.virtual_servers);
  assert.equal(third.virtual_servers[0]!.up, 1);
  assert.equal(third.vrrp, second.vrrp, 'a health update reuses the VRRP part');
}));

test('a change after a read is built (and its JSON encoded, after an API read) before the next reader asks; unread builds are not repeated', { timeout: 30_000 }, () => withAdmin(async (h) => {
  // Its own hub, so that nothing else in the harness reads it; hub reads count the builds.
  const hub = new StatusHub();
  let reads = 0;
  const get = hub.get.bind(hub);
  hub.get = <T>(section: string) => { reads++; return get<T>(section); };
  const daemon = { running: h.daemon.running, status: hub, store: h.daemon.store, subsystemNames: () => [] } as unknown as Daemon;
  const turn = () => new Promise((r) => setImmediate(r));
  const health = (up: boolean) => healthStatus([healthService('web', [realServer('198.18.0.11:80', up), realServer('198.18.0.12:80', true)])]);

  const cache = new StatusCache(daemon, hub);
  const encodedNow = (): Buffer | undefined => cache['built']?.json;
  try {
    hub.publish('health', health(true));
    await turn();
    assert.equal(reads, 0, 'nobody has read: nothing is built');
    assert.equal(cache.view().virtual_servers[0]!.up, 2);
    const afterFirst = reads;
    assert.ok(afterFirst > 0);

    hub.publish('health', health(false));
    await turn();
    assert.ok(reads > afterFirst, 'the change was built on the next turn');
    const afterPrebuild = reads;
    assert.equal(cache.view().virtual_servers[0]!.up, 1, 'and it is the new one');
    assert.equal(reads, afterPrebuild, 'the reader did not build');
    assert.equal(encodedNow(), undefined, 'nobody read the JSON: not encoded');

    const body = cache.json();
    hub.publish('health', health(true));
    await turn();
    const encoded = encodedNow();
    assert.ok(encoded && encoded !== body, 'the API was read: the new JSON is encoded ahead of it');
    assert.equal(cache.json(), encoded);
    assert.equal(JSON.parse(encoded.toString()).virtual_servers[0].up, 2);

    // A build done ahead that nobody reads is not followed by another.
    hub.publish('health', health(false));
    await turn();
    const unread = reads;
    hub.publish('health', health(true));
    await turn();
    assert.equal(reads, unread, 'no reader since the last build: nothing built');
    assert.equal(cache.view().virtual_servers[0]!.up, 2, 'the next reader builds it');
  } finally { cache.close(); }
}));

test('a big change is built ahead in slices: meanwhile readers get the previous build at once, live notifications wait for it; a replaced config is never served stale', { timeout: 30_000 }, () => withAdmin(async (h) => {
  const hub = new StatusHub();
  let reads = 0;
  const get = hub.get.bind(hub);
  hub.get = <T>(section: string) => { reads++; return get<T>(section); };
  const services = (n: number) => parseConfigText(stringify({
    global: { router_id: 'slices' },
    virtual_servers: Array.from({ length: n }, (_, i) => ({
      name: `vs${i}`, address: `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`, port: 80, protocol: 'TCP', lb_algo: 'wlc', lb_kind: 'DR',
      real_servers: [0, 1].map((j) => ({ address: `198.19.${Math.floor((2 * i + j) / 250)}.${((2 * i + j) % 250) + 1}`, port: 80, checks: [{ type: 'TCP_CHECK' }] })),
    })),
  })).config!;
  const big = services(300);
  const daemon = { running: big, status: hub, store: h.daemon.store, subsystemNames: () => [] } as unknown as { running: Config } & Daemon;
  const health = (up: boolean) => healthStatus(big.virtual_servers.map((vs) => healthService(vs.name, vs.real_servers.map((rs) => realServer(rs.key, up)))));
  const upCount = (body: Buffer) => (JSON.parse(body.toString()) as StatusView).virtual_servers.reduce((n, v) => n + v.up, 0);
  const turn = () => new Promise((r) => setImmediate(r));

  // sliceMs 0: one step per event-loop turn, so the slices do not depend on this machine's speed.
  const cache = new StatusCache(daemon, hub, 60_000, 0);
  try {
    hub.publish('health', health(true));
    const first = cache.json();
    assert.equal(upCount(first), 600);

    hub.publish('health', health(false));
    await turn();
    const before = reads;
    assert.equal(cache.json(), first, 'the build is under way: the previous one is served at once');
    assert.equal(reads, before, 'and the reader did not build');
    let announced: number | undefined;
    cache.whenCurrent(() => { announced = upCount(cache.json()); });
    assert.equal(announced, undefined, 'a live notification waits for the build under way');
    let turns = 1;
    while (cache.json() === first) { await turn(); turns++; }
    assert.ok(turns > 10, `built over ${turns} turns`);
    assert.equal(reads, before, 'no reader built meanwhile');
    const second = cache.json();
    assert.equal(upCount(second), 0, 'then the change shows');
    assert.equal(announced, 0, 'and so does what the notification made a reader fetch');
    assert.deepEqual(JSON.parse(second.toString()), JSON.parse(JSON.stringify(cache.view())), 'the JSON encoded in slices is the view');

    hub.publish('health', health(true));
    await turn();
    daemon.running = services(1);
    assert.equal(cache.view().virtual_servers.length, 1, 'a replaced config shows in the next read, build under way or not');
    for (let i = 0; i < 100; i++) await turn();
    assert.equal(cache.view().virtual_servers.length, 1, 'and the build it cancelled never replaces it');
  } finally { cache.close(); }
}));

test('a build done ahead that throws does not take lbd down: the next reader builds at once and gets the error', { timeout: 30_000 }, () => withAdmin(async (h) => {
  const hub = new StatusHub();
  const daemon = { running: h.daemon.running, status: hub, store: h.daemon.store, subsystemNames: () => [] } as unknown as Daemon;
  const turn = () => new Promise((r) => setImmediate(r));
  const cache = new StatusCache(daemon, hub);
  try {
    hub.publish('health', healthStatus([healthService('web', [realServer('198.18.0.11:80', true)])]));
    cache.view();
    hub.publish('lvs', { services: [{ present: true, virtualServer: 'web', destinations: null }] });
    await turn();
    await turn();
    assert.throws(() => cache.view(), TypeError, 'the reader gets the error');
    hub.publish('lvs', lvsStatus([]));
    assert.equal(cache.view().virtual_servers[0]!.name, 'web', 'and the next good section is served');
  } finally { cache.close(); }
}));

test('the API\'s JSON is the view, and a VRRP update does not serialize the real-server rows again', { timeout: 30_000 }, () => withAdmin(async (h) => {
  const hub = new StatusHub();
  const daemon = { running: h.daemon.running, status: hub, store: h.daemon.store, subsystemNames: () => [] } as unknown as Daemon;
  const cache = new StatusCache(daemon, hub);
  const stringify = JSON.stringify;
  const serialized: unknown[] = [];
  try {
    JSON.stringify = ((v: unknown, ...rest: []) => { serialized.push(v); return stringify(v, ...rest); }) as typeof JSON.stringify;
    hub.publish('health', healthStatus([healthService('web', [realServer('198.18.0.11:80', true), realServer('198.18.0.12:80', false)])]));
    const first = cache.json();
    assert.deepEqual(JSON.parse(first.toString()), JSON.parse(stringify(cache.view())));
    const rows = cache.view().virtual_servers;
    assert.ok(serialized.includes(rows));
    serialized.length = 0;
    hub.publish('vrrp', vrrpStatus([vrrpInstance('VI_WEB', { state: 'MASTER' })]));
    const second = JSON.parse(cache.json().toString());
    assert.equal(second.vrrp[0].state, 'MASTER');
    assert.deepEqual(second, JSON.parse(stringify(cache.view())));
    assert.equal(cache.view().virtual_servers, rows, 'the rows were reused');
    assert.ok(!serialized.includes(rows), 'and not serialized again');
    assert.ok(serialized.includes(cache.view().vrrp), 'the VRRP part was');
  } finally {
    JSON.stringify = stringify;
    cache.close();
  }
}));

test('bad bodies are refused with 400 and a message that says what and where; nothing changes', { timeout: 30_000 }, () => withAdmin(async (h, auth) => {
  const put = (payload: unknown) => h.built.app.inject({ method: 'PUT', url: '/api/v1/config', headers: auth, payload: payload as object });
  const historyBefore = h.daemon.store.history().length;
  const cases: [unknown, RegExp][] = [
    [{ text: exampleConfig(), colour: 'blue' }, /unknown field "colour"/],
    [{ text: 42 }, /body\.text: must be string/],
    [{}, /exactly one of "text" \(YAML\) or "config"/],
    [{ text: exampleConfig().replace('port: 80\n    protocol', 'port: 70000\n    protocol') }, /virtual_servers\[0\]\.port: must be between 0 and 65535 \(got 70000\)/],
    [{ config: { virtual_servers: [{ address: '198.18.0.100', port: 70000, real_servers: [] }] } }, /config\.virtual_servers\[0\]\.port: must be between 0 and 65535/],
    [{ config: { vrrp_instancez: {} } }, /unknown key "vrrp_instancez".*did you mean "vrrp_instances"/],
    [{ text: 'global: [unclosed' }, /config\.yaml:1/],
  ];
  for (const [payload, expected] of cases) {
    const r = await put(payload);
    assert.equal(r.statusCode, 400, `${JSON.stringify(payload).slice(0, 80)} → ${r.body}`);
    const body = json<any>(r);
    assert.match(body.message + JSON.stringify(body.diagnostics ?? []), expected, r.body);
  }
  // A semantic error carries its line for the editor.
  const semantic = json<any>(await put({ text: exampleConfig().replace('priority: 150', 'priority: 255') }));
  assert.ok(semantic.diagnostics.some((d: any) => d.line === 17 && /reserved for the address owner/.test(d.message)), JSON.stringify(semantic));
  assert.equal(readFileSync(h.configFile, 'utf8'), exampleConfig(), 'the config file is untouched');
  assert.equal(h.daemon.store.history().length, historyBefore, 'no revision was recorded');
  assert.equal(h.daemon.running!.vrrp_instances[0]!.priority, 150, 'the running config is unchanged');
}));

test('validate previews, apply is atomic and guarded, rollback restores the exact previous revision', { timeout: 30_000 }, () => withAdmin(async (h, auth) => {
  const original = exampleConfig();
  const next = original.replace('weight: 1', 'weight: 5');
  const preview = json<any>(await h.built.app.inject({ method: 'POST', url: '/api/v1/config/validate', headers: auth, payload: { text: next } }));
  assert.equal(preview.valid, true);
  assert.equal(preview.changes, 'virtual_servers ~web');
  assert.match(preview.diff, /^-        weight: 1$/m);
  assert.match(preview.diff, /^\+        weight: 5$/m);
  assert.equal(readFileSync(h.configFile, 'utf8'), original, 'validate writes nothing');

  const stale = await h.built.app.inject({ method: 'PUT', url: '/api/v1/config', headers: auth, payload: { text: next, base_sha256: '0'.repeat(64) } });
  assert.equal(stale.statusCode, 409);
  assert.equal(readFileSync(h.configFile, 'utf8'), original);

  const applied = await h.built.app.inject({ method: 'PUT', url: '/api/v1/config', headers: auth, payload: { text: next, reason: 'web2 upgraded', base_sha256: preview.base_sha256 } });
  assert.equal(applied.statusCode, 200, applied.body);
  const { revision } = json<any>(applied);
  assert.equal(readFileSync(h.configFile, 'utf8'), next);
  assert.equal(h.daemon.running!.virtual_servers[0]!.real_servers[1]!.weight, 5);
  const hist = json<any[]>(await h.built.app.inject({ url: '/api/v1/config/history', headers: auth }));
  assert.deepEqual([hist[0].id, hist[0].user, hist[0].reason], [revision, 'alice (token ' + h.ctx.accounts.tokens()[0]!.name + ')', 'web2 upgraded']);

  const previous = hist[1];
  const rb = await h.built.app.inject({ method: 'POST', url: `/api/v1/config/history/${previous.id}/rollback`, headers: auth, payload: {} });
  assert.equal(rb.statusCode, 200, rb.body);
  const now = json<any>(await h.built.app.inject({ url: '/api/v1/config', headers: auth }));
  assert.equal(now.text, original, 'the exact text of the previous revision');
  assert.equal(now.sha256, previous.sha256);
  assert.equal(h.daemon.running!.virtual_servers[0]!.real_servers[1]!.weight, 1);
  assert.equal((await h.built.app.inject({ method: 'POST', url: '/api/v1/config/history/999/rollback', headers: auth, payload: {} })).statusCode, 404);

  // Each change is in the audit log with who and what.
  const audit = json<any[]>(await h.built.app.inject({ url: '/api/v1/audit', headers: auth }));
  assert.deepEqual(audit.slice(0, 3).map((e) => [e.action, e.result]), [['config.rollback', 'ok'], ['config.apply', 'ok'], ['config.apply', 'refused']]);
}));

/** Stand-ins with the operation methods the real subsystems will have: they record calls so the routing is checked. */
class RecordingSubsystem implements Subsystem {
  calls: unknown[][] = [];
  constructor(readonly name: string) {}
  async start(_c: Config) {}
  async reload(_c: Config, _d: ConfigDiff) {}
  async stop() {}
  setMaintenance(on: boolean) { this.calls.push(['setMaintenance', on]); }
  drain(a: string, b: string) { this.calls.push(['drain', a, b]); }
  disable(a: string, b: string) { this.calls.push(['disable', a, b]); }
  enable(a: string, b: string) { this.calls.push(['enable', a, b]); }
  setWeight(a: string, b: string, w: number) { this.calls.push(['setWeight', a, b, w]); }
  async reload2() {}
}

test('operations go to the owning subsystem, 503 when it is not running, 404 for unknown targets', { timeout: 30_000 }, async () => {
  await withAdmin(async (h, auth) => {
    const r = await h.built.app.inject({ method: 'POST', url: '/api/v1/ops/maintenance', headers: auth, payload: { on: true } });
    assert.equal(r.statusCode, 503);
    assert.match(json<any>(r).message, /the vrrp subsystem is not running/);
    const d = await h.built.app.inject({ method: 'POST', url: '/api/v1/ops/real-server', headers: auth, payload: { virtual_server: 'web', real_server: '198.18.0.11:80', action: 'drain' } });
    assert.equal(d.statusCode, 503);
    assert.equal(json<any[]>(await h.built.app.inject({ url: '/api/v1/audit', headers: auth }))[0].result, 'refused');
  });
  const vrrp = new RecordingSubsystem('vrrp');
  const health = new RecordingSubsystem('health');
  await withAdmin(async (h, auth) => {
    const post = (url: string, payload: object) => h.built.app.inject({ method: 'POST', url, headers: auth, payload });
    assert.equal((await post('/api/v1/ops/maintenance', { on: true })).statusCode, 200);
    assert.equal((await post('/api/v1/ops/real-server', { virtual_server: 'web', real_server: '198.18.0.12:80', action: 'weight', weight: 7 })).statusCode, 200);
    assert.equal((await post('/api/v1/ops/real-server', { virtual_server: 'web', real_server: '198.18.0.12:80', action: 'drain' })).statusCode, 200);
    assert.deepEqual(vrrp.calls, [['setMaintenance', true]]);
    assert.deepEqual(health.calls, [['setWeight', 'web', '198.18.0.12:80', 7], ['drain', 'web', '198.18.0.12:80']]);
    const unknown = await post('/api/v1/ops/real-server', { virtual_server: 'web', real_server: '198.18.0.99:80', action: 'enable' });
    assert.equal(unknown.statusCode, 404);
    assert.match(json<any>(unknown).message, /no real server 198\.18\.0\.99:80 \(known: 198\.18\.0\.11:80, 198\.18\.0\.12:80\)/);
    assert.equal((await post('/api/v1/ops/real-server', { virtual_server: 'web', real_server: '198.18.0.12:80', action: 'weight' })).statusCode, 400);
    assert.equal((await post('/api/v1/ops/real-server', { virtual_server: 'web', real_server: '198.18.0.12:80', action: 'explode' })).statusCode, 400);
    assert.equal((await post('/api/v1/ops/proxy/reload', {})).statusCode, 503);
    assert.equal(health.calls.length, 2, 'refused requests never reached the subsystem');
  }, [vrrp, health]);
});

test('support bundle holds config, status, logs and system facts, and no secret', { timeout: 60_000 }, () => withAdmin(async (h, auth) => {
  await h.ctx.accounts.setPassword('bob', 'another long password');
  const withSecrets = exampleConfig().replace('smtp_server: 198.18.0.25', 'smtp_server: 198.18.0.25\n  smtp_password: hunter2hunter2');
  assert.equal((await h.built.app.inject({ method: 'PUT', url: '/api/v1/config', headers: auth, payload: { text: withSecrets } })).statusCode, 200);
  const token = auth.authorization.slice(7);
  h.daemon.log.info({ token, password: 'pw-in-log-1234' }, 'a line with secrets in fields');
  const r = await h.built.app.inject({ url: '/api/v1/support-bundle', headers: auth });
  assert.equal(r.statusCode, 200);
  assert.match(String(r.headers['content-disposition']), /attachment; filename="lbd-support-lb1-.*\.tar\.gz"/);
  const files = new Map<string, string>();
  await new Promise<void>((resolve, reject) => {
    const ex = extract();
    ex.on('entry', (hdr, stream, next) => { const chunks: Buffer[] = []; stream.on('data', (c) => { chunks.push(c as Buffer); }); stream.on('end', () => { files.set(hdr.name.split('/').pop()!, Buffer.concat(chunks).toString()); next(); }); });
    ex.on('finish', resolve); ex.on('error', reject);
    Readable.from(gunzipSync(r.rawPayload)).pipe(ex);
  });
  assert.deepEqual([...files.keys()].sort(), ['README.txt', 'audit.jsonl', 'config.yaml', 'history.json', 'logs.jsonl', 'running-config.json', 'status-sections.json', 'status.json', 'system.json']);
  assert.match(files.get('config.yaml')!, /auth_pass: "\[redacted\]"/);
  assert.match(files.get('config.yaml')!, /smtp_password: "\[redacted\]"/);
  assert.match(files.get('config.yaml')!, /^# Two-node LVS direct routing/, 'comments are kept');
  assert.match(files.get('system.json')!, /"kernel"/);
  const all = [...files.values()].join('\n');
  for (const secret of ['s3cret', 'hunter2hunter2', token, 'pw-in-log-1234', readFileSync(`${h.dir}/state/admin/accounts.json`, 'utf8').match(/scrypt\$[^"]+/)![0]])
    assert.ok(!all.includes(secret), `bundle leaks ${secret.slice(0, 12)}…`);
}));

test('logs: filter by level, subsystem and text; OpenAPI document from the same schemas', { timeout: 30_000 }, () => withAdmin(async (h, auth) => {
  h.daemon.log.child({ subsystem: 'health' }).warn('real server 198.18.0.11:80 down');
  h.daemon.log.child({ subsystem: 'vrrp' }).info('VI_WEB became MASTER');
  const get = async (q: string) => json<any[]>(await h.built.app.inject({ url: `/api/v1/logs?${q}`, headers: auth })).map((l) => l.msg);
  assert.deepEqual(await get('level=warn&subsystem=health'), ['real server 198.18.0.11:80 down']);
  assert.deepEqual(await get('q=became%20master'), ['VI_WEB became MASTER']);
  assert.equal((await h.built.app.inject({ url: '/api/v1/logs?level=loud', headers: auth })).statusCode, 400);

  const doc = json<any>(await h.built.app.inject({ url: '/api/v1/openapi.json', headers: auth }));
  assert.equal(doc.openapi, '3.0.3');
  for (const p of ['/api/v1/status', '/api/v1/config', '/api/v1/config/history/{id}/rollback', '/api/v1/ops/real-server', '/api/v1/users/{name}/password', '/metrics'])
    assert.ok(doc.paths[p], `OpenAPI describes ${p}`);
  assert.ok(!doc.paths['/login'] && !doc.paths['/config/raw'], 'pages are not in the API document');
  // The config body is the config schema itself (same definition as config files).
  const schemas = JSON.stringify(doc.components.schemas);
  assert.match(schemas, /virtual_router_id/);
  assert.match(schemas, /"lb_algo"/);
}));
