/**
 * Pool behaviour seen through the PoolSource, as the LVS reconciler sees it,
 * with real nginx servers in their own namespaces: removal and
 * inhibit_on_failure, the sorry server (and sorry_server_inhibit), quorum with
 * hysteresis and its hooks, notify hooks, alpha, operator overrides, and a
 * reload that keeps every untouched server's health.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, waitFor } from '../lib/netns.js';
import { HealthHarness } from '../lib/health-harness.js';
import { NginxServer } from '../lib/health-servers.js';

const T = { delay_loop: 0.5, connect_timeout: 0.5, retry: 1, delay_before_retry: 0.2, warmup: 0 };
const BOUND_MS = (T.delay_loop + T.connect_timeout * (T.retry + 1) + T.delay_before_retry * T.retry) * 1000 + 1000;
const check = [{ type: 'HTTP_GET', url: [{ path: '/index.html', status_code: 200 }], ...T }];

let lab: Lab;
let health: HealthHarness;
let hooks: string;
const web: NginxServer[] = [];
let sorry: NginxServer;
let atStart: Record<string, string[]> = {};

const R1 = '198.18.3.11:80', R2 = '198.18.3.12:80', R3 = '198.18.3.13:80', SORRY = '198.18.3.30:80';

function config(opts: { r1Weight?: number; withR3InWeb?: boolean; hysteresis?: number } = {}) {
  const rs = (n: number, extra: Record<string, unknown> = {}) => ({ address: `198.18.3.1${n}`, checks: check, ...extra });
  return {
    virtual_servers: [
      // The LVS-DR tutorial shape: two web servers behind a VIP, HTTP_GET /index.html, a sorry server.
      { name: 'web', address: '198.18.3.100', port: 80, lb_kind: 'DR', lb_algo: 'rr', sorry_server: { address: '198.18.3.30' },
        real_servers: [rs(1, { weight: opts.r1Weight ?? 1 }), rs(2), ...(opts.withR3InWeb ? [rs(3)] : [])] },
      { name: 'web-inhibit', address: '198.18.3.101', port: 80, lb_kind: 'DR', inhibit_on_failure: true,
        sorry_server: { address: '198.18.3.30' }, sorry_server_inhibit: true, real_servers: [rs(1), rs(2)] },
      { name: 'quorum', address: '198.18.3.102', port: 80, lb_kind: 'DR', quorum: 3, hysteresis: opts.hysteresis ?? 1,
        quorum_up: `touch ${hooks}/quorum_up`, quorum_down: `sh -c 'echo "$LBD_QUORUM $LBD_LIVE_WEIGHT" > ${hooks}/quorum_down'`,
        real_servers: [
          rs(1, { weight: 2, notify_down: `sh -c 'echo "$LBD_REAL_SERVER $LBD_STATE $LBD_REASON" >> ${hooks}/r1'`, notify_up: `sh -c 'echo "$LBD_STATE" >> ${hooks}/r1'` }),
          rs(2), rs(3)] },
      { name: 'alpha', address: '198.18.3.103', port: 80, lb_kind: 'DR', alpha: true, real_servers: [rs(3)] },
    ],
  };
}

before(async () => {
  hooks = mkdtempSync(join(tmpdir(), 'lbd-hooks-'));
  lab = await Lab.create('hpl');
  const lb = await lab.addNs('lb');
  await lab.connect(lb, 'eth0', 'br0', ['198.18.3.1/24']);
  for (const n of [1, 2, 3]) {
    const ns = await lab.addNs(`r${n}`);
    await lab.connect(ns, 'eth0', 'br0', [`198.18.3.1${n}/24`]);
    web.push(new NginxServer(lab, ns, `198.18.3.1${n}`));
  }
  const sns = await lab.addNs('sorry');
  await lab.connect(sns, 'eth0', 'br0', ['198.18.3.30/24']);
  sorry = new NginxServer(lab, sns, '198.18.3.30');
  sorry.setPage('<html>sorry, back soon</html>\n');
  for (const s of [...web, sorry]) await s.start();
  health = new HealthHarness(lab, lb);
  atStart = await health.start(config());
});

after(async () => {
  await health?.stop();
  for (const s of [...web, sorry]) await s?.remove();
  await lab?.cleanup();
  if (hooks) rmSync(hooks, { recursive: true, force: true });
});

test('start: every server in; alpha servers come in after their first check; sorry_server_inhibit at weight 0', { timeout: 20_000 }, async () => {
  assert.deepEqual(atStart, {
    web: [`${R1}=1`, `${R2}=1`],
    'web-inhibit': [`${R1}=1`, `${R2}=1`, `${SORRY}=0`],
    quorum: [`${R1}=2`, `${R2}=1`, `${R3}=1`],
    alpha: [],
  });
  await health.waitDests('alpha', [`${R3}=1`], T.delay_loop * 1000 + T.connect_timeout * 1000 + 1000);
});

test('a failed server leaves; with inhibit_on_failure it stays at weight 0; the sorry server joins when none is left', { timeout: 30_000 }, async () => {
  let t0 = Date.now();
  await web[0]!.stop();
  await health.waitDests('web', [`${R2}=1`], BOUND_MS, t0);
  await health.waitDests('web-inhibit', [`${R1}=0`, `${R2}=1`, `${SORRY}=0`], BOUND_MS, t0);
  await health.waitDests('quorum', [`${R2}=1`, `${R3}=1`], BOUND_MS, t0); // live 2: not below 3-1, quorum holds
  assert.ok(health.logged(/real server 198\.18\.3\.11:80 of web is DOWN: connection refused after 1 retry/));
  await waitFor('notify_down of r1', () => existsSync(`${hooks}/r1`), 3000);
  assert.equal(readFileSync(`${hooks}/r1`, 'utf8'), `${R1} DOWN connection refused after 1 retry\n`);
  assert.equal(existsSync(`${hooks}/quorum_down`), false);

  t0 = Date.now();
  await web[1]!.stop();
  // No healthy real server: the sorry server answers alone (DR: the same port).
  await health.waitDests('web', [`${SORRY}=1`], BOUND_MS, t0);
  await health.waitDests('web-inhibit', [`${R1}=0`, `${R2}=0`, `${SORRY}=1`], BOUND_MS, t0);
  // quorum: live weight 1 < 3-1: lost. Without a sorry server the live server stays.
  await health.waitDests('quorum', [`${R3}=1`], BOUND_MS, t0);
  await waitFor('quorum_down hook', () => existsSync(`${hooks}/quorum_down`), 3000);
  assert.equal(readFileSync(`${hooks}/quorum_down`, 'utf8'), 'DOWN 1\n');
  assert.ok(health.logged(/virtual server web lost quorum: live weight 0 < 1-0; sorry server takes over/));
  const st = await health.status();
  const w = st.virtual_servers.find((v) => v.name === 'web')!;
  assert.deepEqual(w.sorry_server, { address: '198.18.3.30', port: 80, active: true, inhibit: false });
  assert.equal(w.quorum.up, false);
});

test('a server back: the sorry server leaves; quorum needs quorum + hysteresis to return', { timeout: 30_000 }, async () => {
  let t0 = Date.now();
  await web[0]!.start();
  await health.waitDests('web', [`${R1}=1`], BOUND_MS, t0);
  await health.waitDests('web-inhibit', [`${R1}=1`, `${R2}=0`, `${SORRY}=0`], BOUND_MS, t0);
  await health.waitDests('quorum', [`${R1}=2`, `${R3}=1`], BOUND_MS, t0);
  await waitFor('notify_up of r1', () => readFileSync(`${hooks}/r1`, 'utf8').endsWith('UP\n'), 3000);
  // Live weight 3 < 3+1: quorum stays down (hysteresis), so no quorum_up yet.
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(existsSync(`${hooks}/quorum_up`), false);
  assert.equal((await health.status()).virtual_servers.find((v) => v.name === 'quorum')!.quorum.up, false);

  t0 = Date.now();
  await web[1]!.start();
  await health.waitDests('web', [`${R1}=1`, `${R2}=1`], BOUND_MS, t0);
  await health.waitDests('quorum', [`${R1}=2`, `${R2}=1`, `${R3}=1`], BOUND_MS, t0);
  await waitFor('quorum_up hook', () => existsSync(`${hooks}/quorum_up`), 3000);
});

test('operator overrides: drain keeps it at 0, disable removes it, enable and weight restore', { timeout: 20_000 }, async () => {
  await health.op('drain', 'web', R1);
  assert.deepEqual(health.dests.get('web'), [`${R1}=0`, `${R2}=1`]);
  await health.op('drain', 'web', R1, false);
  await health.op('disable', 'web', '198.18.3.12:80');
  assert.deepEqual(health.dests.get('web'), [`${R1}=1`]);
  // Disabled is not failed: the server keeps being checked and stays healthy.
  await new Promise((r) => setTimeout(r, 700));
  const st = (await health.status()).virtual_servers.find((v) => v.name === 'web')!.real_servers[1]!;
  assert.deepEqual([st.state, st.disabled, st.in_pool], ['up', true, false]);
  await health.op('enable', 'web', R2);
  await health.op('setWeight', 'web', R1, 5);
  assert.deepEqual(health.dests.get('web'), [`${R1}=5`, `${R2}=1`]);
  await assert.rejects(health.op('setWeight', 'web', R1, -1), /weight must be an integer from 0 to 65535/);
  await health.op('setWeight', 'web', R1, null);
  assert.deepEqual(health.dests.get('web'), [`${R1}=1`, `${R2}=1`]);
});

test('reload keeps health: a failed server is not re-added, healthy ones do not flap, untouched services see nothing', { timeout: 30_000 }, async () => {
  const t0 = Date.now();
  await web[1]!.stop();
  await health.waitDests('web', [`${R1}=1`], BOUND_MS, t0);
  await health.waitDests('web-inhibit', [`${R1}=1`, `${R2}=0`, `${SORRY}=0`], BOUND_MS, t0);
  await new Promise((r) => setTimeout(r, 300));
  const mark = Date.now();
  // web: r1's weight changes, r2 (failed) is unchanged, r3 is new; quorum: hysteresis changes; web-inhibit: untouched.
  await health.reload(config({ r1Weight: 3, withR3InWeb: true, hysteresis: 0 }));
  assert.deepEqual(health.dests.get('web'), [`${R1}=3`, `${R3}=1`]);
  await new Promise((r) => setTimeout(r, 2000)); // several check rounds under the new config
  const webChanges = health.changesOf('web', mark);
  assert.ok(webChanges.length >= 1);
  for (const c of webChanges) {
    assert.ok(!c.dests.some((d) => d.startsWith(R2)), `r2 re-added: ${c.dests}`);
    assert.ok(c.dests.includes(`${R1}=3`), `r1 flapped: ${c.dests}`);
  }
  assert.deepEqual(health.changesOf('web-inhibit', mark), []);
  assert.deepEqual(health.changesOf('alpha', mark), []);
  const r2 = (await health.status()).virtual_servers.find((v) => v.name === 'web')!.real_servers.find((r) => r.key === R2)!;
  assert.equal(r2.state, 'down');
  assert.equal(r2.reason, 'connection refused after 1 retry');

  const t1 = Date.now();
  await web[1]!.start();
  await health.waitDests('web', [`${R1}=3`, `${R2}=1`, `${R3}=1`], BOUND_MS, t1);
});
