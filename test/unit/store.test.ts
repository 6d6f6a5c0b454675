import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { ConfigStore } from '../../src/config/store.js';
import { ConfigError } from '../../src/config/diagnostics.js';
import { atomicWriteFileSync } from '../../src/util/atomic-write.js';
import { example, repoRoot } from '../lib/paths.js';

const good = readFileSync(example('lvs-dr', 'lb1.yaml'), 'utf8');
const setup = () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbstore-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, good);
  return { dir, file, store: new ConfigStore(file, join(dir, 'state'), 5) };
};

test('commit validates, writes atomically and records who/when/why', () => {
  const { file, store } = setup();
  const next = good.replace('priority: 150', 'priority: 140');
  const { revision } = store.commit(next, { user: 'alice', reason: 'lower priority' });
  assert.equal(readFileSync(file, 'utf8'), next);
  const h = store.history();
  assert.deepEqual(h.map((r) => [r.id, r.user, r.reason]), [[2, 'alice', 'lower priority'], [1, 'system', 'initial config']]);
  assert.equal(revision.id, 2);
  assert.ok(Date.parse(revision.time) > 0);
  assert.equal((statSync(file).mode & 0o777), 0o600);
});

test('an invalid config is refused with precise errors and changes nothing', () => {
  const { file, store } = setup();
  const before = store.history().length;
  assert.throws(() => store.commit(good.replace('virtual_router_id: 51', 'virtual_router_id: 256'), { user: 'bob', reason: 'oops' }),
    (e: unknown) => e instanceof ConfigError && /config\.yaml:16: vrrp_instances\.VI_WEB\.virtual_router_id: must be between 1 and 255/.test(e.message));
  assert.equal(readFileSync(file, 'utf8'), good);
  assert.equal(store.history().length, before);
});

test('rollback restores the exact text of a revision, itself recorded as a revision', () => {
  const { file, store } = setup();
  store.commit(good.replace('weight: 3', 'weight: 5'), { user: 'a', reason: 'r1' });
  store.commit(good.replace('weight: 3', 'weight: 7'), { user: 'a', reason: 'r2' });
  const { revision } = store.rollback(2, { user: 'carol', reason: '' });
  assert.equal(readFileSync(file, 'utf8'), good.replace('weight: 3', 'weight: 5'));
  assert.equal(revision.restored_from, 2);
  assert.equal(revision.reason, 'rollback to revision 2');
  assert.equal(store.revision(revision.id)!.text, store.revision(2)!.text);
  assert.throws(() => store.rollback(99, { user: 'c', reason: '' }), /no revision 99/);
});

test('a hand edit of the file is recorded before the next change, so it can be rolled back to', () => {
  const { file, store } = setup();
  store.adoptCurrent();
  const edited = good.replace('delay_loop: 5', 'delay_loop: 7');
  writeFileSync(file, edited);
  store.commit(good, { user: 'a', reason: 'back' });
  const h = store.history();
  assert.equal(h[1]!.reason, 'edited outside lbd');
  assert.equal(store.revision(h[1]!.id)!.text, edited);
});

test('history is bounded', () => {
  const { store } = setup();
  for (let i = 0; i < 8; i++) store.commit(good.replace('weight: 3', `weight: ${10 + i}`), { user: 'a', reason: `r${i}` });
  const h = store.history();
  assert.equal(h.length, 5);
  assert.equal(h[0]!.reason, 'r7');
});

test('a keepalived.conf config is read-only for the store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbstore-'));
  const file = join(dir, 'keepalived.conf');
  writeFileSync(file, 'vrrp_instance V {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 198.18.0.1\n }\n}\n');
  const store = new ConfigStore(file, join(dir, 'state'));
  assert.match(store.readOnlyReason()!, /lbctl import keepalived/);
  assert.throws(() => store.commit(good, { user: 'a', reason: 'x' }), /keepalived\.conf/);
});

test('atomic write: a writer killed mid-write never leaves a partial file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbatomic-'));
  const file = join(dir, 'f');
  atomicWriteFileSync(file, 'old content\n');
  // The child rewrites the file with 8 MiB of "a" then "b" forever; we kill it at an arbitrary moment after it began.
  const script = `import('${join(repoRoot, 'dist/src/util/atomic-write.js')}').then((m) => { for (let i = 0; ; i++) m.atomicWriteFileSync(${JSON.stringify(file)}, Buffer.alloc(8 << 20, i % 2 ? 98 : 97)); })`;
  for (let round = 0; round < 5; round++) {
    const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (readFileSync(file).length < 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20 + round * 37));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const buf = readFileSync(file);
    assert.equal(buf.length, 8 << 20, 'the file is whole');
    assert.ok(buf.every((b) => b === buf[0]), 'the file is one version, not a mix');
  }
  assert.ok(readdirSync(dir).every((f) => f === 'f' || f.endsWith('.tmp')));
});
