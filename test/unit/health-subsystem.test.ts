/**
 * The health subsystem end to end with MISC_CHECK scripts (real processes, no
 * network): transitions, hooks, quorum, operator overrides and their
 * persistence, and reloads that keep state.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HealthOperationError, HealthSubsystem } from '../../src/health/health-subsystem.js';
import type { HealthStatus } from '../../src/health/status.js';
import { StatusHub } from '../../src/status/hub.js';
import { createLogger, LogRing } from '../../src/log/logger.js';
import { diffConfig } from '../../src/config/diff.js';
import type { Config } from '../../src/config/model.js';
import { mustConfig } from '../lib/config.js';
import { waitFor } from '../lib/netns.js';

interface Env { dir: string; health: HealthSubsystem; hub: StatusHub; ring: LogRing; changes: string[]; config: Config }

/** A real server whose MISC_CHECK passes while FILE exists. */
const server = (dir: string, n: number, extra: Record<string, unknown> = {}) => ({
  address: `198.18.0.${10 + n}`,
  checks: [{ type: 'MISC_CHECK', misc_path: `test -e ${dir}/up${n}`, delay_loop: 0.2, retry: 1, delay_before_retry: 0.1, warmup: 0 }],
  ...extra,
});

async function setup(t: TestContext, vs: (dir: string) => Record<string, unknown>[], hookTimeoutMs?: number): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), 'lbd-health-'));
  const ring = new LogRing();
  const hub = new StatusHub();
  const health = new HealthSubsystem({ log: createLogger({ ring, stream: { write() {} }, level: 'debug' }), status: hub, stateDir: dir }, { statusIntervalMs: 100, hookTimeoutMs });
  const changes: string[] = [];
  health.on('change', (n) => changes.push(n));
  const config = mustConfig({ virtual_servers: vs(dir) });
  t.after(async () => { await health.stop(); rmSync(dir, { recursive: true, force: true }); });
  return { dir, health, hub, ring, changes, config };
}

const dests = (e: Env, i = 0) => e.health.destinations(e.config.virtual_servers[i]!).map((d) => `${d.address}=${d.weight}`);
const logged = (e: Env, re: RegExp) => e.ring.recent(5000).some((l) => re.test(String(l.msg)));

test('a failing script takes its server out with the reason, hooks run, and it comes back', { timeout: 20_000 }, async (t) => {
  const e = await setup(t, (dir) => [{
    name: 'web', address: '198.18.0.10', port: 80,
    real_servers: [
      server(dir, 1, { notify_down: `sh -c 'echo "$LBD_STATE $LBD_REAL_SERVER $LBD_REASON" > ${dir}/down.txt'`, notify_up: `touch ${dir}/up.txt` }),
      server(dir, 2),
    ],
  }]);
  writeFileSync(`${e.dir}/up1`, ''); writeFileSync(`${e.dir}/up2`, '');
  await e.health.start(e.config);
  assert.deepEqual(dests(e), ['198.18.0.11=1', '198.18.0.12=1']);
  await waitFor('first results in status', () => e.hub.get<HealthStatus>('health')?.virtual_servers[0]?.real_servers.every((r) => r.checks[0]!.last?.ok), 3000);

  unlinkSync(`${e.dir}/up1`);
  const t0 = Date.now();
  await waitFor('server 1 out of the pool', () => dests(e).join() === '198.18.0.12=1', 5000);
  // delay_loop + misc_timeout (= delay_loop) × 2 + delay_before_retry: 0.2 + 0.4 + 0.1, plus margin.
  assert.ok(Date.now() - t0 < 1500, `detected in ${Date.now() - t0} ms`);
  assert.deepEqual(e.changes, ['web']);
  assert.ok(logged(e, /real server 198\.18\.0\.11:80 of web is DOWN: script exited 1 after 1 retry/));
  await waitFor('notify_down ran', () => existsSync(`${e.dir}/down.txt`), 3000);
  assert.equal(readFileSync(`${e.dir}/down.txt`, 'utf8'), 'DOWN 198.18.0.11:80 script exited 1 after 1 retry\n');
  const st = await waitFor('status shows it', () => {
    const rs = e.hub.get<HealthStatus>('health')?.virtual_servers[0]?.real_servers[0];
    return rs?.state === 'down' && rs;
  }, 2000);
  assert.equal(st.reason, 'script exited 1 after 1 retry');
  assert.equal(st.in_pool, false);
  assert.equal(st.checks[0]!.last!.ok, false);
  assert.equal(typeof st.checks[0]!.last!.latency_ms, 'number');

  writeFileSync(`${e.dir}/up1`, '');
  await waitFor('server 1 back', () => dests(e).join() === '198.18.0.11=1,198.18.0.12=1', 3000);
  await waitFor('notify_up ran', () => existsSync(`${e.dir}/up.txt`), 3000);
  assert.ok(logged(e, /198\.18\.0\.11:80 of web is UP: script exited 0/));
});

