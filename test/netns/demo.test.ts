/**
 * `npm run demo` end to end: the lab starts (its own run dir and namespace
 * prefix, so a user's demo may run beside it), requests through the VIP reach
 * several real servers, a stopped web server leaves the rotation, killing the
 * master moves the VIP to lb2, the admin UI answers on the printed loopback
 * URL, a second demo refuses to start, and SIGINT leaves nothing behind.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, waitFor } from '../lib/netns.js';
import { lbctlJs, repoRoot } from '../lib/paths.js';
import { parseYamlConfig } from '../../src/config/load.js';
import { nodeConfig } from '../../src/demo/topology.js';

const prefix = `ldt${randomBytes(2).toString('hex')}`;
const base = mkdtempSync(join(tmpdir(), 'lbdemo-test-'));
const env = { ...process.env, LB_DEMO_DIR: join(base, 'run'), LB_DEMO_PREFIX: prefix, LB_DEMO_ADMIN_PORT: '0', LB_DEMO_VARIANT: 'l7' };
const main = join(repoRoot, 'dist/src/demo/main.js');
let demo: ChildProcess;
let output = '';
let exited: Promise<number | null>;

const labNamespaces = async () => (await run('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`${prefix}-`));
const labPids = async () => {
  const pids: number[] = [];
  for (const ns of await labNamespaces()) pids.push(...(await run('ip', ['netns', 'pids', ns])).stdout.split(/\s+/).filter(Boolean).map(Number));
  return pids;
};
/** Running (a zombie has finished; init reaps the orphans of the demo's children shortly after). */
const running = (pid: number) => { try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; } };

