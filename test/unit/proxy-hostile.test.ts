/**
 * Hostile names and paths (quotes, newlines, ";", "{", ...) can never inject a
 * directive: the schema rejects them, and if a model bypasses the schema the
 * renderer refuses (or, inside an Nginx quoted string, escapes) them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validateRaw } from '../../src/config/load.js';
import { errorsOf } from '../../src/config/diagnostics.js';
import type { Config } from '../../src/config/model.js';
import { proxyPaths } from '../../src/proxy/paths.js';
import { renderProxyConfigs } from '../../src/proxy/render.js';
import { assertTemplateSafe, haproxyQuoted, nginxQuoted, token, UnsafeConfigValue } from '../../src/proxy/syntax.js';

const HOSTILE = ['a"b', "a'b", 'a\nb', 'a;b', 'a{b', 'a}b', 'a b', 'a#b', 'a$b', 'a\\b', 'a\rb', 'a\tb'];
const paths = proxyPaths('/var/lib/lb-appliance');

function base(): Record<string, any> {
  return {
    l7: {
      stats: { listen: '127.0.0.1:8404', uri: '/stats', user: 'admin', password: 'pw' },
      frontends: {
        web: {
          engine: 'haproxy', bind: ['198.18.0.120:443'], default_backend: 'app', tls: { certificate: '/etc/tls/web.pem' },
          rules: [{ host: 'api.example.com', path_prefix: '/api/', backend: 'app' }], probe: { path: '/health', host: 'app.example.com' },
        },
        webn: { engine: 'nginx', bind: ['198.18.0.121:80'], default_backend: 'app', rules: [{ path_prefix: '/x/', backend: 'app' }] },
      },
      backends: {
        app: {
          check: { type: 'http', path: '/health', host: 'app.example.com' },
          servers: [{ name: 'app1', address: '198.18.0.21', port: 8080 }],
        },
      },
    },
  };
}

type Mutation = { where: (string | number)[]; set: (c: Record<string, any>, v: string) => void; prefix?: string };
const fe = (c: Record<string, any>) => c.l7.frontends.web;
const mutations: Mutation[] = [
  { where: ['l7', 'frontends'], set: (c, v) => { c.l7.frontends[v] = c.l7.frontends.web; delete c.l7.frontends.web; } },
  { where: ['l7', 'backends'], set: (c, v) => { c.l7.backends[v] = c.l7.backends.app; } },
  { where: ['l7', 'backends', 'app', 'servers', 0, 'name'], set: (c, v) => { c.l7.backends.app.servers[0].name = v; } },
  { where: ['l7', 'backends', 'app', 'servers', 0, 'address'], set: (c, v) => { c.l7.backends.app.servers[0].address = v; } },
  { where: ['l7', 'frontends', 'web', 'default_backend'], set: (c, v) => { fe(c).default_backend = v; } },
  { where: ['l7', 'frontends', 'web', 'bind', 0], set: (c, v) => { fe(c).bind[0] = `198.18.0.120:443${v}`; } },
  { where: ['l7', 'frontends', 'web', 'tls', 'certificate'], set: (c, v) => { fe(c).tls.certificate = `/etc/${v}`; } },
  { where: ['l7', 'frontends', 'web', 'rules', 0, 'host'], set: (c, v) => { fe(c).rules[0].host = v; } },
  { where: ['l7', 'frontends', 'web', 'rules', 0, 'path_prefix'], set: (c, v) => { fe(c).rules[0].path_prefix = `/${v}`; } },
  { where: ['l7', 'frontends', 'web', 'rules', 0, 'backend'], set: (c, v) => { fe(c).rules[0].backend = v; } },
  { where: ['l7', 'frontends', 'web', 'probe', 'path'], set: (c, v) => { fe(c).probe.path = `/${v}`; } },
  { where: ['l7', 'frontends', 'web', 'probe', 'host'], set: (c, v) => { fe(c).probe.host = v; } },
  { where: ['l7', 'backends', 'app', 'check', 'path'], set: (c, v) => { c.l7.backends.app.check.path = `/${v}`; } },
  { where: ['l7', 'backends', 'app', 'check', 'host'], set: (c, v) => { c.l7.backends.app.check.host = v; } },
  { where: ['l7', 'backends', 'app', 'stick', 'cookie'], set: (c, v) => { c.l7.backends.app.stick = { type: 'cookie', cookie: v }; } },
  { where: ['l7', 'stats', 'uri'], set: (c, v) => { c.l7.stats.uri = `/${v}`; } },
  { where: ['l7', 'stats', 'user'], set: (c, v) => { c.l7.stats.user = v; } },
];

test('the base config is valid (so each rejection below is due to the hostile value)', () => {
  const r = validateRaw(base());
  assert.deepEqual(errorsOf(r.diagnostics), []);
});

test('the schema rejects every hostile value at its path', () => {
  for (const m of mutations) {
    for (const v of HOSTILE) {
      const c = base();
      m.set(c, v);
      const errors = errorsOf(validateRaw(c).diagnostics);
      assert.ok(errors.length > 0, `${m.where.join('.')} = ${JSON.stringify(v)} was accepted`);
      const want = m.where.join('.');
      assert.ok(errors.some((e) => (e.path ?? []).join('.').startsWith(want)),
        `${want} = ${JSON.stringify(v)}: no error there (got ${errors.map((e) => `${(e.path ?? []).join('.')}: ${e.message}`).join('; ')})`);
    }
  }
});

test('the stats password may hold ; { # but not a quote or a line break', () => {
  for (const ok of ['s3cr#t;{x}', 'p a$s"s']) {
    const c = base(); c.l7.stats.password = ok;
    assert.deepEqual(errorsOf(validateRaw(c).diagnostics), [], ok);
  }
  for (const bad of ["it's", 'a\nb', 'a\x00b']) {
    const c = base(); c.l7.stats.password = bad;
    assert.ok(errorsOf(validateRaw(c).diagnostics).some((e) => e.path?.join('.') === 'l7.stats.password'), JSON.stringify(bad));
  }
});

/** A resolved model with one value replaced, as if the schema had been bypassed. */
function resolved(): Config {
  const r = validateRaw(base());
  return structuredClone(r.config!);
}