test('misc_dynamic sets weight = exit code - 2; a timed-out script is killed and counts as down', { timeout: 20_000 }, async (t) => {
  const e = await setup(t, (dir) => [{
    name: 'dyn', address: '198.18.0.10', port: 80,
    real_servers: [
      { address: '198.18.0.11', weight: 1, checks: [{ type: 'MISC_CHECK', misc_path: `sh -c 'exit $(cat ${dir}/code)'`, misc_dynamic: true, delay_loop: 0.2, warmup: 0 }] },
      { address: '198.18.0.12', checks: [{ type: 'MISC_CHECK', misc_path: `sh -c 'echo $$ > ${dir}/pid; exec sleep 30'`, misc_timeout: 0.3, delay_loop: 0.2, warmup: 0 }] },
    ],
  }]);
  writeFileSync(`${e.dir}/code`, '12');
  await e.health.start(e.config);
  await waitFor('weight 10', () => dests(e).includes('198.18.0.11=10'), 3000);
  writeFileSync(`${e.dir}/code`, '1');
  await waitFor('exit 1 is down', () => !dests(e).some((d) => d.startsWith('198.18.0.11')), 3000);
  writeFileSync(`${e.dir}/code`, '0');
  await waitFor('exit 0: configured weight', () => dests(e).includes('198.18.0.11=1'), 3000);

  await waitFor('timeout takes it down', () => !dests(e).some((d) => d.startsWith('198.18.0.12')), 3000);
  assert.ok(logged(e, /198\.18\.0\.12:80 of dyn is DOWN: script timed out after 0\.3 s \(killed\)/));
  const pid = Number(readFileSync(`${e.dir}/pid`, 'utf8'));
  await waitFor('the timed-out script is gone', () => { try { process.kill(pid, 0); return false; } catch { return true; } }, 3000);
});

test('quorum hooks and the sorry server', { timeout: 20_000 }, async (t) => {
  const e = await setup(t, (dir) => [{
    name: 'q', address: '198.18.0.10', port: 80, quorum: 2, sorry_server: { address: '198.18.0.30' },
    quorum_up: `touch ${dir}/qup`, quorum_down: `touch ${dir}/qdown`,
    real_servers: [server(dir, 1), server(dir, 2)],
  }]);
  writeFileSync(`${e.dir}/up1`, ''); writeFileSync(`${e.dir}/up2`, '');
  await e.health.start(e.config);
  unlinkSync(`${e.dir}/up2`);
  await waitFor('sorry server in', () => dests(e).join() === '198.18.0.30=1', 3000);
  await waitFor('quorum_down ran', () => existsSync(`${e.dir}/qdown`), 3000);
  assert.ok(logged(e, /virtual server q lost quorum: live weight 1 < 2-0; sorry server takes over/));
  writeFileSync(`${e.dir}/up2`, '');
  await waitFor('real servers back', () => dests(e).join() === '198.18.0.11=1,198.18.0.12=1', 3000);
  await waitFor('quorum_up ran', () => existsSync(`${e.dir}/qup`), 3000);
});