async function lbctl(...args: string[]): Promise<string> {
  const r = await run(process.execPath, [lbctlJs, 'demo', ...args], 30_000);
  assert.equal(r.code, 0, `lbctl demo ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
/** lbctl runs with the test's environment: point it at this lab. */
Object.assign(process.env, { LB_DEMO_DIR: env.LB_DEMO_DIR, LB_DEMO_PREFIX: prefix });

const answered = (curlOut: string) => new Set([...curlOut.matchAll(/^\s+\d+: (\S+) \(/gm)].map((m) => m[1]!));

before(async () => {
  demo = spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  demo.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  demo.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  exited = new Promise((r) => demo.once('exit', (code) => r(code)));
  await waitFor('the demo banner', () => output.includes('Press Ctrl-C') || (demo.exitCode !== null && Promise.reject(new Error(output))), 60_000, 200)
    .catch((e: Error) => { throw new Error(`${e.message}\n${output}`); });
});

after(async () => {
  if (demo.exitCode === null) { demo.kill('SIGINT'); await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]); }
  for (const ns of await labNamespaces()) { // only if the demo failed to clean up: the test must not leave it behind either
    for (const pid of (await run('ip', ['netns', 'pids', ns])).stdout.split(/\s+/).filter(Boolean)) try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
    await run('ip', ['netns', 'del', ns]);
  }
  rmSync(base, { recursive: true, force: true });
});

test('both variants give each node a valid config (L4 adds LVS-DR with HTTP_GET checks and a sorry server)', () => {
  for (const variant of ['l4', 'l7'] as const) for (const node of ['lb1', 'lb2'] as const) {
    const r = parseYamlConfig(nodeConfig(node, variant));
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), [], `${node} ${variant}`);
    const vs = r.config!.virtual_servers;
    assert.equal(vs.length, variant === 'l4' ? 1 : 0);
    if (variant === 'l4') {
      assert.equal(vs[0]!.lb_kind, 'DR');
      assert.ok(vs[0]!.sorry_server);
      assert.ok(vs[0]!.real_servers.every((rs) => rs.checks.some((c) => c.type === 'HTTP_GET')));
    }
  }
});

test('requests through the VIP reach more than one real server', { timeout: 30_000 }, async () => {
  assert.match(output, /no IPVS|LB_DEMO_VARIANT/, 'the banner says why this variant');
  const seen = answered(await lbctl('curl', '-n', '6'));
  assert.ok(seen.size >= 2 && [...seen].every((s) => /^rs[123]$/.test(s)), `answers from ${[...seen].join(', ')}`);
});

test('the admin UI answers on the printed 127.0.0.1 URL, with a setup token printed', { timeout: 15_000 }, async () => {
  const m = /lb1: (http:\/\/127\.0\.0\.1:\d+\/)setup\s+one-time setup token: (\S+)/.exec(output);
  assert.ok(m, output);
  const r = await fetch(`${m[1]}setup`);
  assert.equal(r.status, 200);
  assert.match(await r.text(), /setup token/i);
});

test('a second demo says one is running and changes nothing', { timeout: 30_000 }, async () => {
  const second = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const p = spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.once('exit', (code) => resolve({ code, out }));
  });
  assert.equal(second.code, 1);
  assert.match(second.out, /already running/);
  assert.equal((await labNamespaces()).length, 8, 'the running lab keeps its namespaces');
});

test('a stopped web server leaves the rotation', { timeout: 30_000 }, async () => {
  await lbctl('stop-web', 'rs1');
  const seen = await waitFor('rs1 out of the answers', async () => {
    const s = answered(await lbctl('curl', '-n', '4'));
    return !s.has('rs1') && s.size >= 2 && s;
  }, 20_000, 500);
  assert.deepEqual([...seen].sort(), ['rs2', 'rs3']);
});

test('killing the master moves the VIP to lb2, which serves', { timeout: 30_000 }, async () => {
  const out = await lbctl('fail', 'lb1');
  assert.match(out, /now on lb2/);
  const addrs = await run('ip', ['-n', `${prefix}-lb2`, '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
  assert.match(addrs.stdout, /inet 198\.18\.0\.100\/24/);
  const lb1 = await run('ip', ['-n', `${prefix}-lb1`, '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
  assert.doesNotMatch(lb1.stdout, /198\.18\.0\.100/);
  const seen = await waitFor('answers through lb2', async () => { const s = answered(await lbctl('curl', '-n', '3')); return s.size >= 2 && s; }, 15_000, 500);
  assert.ok(!seen.has('rs1'));
});

test('lb1 recovered takes the VIP back; rs1 started again rejoins', { timeout: 40_000 }, async () => {
  await lbctl('recover', 'lb1');
  await lbctl('start-web', 'rs1');
  await waitFor('the VIP back on lb1', async () => / is on lb1$/m.test(await lbctl('status')), 25_000, 500);
  await waitFor('rs1 among the answers', async () => answered(await lbctl('curl', '-n', '4')).has('rs1'), 15_000, 500);
});

test('SIGINT removes every namespace, process and file of the lab', { timeout: 40_000 }, async () => {
  const pids = await labPids();
  assert.ok(pids.length >= 8, `the lab runs lbd, HAProxy, relays and web servers: ${pids.length} processes`);
  demo.kill('SIGINT');
  assert.equal(await exited, 0, output);
  assert.match(output, /nothing is left behind/);
  assert.deepEqual(await labNamespaces(), []);
  assert.deepEqual(pids.filter(running).map((pid) => `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`), []);
  assert.equal(existsSync(env.LB_DEMO_DIR), false);
});

test('SIGTERM during start-up stops it and removes what was made', { timeout: 40_000 }, async () => {
  const prefix2 = `ldu${randomBytes(2).toString('hex')}`;
  const env2 = { ...env, LB_DEMO_DIR: join(base, 'run2'), LB_DEMO_PREFIX: prefix2 };
  const p = spawn(process.execPath, [main], { env: env2, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  const done = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
  await waitFor('start-up under way', () => out.includes('starting lbd on lb1'), 30_000, 20);
  p.kill('SIGTERM');
  assert.equal(await done, 130, out);
  assert.match(out, /SIGTERM during start-up/);
  assert.doesNotMatch(out, /Press Ctrl-C/);
  const left = (await run('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(`${prefix2}-`));
  assert.deepEqual(left, []);
  assert.equal(existsSync(env2.LB_DEMO_DIR), false);
});
