/** runCommand and MISC_CHECK cancellation: an abort kills the whole process group at once. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { runCommand } from '../../src/util/command.js';
import { MiscChecker } from '../../src/health/misc-check.js';
import type { MiscCheck } from '../../src/config/model.js';

/** PIDs of processes whose command line contains `marker` (a real read of /proc via pgrep). */
const pidsWith = (marker: string) => {
  try { return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).split('\n').filter(Boolean); } catch { return []; }
};
const waitGone = async (marker: string, ms = 3000) => {
  const end = Date.now() + ms;
  while (pidsWith(marker).length && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return pidsWith(marker);
};

test('runCommand: an abort kills the script and what it started in the background, well before the timeout', { timeout: 20_000 }, async () => {
  const marker = `9${randomBytes(3).readUIntBE(0, 3)}`; // unique digits: sleep takes fractional seconds
  const ac = new AbortController();
  const started = Date.now();
  const p = runCommand(`sleep 30.${marker} & sleep 31.${marker}`, { timeoutMs: 30_000, signal: ac.signal });
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(pidsWith(marker).length >= 2, 'the script and its background child run');
  ac.abort();
  const r = await p;
  assert.ok(Date.now() - started < 5000, `ended ${Date.now() - started} ms after start`);
  assert.equal(r.timedOut, false);
  assert.equal(r.signal, 'SIGTERM');
  assert.deepEqual(await waitGone(marker), []);
});

test('runCommand: an already aborted signal runs nothing for long', { timeout: 10_000 }, async () => {
  const r = await runCommand('sleep 20', { timeoutMs: 20_000, signal: AbortSignal.abort() });
  assert.equal(r.code, null);
});

test('MISC_CHECK: abort() kills the script in flight', { timeout: 20_000 }, async () => {
  const marker = `8${randomBytes(3).readUIntBE(0, 3)}`;
  const check = { type: 'MISC_CHECK', misc_path: `sleep 30.${marker}`, misc_timeout: 30, misc_dynamic: false } as unknown as MiscCheck;
  const c = new MiscChecker(check);
  const result = c.run();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(pidsWith(marker).length, 1, 'the script runs');
  c.abort();
  const r = await result;
  assert.equal(r.ok, false);
  assert.match(r.message, /killed by SIGTERM/);
  assert.deepEqual(await waitGone(marker), []);
});