test('operator overrides apply at once, survive a restart, and reject bad input', { timeout: 20_000 }, async (t) => {
  const e = await setup(t, (dir) => [{ name: 'web', address: '198.18.0.10', port: 80, real_servers: [server(dir, 1, { weight: 4 }), server(dir, 2)] }]);
  writeFileSync(`${e.dir}/up1`, ''); writeFileSync(`${e.dir}/up2`, '');
  await e.health.start(e.config);
  assert.equal(e.health.drain('web', '198.18.0.11:80').weight, 0);
  assert.deepEqual(dests(e), ['198.18.0.11=0', '198.18.0.12=1']);
  e.health.drain('web', '198.18.0.11:80', false);
  const r = e.health.setWeight('web', '198.18.0.11:80', 7);
  assert.equal(r.weight, 7);
  assert.equal(r.weight_override, 7);
  e.health.disable('web', '198.18.0.12:80');
  assert.deepEqual(dests(e), ['198.18.0.11=7']);
  assert.equal(e.changes.length, 4);
  assert.throws(() => e.health.setWeight('web', '198.18.0.11:80', 70000), (x: unknown) => x instanceof HealthOperationError && x.code === 'invalid');
  assert.throws(() => e.health.drain('nope', '198.18.0.11:80'), (x: unknown) => x instanceof HealthOperationError && x.code === 'not_found');
  assert.throws(() => e.health.drain('web', '198.18.0.99:80'), /no real server "198\.18\.0\.99:80" in web; it has 198\.18\.0\.11:80, 198\.18\.0\.12:80/);
  assert.deepEqual(dests(e), ['198.18.0.11=7'], 'bad input changed nothing');

  // A new lbd on the same state directory keeps them.
  const again = new HealthSubsystem({ log: createLogger({ stream: { write() {} } }), status: new StatusHub(), stateDir: e.dir });
  await again.start(e.config);
  t.after(() => again.stop());
  assert.deepEqual(again.destinations(e.config.virtual_servers[0]!).map((d) => `${d.address}=${d.weight}`), ['198.18.0.11=7']);
  e.health.enable('web', '198.18.0.12:80');
  e.health.setWeight('web', '198.18.0.11:80', null);
  assert.deepEqual(dests(e), ['198.18.0.11=4', '198.18.0.12=1']);
  assert.deepEqual(JSON.parse(readFileSync(`${e.dir}/health-overrides.json`, 'utf8')), {});
});

test('reload: a failed server stays out, a healthy one is not touched, weights and timing apply, state survives check edits', { timeout: 30_000 }, async (t) => {
  const vs = (dir: string, weight2: number, extraCheck = false, retry = 1) => [{
    name: 'web', address: '198.18.0.10', port: 80,
    real_servers: [
      server(dir, 1),
      { ...server(dir, 2), weight: weight2 },
      {
        address: '198.18.0.13',
        checks: [
          { type: 'MISC_CHECK', misc_path: `test -e ${dir}/up3`, delay_loop: 0.2, retry, warmup: 0 },
          ...(extraCheck ? [{ type: 'MISC_CHECK', misc_path: 'true', delay_loop: 0.2, warmup: 0 }] : []),
        ],
      },
    ],
  }, { name: 'other', address: '198.18.0.20', port: 80, real_servers: [server(dir, 4)] }];
  const e = await setup(t, (dir) => vs(dir, 1));
  for (const n of [2, 4]) writeFileSync(`${e.dir}/up${n}`, '');
  await e.health.start(e.config);
  await waitFor('1 and 3 down', () => dests(e).join() === '198.18.0.12=1', 5000);
  e.changes.length = 0;

  const apply = async (next: Config) => { await e.health.reload(next, diffConfig(e.config, next)); e.config = next; };
  // Only server 2's weight changes: 1 and 3 stay down (not re-added), 2 keeps its health with the new weight.
  await apply(mustConfig({ virtual_servers: vs(e.dir, 5) }));
  assert.deepEqual(dests(e), ['198.18.0.12=5']);
  assert.deepEqual(e.changes, ['web']);
  // A check added to a down server starts down: still not re-added; a retry change keeps state too.
  await apply(mustConfig({ virtual_servers: vs(e.dir, 5, true, 3) }));
  assert.deepEqual(dests(e), ['198.18.0.12=5']);
  await new Promise((r) => setTimeout(r, 600));
  assert.deepEqual(dests(e), ['198.18.0.12=5'], 'still out after its checks ran again');
  // The other virtual server is unchanged: no change event for it through all this.
  assert.ok(!e.changes.includes('other'));
  writeFileSync(`${e.dir}/up3`, '');
  await waitFor('3 comes up under the new config', () => dests(e).join() === '198.18.0.12=5,198.18.0.13=1', 3000);
  // Removing a virtual server stops its checks; re-adding one starts fresh.
  await apply(mustConfig({ virtual_servers: vs(e.dir, 5, true, 3).slice(0, 1) }));
  assert.equal(e.health.status().virtual_servers.length, 1);
  const down1 = e.health.status().virtual_servers[0]!.real_servers[0]!;
  assert.equal(down1.state, 'down');
  assert.match(down1.reason, /script exited 1/);
});

