import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { startAdmin, session, apiToken, json, exampleConfig, type AdminHarness } from '../lib/admin.js';

/** A concrete URL for a route pattern (any value will do: the request must be refused before routing matters). */
const concrete = (url: string) => url.replace(':file', 'app.css').replace(':id', '1').replace(':name', 'VI_WEB').replace(':index', '0');

test('every registered route refuses an unauthenticated request, except login, setup and static assets', { timeout: 60_000 }, async () => {
  const h = await startAdmin();
  try {
    const routes = h.built.routes;
    assert.ok(routes.length > 50, `${routes.length} routes`);
    const open = routes.filter((r) => r.public).map((r) => `${r.method} ${r.url}`).sort();
    assert.deepEqual(open, ['GET /login', 'GET /setup', 'GET /static/:file', 'POST /login', 'POST /setup']);
    for (const r of routes.filter((x) => !x.public)) {
      for (const headers of [{}, { authorization: 'Bearer lbd_000000000000_' + 'x'.repeat(43) }, { cookie: 'lbd_session=forged' }]) {
        const res = await h.built.app.inject({ method: r.method as 'GET', url: concrete(r.url), headers, ...(r.method === 'GET' ? {} : { payload: {} }) });
        const refused = res.statusCode === 401 || (res.statusCode === 303 && String(res.headers.location).startsWith('/login'));
        assert.ok(refused, `${r.method} ${r.url} with ${JSON.stringify(headers)} → ${res.statusCode}`);
      }
    }
    // Unknown paths too: nothing is served anonymously by accident.
    assert.equal((await h.built.app.inject({ url: '/api/v1/nope' })).statusCode, 401);
    assert.equal((await h.built.app.inject({ url: '/api/v1/status' })).json().message.includes('log in first'), true);
  } finally { await h.stop(); }
});

test('a cross-site form post without the CSRF token is refused and changes nothing', { timeout: 30_000 }, async () => {
  const h = await startAdmin();
  try {
    const { cookie, csrf } = await session(h);
    const text = exampleConfig().replace('weight: 1', 'weight: 9');
    const form = (fields: Record<string, string>, extra: Record<string, string> = {}) => h.built.app.inject({
      method: 'POST', url: '/config/raw', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...extra },
      payload: new URLSearchParams(fields).toString(),
    });
    const preview = await form({ text, _csrf: csrf });
    const proposal = /name="proposal" value="([\w-]{22})"/.exec(preview.body)![1]!;
    const apply = (fields: Record<string, string>, extra: Record<string, string> = {}) => h.built.app.inject({
      method: 'POST', url: '/config/apply', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...extra },
      payload: new URLSearchParams({ proposal, ...fields }).toString(),
    });
    const attempts = [
      await apply({}),
      await apply({ _csrf: 'x'.repeat(csrf.length) }),
      await apply({ _csrf: csrf }, { origin: 'https://evil.example' }),
      await form({ text }),
      await h.built.app.inject({ method: 'PUT', url: '/api/v1/config', headers: { cookie }, payload: { text } }),
    ];
    for (const r of attempts) {
      assert.equal(r.statusCode, 403, r.body);
      assert.match(r.body, /CSRF|cross-site/);
    }
    assert.equal(readFileSync(h.configFile, 'utf8'), exampleConfig());
    const ok = await apply({ _csrf: csrf }, { origin: 'http://localhost:80', host: 'localhost:80' });
    assert.equal(ok.statusCode, 303, ok.body);
    assert.equal(readFileSync(h.configFile, 'utf8'), text);
    // API tokens are not ambient credentials: no CSRF token needed.
    const token = await apiToken(h);
    assert.equal((await h.built.app.inject({ method: 'PUT', url: '/api/v1/config', headers: { authorization: `Bearer ${token}` }, payload: { text: exampleConfig() } })).statusCode, 200);
  } finally { await h.stop(); }
});

const login = (h: AdminHarness, user: string, password: string, ip = '198.18.1.1') => h.built.app.inject({
  method: 'POST', url: '/login', remoteAddress: ip, headers: { 'content-type': 'application/x-www-form-urlencoded' },
  payload: new URLSearchParams({ user, password }).toString(),
});