const modelMutations: [string, (c: Config, v: string) => void][] = [
  ['frontend name', (c, v) => { c.l7.frontends[0]!.name = v; }],
  ['backend name', (c, v) => { c.l7.backends[0]!.name = v; c.l7.frontends.forEach((f) => { f.default_backend = v; f.rules.forEach((r) => { r.backend = v; }); }); }],
  ['server name', (c, v) => { c.l7.backends[0]!.servers[0]!.name = v; }],
  ['server address', (c, v) => { c.l7.backends[0]!.servers[0]!.address = v; }],
  ['bind', (c, v) => { c.l7.frontends[0]!.bind[0] = v; }],
  ['nginx bind', (c, v) => { c.l7.frontends[1]!.bind[0] = v; }],
  ['certificate', (c, v) => { c.l7.frontends[0]!.tls!.certificate = v; }],
  ['rule host', (c, v) => { c.l7.frontends[0]!.rules[0]!.host = [v]; }],
  ['rule path', (c, v) => { c.l7.frontends[0]!.rules[0]!.path_prefix = v; }],
  ['check path', (c, v) => { c.l7.backends[0]!.check!.path = v; }],
  ['check host', (c, v) => { c.l7.backends[0]!.check!.host = v; }],
  ['stats uri', (c, v) => { c.l7.stats!.uri = v; }],
  ['stats listen', (c, v) => { c.l7.stats!.listen = v; }],
];

test('the renderer refuses hostile values that bypassed the schema', () => {
  for (const [what, set] of modelMutations) {
    for (const v of HOSTILE) {
      const c = resolved();
      set(c, v);
      assert.throws(() => renderProxyConfigs(c.l7, paths), UnsafeConfigValue, `${what} = ${JSON.stringify(v)} was rendered`);
    }
  }
});

test('an Nginx route regex is a quoted string: a quote inside is escaped, a line break or $ refused', () => {
  const c = resolved();
  c.l7.frontends[1]!.rules[0]!.path_prefix = '/x";return 200 "pwned';
  const text = renderProxyConfigs(c.l7, paths).nginx!.text;
  assert.ok(text.includes('        "~^[^/]*/x\\";return 200 \\"pwned" app;\n'), text);
  for (const bad of ['/a\nb', '/a$b', '/a\x00b']) {
    const d = resolved();
    d.l7.frontends[1]!.rules[0]!.path_prefix = bad;
    assert.throws(() => renderProxyConfigs(d.l7, paths), UnsafeConfigValue, JSON.stringify(bad));
  }
});

test('a stats password with a quote that bypassed the schema is refused; other characters stay inside the quotes', () => {
  const c = resolved();
  c.l7.stats!.password = "x'\nglobal";
  assert.throws(() => renderProxyConfigs(c.l7, paths), UnsafeConfigValue);
  c.l7.stats!.password = 'a;b{c}#d$e"f';
  assert.ok(renderProxyConfigs(c.l7, paths).haproxy!.text.includes(`    stats auth 'admin:a;b{c}#d$e"f'\n`));
});

test('value guards', () => {
  assert.equal(token('198.18.0.1:80'), '198.18.0.1:80');
  assert.equal(token(42), '42');
  for (const v of [...HOSTILE, '', undefined, null, {}, NaN]) assert.throws(() => token(v), UnsafeConfigValue, String(v));
  assert.equal(nginxQuoted('a\\b"c'), '"a\\\\b\\"c"');
  assert.throws(() => nginxQuoted('a\nb'), UnsafeConfigValue);
  assert.equal(haproxyQuoted('a"b$c'), "'a\"b$c'");
  assert.throws(() => haproxyQuoted("a'b"), UnsafeConfigValue);
});

test('templates print values only through the guards', () => {
  const dir = fileURLToPath(new URL('../../../templates/', import.meta.url));
  for (const t of ['haproxy.cfg.hbs', 'nginx.conf.hbs']) assertTemplateSafe(readFileSync(dir + t, 'utf8'), t);
  const bad = ['x {{name}} y', '{{{tok name}}}x{{name}}', '{{> other}}', '{{lookup a b}}', '{{tok a b}}', '{{#with a}}{{tok b}}{{/with}}', '{{tok (lookup a b)}}', '{{tok "literal"}}'];
  for (const b of bad) assert.throws(() => assertTemplateSafe(b, 'bad'), /bad: /, b);
});
