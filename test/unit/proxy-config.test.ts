/** The l7 config model: defaults, and the rules a schema cannot express (per engine, per mode). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateRaw } from '../../src/config/load.js';
import { errorsOf, warningsOf } from '../../src/config/diagnostics.js';

const server = (name: string, extra: Record<string, unknown> = {}) => ({ name, address: '198.18.0.21', port: 8080, ...extra });

function l7(frontends: Record<string, unknown>, backends: Record<string, unknown>, more: Record<string, unknown> = {}) {
  return validateRaw({ l7: { frontends, backends, ...more } });
}
const fe = (extra: Record<string, unknown> = {}) => ({ engine: 'haproxy', bind: ['198.18.0.120:80'], default_backend: 'app', ...extra });
const be = (extra: Record<string, unknown> = {}) => ({ servers: [server('a1'), server('a2')], ...extra });

function errorsAt(r: ReturnType<typeof validateRaw>, path: string): string[] {
  return errorsOf(r.diagnostics).filter((d) => (d.path ?? []).join('.') === path).map((d) => d.message);
}

test('defaults are filled in (HAProxy\'s where it has one)', () => {
  const r = l7({ web: fe() }, { app: be({ check: { type: 'http' }, stick: { type: 'cookie' } }) });
  assert.deepEqual(errorsOf(r.diagnostics), []);
  const c = r.config!.l7;
  assert.deepEqual(c.timeouts, { connect: 5, client: 50, server: 50, http_request: 10, http_keep_alive: 10, queue: 30, tunnel: 3600 });
  const f = c.frontends[0]!;
  assert.equal(f.mode, 'http');
  assert.equal(f.forwardfor, true);
  assert.deepEqual(f.probe, { path: '/', host: undefined, status: [[200, 499]], tls: false, interval: 2, timeout: 2, rise: 2, fall: 2 });
  const b = c.backends[0]!;
  assert.equal(b.mode, 'http');
  assert.deepEqual(b.engines, ['haproxy']);
  assert.equal(b.balance, 'roundrobin');
  assert.deepEqual(b.check, { type: 'http', path: '/', host: undefined, status: [[200, 399]], ssl: false, port: undefined, inter: 2, rise: 2, fall: 3 });
  assert.deepEqual(b.stick, { type: 'cookie', cookie: 'SERVERID', expire: 1800, size: 100000 });
  assert.deepEqual(b.servers[0], { name: 'a1', address: '198.18.0.21', port: 8080, weight: 1, backup: false, maxconn: undefined, max_fails: 1, fail_timeout: 10 });
});

test('a backend takes the mode and engines of the frontends that use it; rule hosts are lower-cased', () => {
  const r = l7({
    t: fe({ mode: 'tcp', bind: ['198.18.0.120:5432'], default_backend: 'db' }),
    n: fe({ engine: 'nginx', bind: ['198.18.0.121:80'], rules: [{ host: 'API.Example.COM', backend: 'api' }] }),
  }, { db: be(), api: be(), app: be() });
  assert.deepEqual(errorsOf(r.diagnostics), []);
  const b = Object.fromEntries(r.config!.l7.backends.map((x) => [x.name, x]));
  assert.equal(b.db!.mode, 'tcp');
  assert.deepEqual(b.api!.engines, ['nginx']);
  assert.deepEqual(r.config!.l7.frontends[1]!.rules[0]!.host, ['api.example.com']);
  assert.equal(r.config!.l7.frontends[0]!.forwardfor, false);
});

const cases: { name: string; r: () => ReturnType<typeof validateRaw>; path: string; message: RegExp }[] = [
  { name: 'unknown default backend, with a suggestion', r: () => l7({ web: fe({ default_backend: 'ap' }) }, { app: be() }), path: 'l7.frontends.web.default_backend', message: /backend "ap" is not defined in l7.backends \(did you mean "app"\?\)/ },
  { name: 'unknown rule backend', r: () => l7({ web: fe({ rules: [{ path_prefix: '/x', backend: 'nope' }] }) }, { app: be() }), path: 'l7.frontends.web.rules.0.backend', message: /backend "nope" is not defined/ },
  { name: 'empty rule', r: () => l7({ web: fe({ rules: [{ backend: 'app' }] }) }, { app: be() }), path: 'l7.frontends.web.rules.0', message: /needs host or path_prefix/ },
  { name: 'rules in tcp mode', r: () => l7({ web: fe({ mode: 'tcp', rules: [{ path_prefix: '/x', backend: 'app' }] }) }, { app: be() }), path: 'l7.frontends.web.rules.0', message: /need mode: http/ },
  { name: 'colon in a name', r: () => l7({ 'web:1': fe() }, { app: be() }), path: 'l7.frontends.web:1', message: /must not contain ":"/ },
  { name: 'reserved name', r: () => l7({ web: fe({ default_backend: 'lbd_x' }) }, { lbd_x: be() }), path: 'l7.backends.lbd_x', message: /reserved/ },
  { name: 'bind to a host name', r: () => l7({ web: fe({ bind: ['www.example.com:80'] }) }, { app: be() }), path: 'l7.frontends.web.bind.0', message: /not the host name/ },
  { name: 'same address twice', r: () => l7({ a: fe(), b: fe() }, { app: be() }), path: 'l7.frontends.b.bind.0', message: /198.18.0.120:80 is already bound by frontend a/ },
  { name: 'wildcard overlaps an address', r: () => l7({ a: fe({ bind: ['*:80'] }), b: fe() }, { app: be() }), path: 'l7.frontends.b.bind.0', message: /already bound by frontend a/ },
  { name: 'stats on a frontend port', r: () => l7({ a: fe() }, { app: be() }, { stats: { listen: '198.18.0.120:80' } }), path: 'l7.stats.listen', message: /already bound by frontend a/ },
  { name: 'stats user without password', r: () => l7({ a: fe() }, { app: be() }, { stats: { listen: '127.0.0.1:8404', user: 'x' } }), path: 'l7.stats.user', message: /go together/ },
  { name: 'backend used in both modes', r: () => l7({ a: fe(), b: fe({ mode: 'tcp', bind: ['198.18.0.120:81'] }) }, { app: be() }), path: 'l7.backends.app', message: /a backend has one mode/ },
  { name: 'duplicate server name', r: () => l7({ a: fe() }, { app: { servers: [server('x'), server('x')] } }), path: 'l7.backends.app.servers.1.name', message: /used twice/ },
  { name: 'path on a tcp check', r: () => l7({ a: fe() }, { app: be({ check: { type: 'tcp', path: '/x' } }) }), path: 'l7.backends.app.check.path', message: /applies to http checks/ },
  { name: 'empty status range', r: () => l7({ a: fe() }, { app: be({ check: { type: 'http', status: '399-200' } }) }), path: 'l7.backends.app.check.status', message: /is empty/ },
  { name: 'cookie stickiness in tcp mode', r: () => l7({ a: fe({ mode: 'tcp' }) }, { app: be({ stick: { type: 'cookie' } }) }), path: 'l7.backends.app.stick.type', message: /needs mode: http/ },
  { name: 'ssl_session_id in http mode', r: () => l7({ a: fe() }, { app: be({ stick: { type: 'ssl_session_id' } }) }), path: 'l7.backends.app.stick.type', message: /mode: tcp/ },
  { name: 'ssl_session_id behind TLS termination', r: () => l7({ a: fe({ mode: 'tcp', tls: { certificate: '/etc/x.pem' } }) }, { app: be({ stick: { type: 'ssl_session_id' } }) }), path: 'l7.backends.app.stick.type', message: /frontend a terminates TLS/ },
  { name: 'cookie name without cookie stickiness', r: () => l7({ a: fe() }, { app: be({ stick: { type: 'source', cookie: 'X' } }) }), path: 'l7.backends.app.stick.cookie', message: /applies to type: cookie/ },
  { name: 'Nginx: balance first', r: () => l7({ a: fe({ engine: 'nginx' }) }, { app: be({ balance: 'first' }) }), path: 'l7.backends.app.balance', message: /not available in Nginx open source/ },
  { name: 'Nginx: cookie stickiness', r: () => l7({ a: fe({ engine: 'nginx' }) }, { app: be({ stick: { type: 'cookie' } }) }), path: 'l7.backends.app.stick.type', message: /not available in Nginx open source/ },
  { name: 'Nginx: backup with source hashing', r: () => l7({ a: fe({ engine: 'nginx' }) }, { app: { balance: 'source', servers: [server('a'), server('b', { backup: true })] } }), path: 'l7.backends.app.servers.1.backup', message: /cannot combine backup/ },
  { name: 'HAProxy: key not next to the certificate', r: () => l7({ a: fe({ tls: { certificate: '/etc/x.crt', key: '/etc/x.key' } }) }, { app: be() }), path: 'l7.frontends.a.tls.key', message: /\/etc\/x.crt.key/ },
  { name: 'probe path on a tcp frontend', r: () => l7({ a: fe({ mode: 'tcp', probe: { path: '/x' } }) }, { app: be() }), path: 'l7.frontends.a.probe', message: /tcp frontend is probed by connecting/ },
  { name: 'probe tls on an http frontend', r: () => l7({ a: fe({ probe: { tls: true } }) }, { app: be() }), path: 'l7.frontends.a.probe.tls', message: /applies to tcp frontends/ },
  { name: 'Nginx fail_timeout in whole seconds', r: () => l7({ a: fe({ engine: 'nginx' }) }, { app: be({ fail_timeout: 2.5 }) }), path: 'l7.backends.app.fail_timeout', message: /whole number/ },
];

test('semantic and structural errors, each at its path with an actionable message', () => {
  for (const c of cases) {
    const msgs = errorsAt(c.r(), c.path);
    assert.ok(msgs.some((m) => c.message.test(m)), `${c.name}: expected ${c.message} at ${c.path}, got ${JSON.stringify(errorsOf(c.r().diagnostics).map((d) => `${(d.path ?? []).join('.')}: ${d.message}`))}`);
  }
});

test('warnings: unused backend, Nginx without active checks, all-backup pool, first without maxconn, Nginx maxconn, stats without HAProxy', () => {
  const r = l7(
    { n: fe({ engine: 'nginx', maxconn: 10 }), h: fe({ bind: ['198.18.0.120:81'], default_backend: 'firsts' }) },
    { app: be({ check: { type: 'tcp' }, servers: [server('a', { backup: true })] }), unused: be(), firsts: be({ balance: 'first' }) },
  );
  assert.deepEqual(errorsOf(r.diagnostics), []);
  const w = warningsOf(r.diagnostics).map((d) => `${(d.path ?? []).join('.')}: ${d.message}`).join('\n');
  assert.match(w, /l7.backends.unused: no frontend uses this backend/);
  assert.match(w, /l7.backends.app.check: Nginx frontends use this backend: Nginx open source does no active checks/);
  assert.match(w, /l7.backends.app.servers: every server is a backup/);
  assert.match(w, /l7.backends.firsts.balance: balance first fills each server/);
  assert.match(w, /l7.frontends.n.maxconn: ignored by Nginx/);
  const s = l7({ n: fe({ engine: 'nginx' }) }, { app: be() }, { stats: { listen: '127.0.0.1:8404' } });
  assert.match(warningsOf(s.diagnostics).map((d) => d.message).join('\n'), /stats page is served by HAProxy/);
});