test('destinations() of a virtual server it does not run yet: its start state, and nothing starts', async (t) => {
  const e = await setup(t, (dir) => [{ name: 'x', address: '198.18.0.10', port: 80, real_servers: [server(dir, 1), server(dir, 2, { alpha: true })] }]);
  assert.deepEqual(dests(e), ['198.18.0.11=1']);
  await e.health.start(mustConfig({}));
  assert.deepEqual(dests(e), ['198.18.0.11=1']);
  assert.deepEqual(e.health.status().virtual_servers, []);
  assert.ok(logged(e, /health checks started/));
  assert.equal(e.ring.recent(100).find((l) => l.msg === 'health checks started')?.checks, 0);
});

test('reload: a shorter delay_loop applies at once, not after the old interval', { timeout: 20_000 }, async (t) => {
  const vs = (dir: string, loop: number) => [{ name: 'slow', address: '198.18.0.10', port: 80,
    real_servers: [{ address: '198.18.0.11', checks: [{ type: 'MISC_CHECK', misc_path: `test -e ${dir}/up1`, delay_loop: loop, misc_timeout: 1, warmup: 0 }] }] }];
  const e = await setup(t, (dir) => vs(dir, 60));
  writeFileSync(`${e.dir}/up1`, '');
  await e.health.start(e.config);
  await waitFor('first check ran', () => e.health.status().virtual_servers[0]!.real_servers[0]!.checks[0]!.last, 3000);
  const next = mustConfig({ virtual_servers: vs(e.dir, 0.2) });
  await e.health.reload(next, diffConfig(e.config, next));
  e.config = next;
  unlinkSync(`${e.dir}/up1`);
  await waitFor('down within the new interval', () => dests(e).length === 0, 3000);
});

test('hooks of one server run in order even when one is slow; a hook past its timeout is killed and logged', { timeout: 20_000 }, async (t) => {
  const e = await setup(t, (dir) => [{ name: 'h', address: '198.18.0.10', port: 80, real_servers: [
    server(dir, 1, { notify_down: `sh -c 'sleep 1; echo DOWN >> ${dir}/order'`, notify_up: `sh -c 'echo UP >> ${dir}/order'` }),
    server(dir, 2, { notify_down: `sh -c 'echo $$ > ${dir}/hung; exec sleep 30'` }),
  ] }], 2000);
  writeFileSync(`${e.dir}/up1`, ''); writeFileSync(`${e.dir}/up2`, '');
  await e.health.start(e.config);
  unlinkSync(`${e.dir}/up1`); unlinkSync(`${e.dir}/up2`);
  await waitFor('both down', () => dests(e).length === 0, 3000);
  writeFileSync(`${e.dir}/up1`, '');
  await waitFor('1 back up', () => dests(e).length === 1, 3000);
  await waitFor('both hooks of 1 ran', () => existsSync(`${e.dir}/order`) && readFileSync(`${e.dir}/order`, 'utf8').split('\n').length === 3, 5000);
  assert.equal(readFileSync(`${e.dir}/order`, 'utf8'), 'DOWN\nUP\n', 'the slow DOWN hook finished before UP started');
  await waitFor('timeout logged', () => logged(e, /notify_down hook timed out \(killed\)/), 3000);
  const pid = Number(readFileSync(`${e.dir}/hung`, 'utf8'));
  await waitFor('the hung hook is gone', () => { try { process.kill(pid, 0); return false; } catch { return true; } }, 3000);
});
