/** `lbctl render FILE [--out DIR] [--state-dir DIR]` as a user runs it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const lbctl = join(root, 'dist/src/cli/lbctl.js');
const exec = promisify(execFile);

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec('node', [lbctl, ...args]);
    return { code: 0, ...r };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

test('--out writes haproxy.cfg and nginx.conf (0600) matching the golden files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-render-'));
  try {
    const r = await run('render', join(root, 'test/fixtures/proxy/routing.yaml'), '--out', dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote .*haproxy\.cfg\nwrote .*nginx\.conf\n/);
    for (const [f, g] of [['haproxy.cfg', 'routing.haproxy.cfg'], ['nginx.conf', 'routing.nginx.conf']]) {
      assert.equal(readFileSync(join(dir, f!), 'utf8'), readFileSync(join(root, 'test/golden/proxy', g!), 'utf8'));
      assert.equal(statSync(join(dir, f!)).mode & 0o777, 0o600);
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('without --out it prints; --state-dir moves the runtime paths', async () => {
  const one = await run('render', join(root, 'examples/nginx-ha/lb1.yaml'), '--state-dir', '/srv/lbd');
  assert.equal(one.code, 0, one.stderr);
  assert.ok(one.stdout.startsWith('# nginx.conf rendered by lbd'), 'one file: printed as is');
  assert.match(one.stdout, /pid \/srv\/lbd\/proxy\/nginx\/nginx\.pid;/);
  const two = await run('render', join(root, 'test/fixtures/proxy/tls.yaml'));
  assert.match(two.stdout, /^# ==> haproxy\.cfg <==\n[\s\S]*\n# ==> nginx\.conf <==\n/);
});

test('an invalid config renders nothing and says why; usage errors exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-render-'));
  try {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'l7:\n  frontends:\n    web: { engine: haproxy, bind: ["*:80"], default_backend: nope }\n  backends: {}\n');
    const r = await run('render', bad, '--out', join(dir, 'out'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.yaml:3: .*backend "nope" is not defined/);
    assert.throws(() => statSync(join(dir, 'out')));
    assert.equal((await run('render')).code, 2);
    assert.equal((await run('render', bad, '--bogus')).code, 2);
    const none = await run('render', join(root, 'examples/lvs-dr/lb1.yaml'));
    assert.equal(none.code, 0);
    assert.match(none.stderr, /no l7 frontends, nothing to render/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
