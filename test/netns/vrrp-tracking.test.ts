/**
 * Tracking against real parts: a pulled cable (carrier loss seen over
 * rtnetlink), real scripts on their interval, an external tracker fed the way
 * the L7 subsystem will feed it, and maintenance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LbdNode, VrrpLab, VIP1, vrrpConfig } from '../lib/vrrp-lab.js';
import { waitFor } from '../lib/netns.js';

const INTERVAL = 0.2;
const masterDown = (priority: number) => (3 * INTERVAL + ((256 - priority) * INTERVAL) / 256) * 1000;
const base = (priority: number, extra: Record<string, unknown> = {}) => ({
  interface: 'eth0', virtual_router_id: 51, priority, version: 3, advert_int: INTERVAL, virtual_ipaddress: [`${VIP1}/24`], ...extra,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pair(vl: VrrpLab, harness = true) {
  const a = new LbdNode(vl, await vl.host('a', 1), 'a', { harness });
  const b = new LbdNode(vl, await vl.host('b', 2), 'b', { harness });
  return { a, b };
}

test('track_interface: carrier loss puts the node in FAULT and the VIP moves; carrier back recovers', { timeout: 60_000 }, async () => {
  const vl = await VrrpLab.create('vi');
  try {
    const { a, b } = await pair(vl, false);
    const uplink = await vl.lab.connect(a.ns, 'eth1', 'br1', ['198.18.1.1/24']);
    await vl.lab.connect(b.ns, 'eth1', 'br1', ['198.18.1.2/24']);
    await a.start(vrrpConfig({ VI_1: base(150, { track_interface: ['eth1'] }) }));
    await b.start(vrrpConfig({ VI_1: base(100, { track_interface: ['eth1'] }) }));
    await a.waitState('VI_1', 'MASTER');
    await b.waitState('VI_1', 'BACKUP');

    const pulled = Date.now();
    await vl.lab.cable(uplink, false);
    const f = await a.waitState('VI_1', 'FAULT', 5000);
    assert.match(f.reason, /interface eth1 down/);
    assert.ok(f.at - pulled < 1000, `FAULT ${f.at - pulled} ms after the cable pull (events, not polling)`);
    // Priority 0 on the way out: b takes over within skew time, not master_down_interval.
    const m = await b.waitState('VI_1', 'MASTER', 5000);
    assert.match(m.reason, /priority 0/);
    await waitFor('VIP on b only', async () => await b.hasVip(VIP1) && !(await a.hasVip(VIP1)), 3000);

    await vl.lab.cable(uplink, true);
    await a.waitState('VI_1', 'MASTER', 10_000);
    assert.deepEqual(a.transitions.slice(-2).map((t) => t.to), ['BACKUP', 'MASTER']);
    await waitFor('VIP back on a', async () => await a.hasVip(VIP1) && !(await b.hasVip(VIP1)), 3000);
  } finally { await vl.cleanup(); }
});

test('track_script weight +4: priority 100+4 vs 98+4, the VIP follows the failing check', { timeout: 60_000 }, async () => {
  const vl = await VrrpLab.create('vs');
  try {
    const { a, b } = await pair(vl);
    const flagA = join(vl.tmp, 'a-ok'), flagB = join(vl.tmp, 'b-ok');
    writeFileSync(flagA, ''); writeFileSync(flagB, '');
    const cfg = (prio: number, flag: string) => vrrpConfig({ VI_1: base(prio, { track_script: ['chk'] }) },
      { vrrp_scripts: { chk: { script: `test -e ${flag}`, interval: 0.2, weight: 4, fall: 1, rise: 1 } } });
    await a.start(cfg(100, flagA));
    await b.start(cfg(98, flagB));
    await a.waitState('VI_1', 'MASTER');
    await waitFor('priorities 104 / 102', async () => (await a.instanceStatus('VI_1')).effectivePriority === 104 && (await b.instanceStatus('VI_1')).effectivePriority === 102, 5000);

    rmSync(flagA);
    await b.waitState('VI_1', 'MASTER', 5000);
    await a.waitState('VI_1', 'BACKUP', 5000);
    assert.equal((await a.instanceStatus('VI_1')).effectivePriority, 100);
    assert.match(b.transitions.at(-1)!.reason, /preempting master 198\.18\.0\.1 \(priority 100 < ours 102\)/);

    writeFileSync(flagA, '');
    await a.waitState('VI_1', 'MASTER', 5000);
    await b.waitState('VI_1', 'BACKUP', 5000);
    assert.ok(await a.hasVip(VIP1));
  } finally { await vl.cleanup(); }
});

test('track_script weight -30, fall 3, rise 5: the VIP moves after the third failure and returns after the fifth success, not before', { timeout: 90_000 }, async () => {
  const vl = await VrrpLab.create('vw');
  try {
    const { a, b } = await pair(vl);
    const flag = join(vl.tmp, 'a-ok');
    writeFileSync(flag, '');
    const every = 0.5;
    await a.start(vrrpConfig({ VI_1: base(100, { track_script: ['chk'] }) },
      { vrrp_scripts: { chk: { script: `test -e ${flag}`, interval: every, weight: -30, fall: 3, rise: 5 } } }));
    await b.start(vrrpConfig({ VI_1: base(98) }));
    await a.waitState('VI_1', 'MASTER');
    await b.waitState('VI_1', 'BACKUP');

    rmSync(flag);
    const failedAt = Date.now();
    await sleep(every * 1000 * 1.2); // at most two failed runs so far
    assert.equal(a.state('VI_1'), 'MASTER');
    assert.equal((await a.instanceStatus('VI_1')).effectivePriority, 100);
    await b.waitState('VI_1', 'MASTER', 10_000);
    const moved = Date.now() - failedAt;
    assert.ok(moved >= 2 * every * 1000, `moved after ${moved} ms: before the third failure`);
    assert.equal((await a.instanceStatus('VI_1')).effectivePriority, 70);

    writeFileSync(flag, '');
    const okAt = Date.now();
    await sleep(every * 1000 * 3.5); // at most four successes
    assert.equal(b.state('VI_1'), 'MASTER');
    await a.waitState('VI_1', 'MASTER', 10_000);
    assert.ok(Date.now() - okAt >= 4 * every * 1000, 'came back before the fifth success');
    assert.equal((await a.instanceStatus('VI_1')).effectivePriority, 100);
  } finally { await vl.cleanup(); }
});

test('track_proxy: the real proxy probe faults the instance when its backend dies, the VIP moves and comes back; maintenance hands over at once and holds', { timeout: 90_000 }, async (t) => {
  const vl = await VrrpLab.create('vp');
  try {
    const { a, b } = await pair(vl);
    // The backend lives in a's namespace on loopback; HAProxy on a serves the VIP's port 80 from it.
    const BACKEND = `require('http').createServer((q, r) => r.end('app')).listen(8080, '127.0.0.1')`;
    let backend = vl.lab.spawn(a.ns, process.execPath, ['-e', BACKEND]);
    const l7 = {
      l7: {
        frontends: { web: { engine: 'haproxy', bind: ['198.18.0.100:80'], default_backend: 'app', probe: { interval: 0.5, rise: 1, fall: 2 } } },
        backends: { app: { servers: [{ name: 's1', address: '127.0.0.1', port: 8080 }] } },
      },
    };
    await a.start(vrrpConfig({ VI_1: base(150, { track_proxy: ['web'] }) }, l7));
    await b.start(vrrpConfig({ VI_1: base(100) }));
    await a.waitState('VI_1', 'MASTER', 20_000);

    const killed = Date.now();
    backend.kill('SIGKILL');
    const f = await a.waitState('VI_1', 'FAULT', 10_000);
    assert.match(f.reason, /tracker proxy:web failed/);
    const m1 = await b.waitState('VI_1', 'MASTER', 3000);
    await waitFor('VIP on b only', async () => await b.hasVip(VIP1) && !(await a.hasVip(VIP1)), 3000);
    // A diagnostic, not a bound: probe interval × fall plus the probe's own timeout.
    t.diagnostic(`backend killed → a FAULT ${f.at - killed} ms, b MASTER ${m1.at - killed} ms`);

    backend = vl.lab.spawn(a.ns, process.execPath, ['-e', BACKEND]);
    await a.waitState('VI_1', 'MASTER', 10_000);
    await b.waitState('VI_1', 'BACKUP', 3000);
    await waitFor('VIP back on a', async () => await a.hasVip(VIP1) && !(await b.hasVip(VIP1)), 3000);

    const on = Date.now();
    a.command({ op: 'maintenance', on: true });
    const m = await b.waitState('VI_1', 'MASTER', 3000);
    assert.ok(m.at - on < INTERVAL * 1000 + 500, `handed over ${m.at - on} ms after maintenance on`);
    assert.equal(a.state('VI_1'), 'BACKUP');
    await sleep(3 * masterDown(150));
    assert.equal(a.state('VI_1'), 'BACKUP', 'maintenance holds BACKUP');
    assert.equal((await a.status()).maintenance, true);
    a.command({ op: 'maintenance', on: false });
    await a.waitState('VI_1', 'MASTER', 5000);
  } finally { await vl.cleanup(); }
});

test('track_proxy weight -60: HAProxy killed → the priority drops, the VIP moves; the supervisor restarts it and the VIP comes back', { timeout: 90_000 }, async (t) => {
  const vl = await VrrpLab.create('vk');
  try {
    const { a, b } = await pair(vl);
    vl.lab.spawn(a.ns, process.execPath, ['-e', `require('http').createServer((q, r) => r.end('app')).listen(8080, '127.0.0.1')`]);
    const l7 = {
      l7: {
        frontends: { web: { engine: 'haproxy', bind: ['198.18.0.100:80'], default_backend: 'app', probe: { interval: 0.5, rise: 4, fall: 2 } } },
        backends: { app: { servers: [{ name: 's1', address: '127.0.0.1', port: 8080 }] } },
      },
    };
    await a.start(vrrpConfig({ VI_1: base(150, { track_proxy: [{ frontend: 'web', weight: -60 }] }) }, l7));
    await b.start(vrrpConfig({ VI_1: base(100) }));
    await a.waitState('VI_1', 'MASTER', 20_000);
    await waitFor('a healthy at full priority', async () => (await a.instanceStatus('VI_1')).effectivePriority === 150, 10_000);

    // Like `killall -9 haproxy`: the master and its workers. The health drop is immediate (the process
    // is gone); rise 4 keeps the restarted proxy unproven for 2 s, longer than b needs to take over.
    const pid = Number(readFileSync(join(a.dir, 'state', 'proxy', 'haproxy', 'haproxy.pid'), 'utf8').trim());
    const killed = Date.now();
    process.kill(-pid, 'SIGKILL');
    const m = await b.waitState('VI_1', 'MASTER', 5000).catch((e: Error) => { throw new Error(`${e.message}; a logged since the kill:\n${a.lines.filter((l) => Number(l.time ? Date.parse(String(l.time)) : 0) >= killed).map((l) => String(l.msg)).join('\n')}`); });
    await waitFor('VIP on b only', async () => await b.hasVip(VIP1) && !(await a.hasVip(VIP1)), 3000);
    assert.equal(a.state('VI_1'), 'BACKUP', 'a lowered its priority (150 − 60 < 100), it did not fault');
    const back = await a.waitState('VI_1', 'MASTER', 20_000);
    await waitFor('VIP back on a', async () => await a.hasVip(VIP1) && !(await b.hasVip(VIP1)), 3000);
    assert.equal((await a.instanceStatus('VI_1')).effectivePriority, 150);
    t.diagnostic(`HAProxy killed → b MASTER ${m.at - killed} ms; restarted and healthy → a MASTER again ${back.at - killed} ms`);
  } finally { await vl.cleanup(); }
});