test('brute force is throttled: the account locks after 5 failures, an address after 20', { timeout: 60_000 }, async () => {
  const h = await startAdmin();
  try {
    await h.ctx.accounts.setPassword('alice', 'correct horse battery');
    await h.ctx.accounts.setPassword('bob', 'another long password');
    for (let i = 0; i < 5; i++) assert.equal((await login(h, 'alice', `guess${i}`)).statusCode, 401);
    const locked = await login(h, 'alice', 'correct horse battery');
    assert.equal(locked.statusCode, 429, 'even the right password is refused while locked');
    assert.ok(Number(locked.headers['retry-after']) > 200);
    assert.match(locked.body, /Too many failed attempts/);
    // Another account from another address is unaffected.
    assert.equal((await login(h, 'bob', 'another long password', '198.18.1.2')).statusCode, 303);
    // An address spraying many user names is stopped too.
    for (let i = 0; i < 20; i++) await login(h, `user${i}`, 'x', '198.18.1.3');
    assert.equal((await login(h, 'bob', 'another long password', '198.18.1.3')).statusCode, 429);
    // The console (or another admin) setting a new password lifts the lock.
    const sock = await apiToken(h, 'bob');
    assert.equal((await h.built.app.inject({ method: 'PUT', url: '/api/v1/users/alice/password', headers: { authorization: `Bearer ${sock}` }, payload: { password: 'a brand new passphrase' } })).statusCode, 200);
    assert.equal((await login(h, 'alice', 'a brand new passphrase', '198.18.1.4')).statusCode, 303);
    const audit = h.ctx.audit.recent(100);
    assert.ok(audit.some((e) => e.action === 'login' && e.detail === 'wrong password; account locked'));
    assert.ok(audit.some((e) => e.action === 'login' && e.detail === 'throttled'));
  } finally { await h.stop(); }
});

