/**
 * Every rendered config — each feature fixture and each example — passes the
 * real binaries' own checks (`haproxy -c`, `nginx -t`), run in a namespace with
 * ip_nonlocal_bind as on a backup node (nginx -t binds its listeners).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../../src/config/load.js';
import type { RawConfig } from '../../src/config/schema.js';
import { proxyPaths } from '../../src/proxy/paths.js';
import { renderProxyConfigs } from '../../src/proxy/render.js';
import { Lab } from '../lib/netns.js';
import { configOf, makeCert, tempDir } from '../lib/proxy.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
let lab: Lab, ns: string, dir: string, cert: ReturnType<typeof makeCert>;

before(async () => {
  lab = await Lab.create('pbin');
  ns = await lab.addNs('p');
  for (const f of ['ipv4', 'ipv6']) await lab.exec(ns, 'sysctl', ['-qw', `net.${f}.ip_nonlocal_bind=1`]);
  dir = tempDir('lbd-l7-bin');
  cert = makeCert(dir);
});
after(async () => { await lab?.cleanup(); if (dir) rmSync(dir, { recursive: true, force: true }); });

/** The config with its certificate paths pointing at our throw-away certificate. */
function withTestCerts(raw: RawConfig): RawConfig {
  const c = structuredClone(raw);
  for (const f of Object.values(c.l7?.frontends ?? {})) {
    if (!f.tls) continue;
    f.tls = f.tls.key ? { certificate: cert.crt, key: cert.key } : { certificate: cert.pem };
  }
  return c;
}

async function checkWithBinaries(name: string, raw: RawConfig): Promise<number> {
  const stateDir = join(dir, name.replace(/\W/g, '_'));
  const paths = proxyPaths(stateDir);
  mkdirSync(paths.haproxy.dir, { recursive: true });
  mkdirSync(paths.nginx.dir, { recursive: true });
  const out = renderProxyConfigs(configOf(withTestCerts(raw)).l7, paths);
  let checked = 0;
  if (out.haproxy) {
    writeFileSync(paths.haproxy.config, out.haproxy.text);
    const r = await lab.exec(ns, 'haproxy', ['-c', '-f', paths.haproxy.config]);
    assert.equal(r.code, 0, `${name}: haproxy -c failed:\n${r.stderr}${r.stdout}`);
    checked++;
  }
  if (out.nginx) {
    writeFileSync(paths.nginx.config, out.nginx.text);
    const r = await lab.exec(ns, 'nginx', ['-q', '-t', '-c', paths.nginx.config]);
    assert.equal(r.code, 0, `${name}: nginx -t failed:\n${r.stderr}${r.stdout}`);
    checked++;
  }
  return checked;
}

test('every feature fixture passes haproxy -c and nginx -t', { timeout: 120_000 }, async () => {
  const fixtures = join(root, 'test/fixtures/proxy');
  let checked = 0;
  for (const f of readdirSync(fixtures).filter((x) => x.endsWith('.yaml'))) checked += await checkWithBinaries(f, loadConfigFile(join(fixtures, f)).raw!);
  assert.ok(checked >= 14, `only ${checked} configs checked`);
});

test('every example with l7 frontends passes haproxy -c and nginx -t', { timeout: 60_000 }, async () => {
  let checked = 0;
  for (const d of readdirSync(join(root, 'examples'))) {
    for (const f of readdirSync(join(root, 'examples', d)).filter((x) => x.endsWith('.yaml'))) {
      const r = loadConfigFile(join(root, 'examples', d, f));
      assert.ok(r.config, `examples/${d}/${f} must be valid`);
      if (r.config.l7.frontends.length) checked += await checkWithBinaries(`${d}-${f}`, r.raw!);
    }
  }
  assert.ok(checked >= 2, `only ${checked} example configs checked`);
});

test('the binaries do reject a broken config (this check can fail)', { timeout: 30_000 }, async () => {
  const raw = loadConfigFile(join(root, 'test/fixtures/proxy/tls.yaml')).raw!;
  const paths = proxyPaths(join(dir, 'broken'));
  mkdirSync(paths.nginx.dir, { recursive: true });
  mkdirSync(paths.haproxy.dir, { recursive: true });
  const out = renderProxyConfigs(configOf(raw).l7, paths); // certificates that do not exist
  writeFileSync(paths.haproxy.config, out.haproxy!.text);
  writeFileSync(paths.nginx.config, out.nginx!.text);
  const h = await lab.exec(ns, 'haproxy', ['-c', '-f', paths.haproxy.config]);
  assert.notEqual(h.code, 0);
  assert.match(h.stderr + h.stdout, /www\.pem/);
  const n = await lab.exec(ns, 'nginx', ['-q', '-t', '-c', paths.nginx.config]);
  assert.notEqual(n.code, 0);
  assert.match(n.stderr + n.stdout, /www\.crt/);
});