test('accounts: no default password, one-time setup token, scrypt hashes in a 0600 file, API tokens revocable', { timeout: 60_000 }, async () => {
  const h = await startAdmin();
  try {
    assert.equal(h.ctx.accounts.hasUsers(), false);
    assert.equal((await h.built.app.inject({ url: '/login' })).headers.location, '/setup');
    const line = h.ring.recent(100).find((l) => /setup token/.test(String(l.msg)));
    const token = /setup token (\S+)/.exec(String(line?.msg))![1]!;
    const setup = (t: string, user = 'alice') => h.built.app.inject({
      method: 'POST', url: '/setup', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token: t, user, password: 'correct horse battery', password2: 'correct horse battery' }).toString(),
    });
    assert.equal((await setup('not-the-token')).statusCode, 403);
    const ok = await setup(token);
    assert.equal(ok.statusCode, 303);
    assert.match(String(ok.headers['set-cookie']), /^lbd_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    assert.equal((await setup(token, 'mallory')).statusCode, 303, 'redirected to login: setup is over');
    assert.deepEqual(h.ctx.accounts.users().map((u) => u.name), ['alice']);
    const file = `${h.dir}/state/admin/accounts.json`;
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    assert.match(stored.users[0].password_hash, /^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    assert.ok(!readFileSync(file, 'utf8').includes('correct horse battery'));

    const cookie = String(ok.headers['set-cookie']).split(';')[0]!;
    const csrf = /name="csrf-token" content="([^"]+)"/.exec((await h.built.app.inject({ url: '/', headers: { cookie } })).body)![1]!;
    const created = await h.built.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { cookie, 'x-csrf-token': csrf }, payload: { name: 'ci' } });
    assert.equal(created.statusCode, 201, created.body);
    const { id, token: secret } = json<{ id: string; token: string }>(created);
    // lbd_<hex id>_<base64url secret>: the secret itself may contain "_".
    assert.ok(!readFileSync(file, 'utf8').includes(secret.split('_').slice(2).join('_')), 'only a hash of the token is stored');
    const bearer = { authorization: `Bearer ${secret}` };
    assert.deepEqual(json(await h.built.app.inject({ url: '/api/v1/session', headers: bearer })), { user: 'alice', via: 'token' });
    assert.equal((await h.built.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}`, headers: bearer })).statusCode, 200);
    assert.equal((await h.built.app.inject({ url: '/api/v1/session', headers: bearer })).statusCode, 401);
    // Weak passwords are refused with a reason.
    const weak = await h.built.app.inject({ method: 'PUT', url: '/api/v1/users/bob/password', headers: { cookie, 'x-csrf-token': csrf }, payload: { password: 'short' } });
    assert.equal(weak.statusCode, 400);
    assert.match(weak.json().message, /at least 10 characters/);
  } finally { await h.stop(); }
});

function httpsGet(url: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, rejectUnauthorized: false }, (res) => {
      const fingerprint = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString(), fingerprint }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('HTTPS by default with a self-signed certificate kept across restarts; session cookie flags; idle timeout', { timeout: 60_000 }, async () => {
  const h = await startAdmin({ listen: '127.0.0.1:0' });
  let h2: AdminHarness | undefined;
  try {
    const url = h.ctx.endpoint.url!;
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    await h.ctx.accounts.setPassword('alice', 'correct horse battery');
    const r = await httpsGet(`${url}login`, { 'content-type': 'application/x-www-form-urlencoded' }, 'POST', 'user=alice&password=correct+horse+battery');
    assert.equal(r.status, 303);
    const cookie = String(r.headers['set-cookie']);
    assert.match(cookie, /^__Host-lbd_session=[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    assert.equal(r.fingerprint, h.ctx.endpoint.fingerprint256);
    const dash = await httpsGet(url, { cookie: cookie.split(';')[0]! });
    assert.equal(dash.status, 200);
    assert.match(String(dash.headers['content-security-policy']), /script-src 'self'/);
    assert.equal(dash.headers['x-frame-options'], 'DENY');
    // Idle timeout: a session unused for longer than the limit is gone.
    h.ctx.sessions.idleMs = 50;
    await new Promise((res) => setTimeout(res, 120));
    assert.equal((await httpsGet(`${url}api/v1/status`, { cookie: cookie.split(';')[0]! })).status, 401);
    const fp = h.ctx.endpoint.fingerprint256;
    const stateDir = `${h.dir}/state`;
    await h.stop();
    // Same state dir, new lbd: the same certificate (the fingerprint an admin verified stays valid).
    const { Daemon } = await import('../../src/lbd/daemon.js');
    const { AdminSubsystem } = await import('../../src/admin/subsystem.js');
    const { createLogger } = await import('../../src/log/logger.js');
    let admin!: InstanceType<typeof AdminSubsystem>;
    const d = new Daemon({ configFile: h.configFile, stateDir, log: createLogger({ level: 'silent' }), admin: { listen: '127.0.0.1:0' }, subsystems: (c, dd) => [(admin = new AdminSubsystem(c, dd))] });
    await d.start();
    h2 = { ...h, daemon: d, stop: () => d.stop() };
    assert.equal(admin.context!.endpoint.fingerprint256, fp);
    assert.equal(statSync(`${stateDir}/admin/tls/key.pem`).mode & 0o777, 0o600);
  } finally { await (h2 ?? h).stop(); }
});

test('plain HTTP is refused on a non-loopback address, in the config and on the command line', async () => {
  const { parseListen } = await import('../../src/admin/listen.js');
  assert.throws(() => parseListen('http://198.18.0.1:8080', true), /plain HTTP is allowed only on a loopback address/);
  assert.deepEqual(parseListen('http://127.0.0.1:8080', true), { host: '127.0.0.1', port: 8080, secure: false });
  assert.deepEqual(parseListen('[::1]:8443', true), { host: '::1', port: 8443, secure: true });
  assert.throws(() => parseListen('198.18.0.1', true), /expected \[http:\/\/\|https:\/\/\]ADDRESS:PORT/);
  const { parseConfigText } = await import('../../src/config/load.js');
  const bad = parseConfigText('global:\n  admin:\n    listen: 198.18.0.1:8443\n    tls: false\n', 'c.yaml');
  assert.ok(bad.diagnostics.some((d) => d.line === 4 && /plain HTTP is allowed only on a loopback address/.test(d.message)), JSON.stringify(bad.diagnostics));
  assert.equal(parseConfigText('global:\n  admin:\n    listen: 127.0.0.1:8080\n    tls: false\n', 'c.yaml').diagnostics.length, 0);
});
