/**
 * Election and failover between lbd nodes on one bridge, a client capturing.
 * Timing assertions are RFC bounds with a margin for a loaded machine; the
 * failover numbers themselves are in bench/vrrp-failover.bench.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Capture, LbdNode, VrrpLab, VIP1, garpRe, vrrpConfig } from '../lib/vrrp-lab.js';

const MARGIN_MS = 500;
const INTERVAL = 0.2;
/** RFC 5798: 3 × interval + (256 - priority) × interval / 256. */
const masterDown = (priority: number, interval = INTERVAL) => (3 * interval + ((256 - priority) * interval) / 256) * 1000;

const instance = (priority: number, extra: Record<string, unknown> = {}) => vrrpConfig({
  VI_1: { interface: 'eth0', virtual_router_id: 51, priority, version: 3, advert_int: INTERVAL, virtual_ipaddress: [`${VIP1}/24`], ...extra },
});

async function topology(vl: VrrpLab) {
  const a = new LbdNode(vl, await vl.host('a', 1), 'a');
  const b = new LbdNode(vl, await vl.host('b', 2), 'b');
  const client = await vl.host('c', 9);
  const cap = await Capture.start(vl, client, ['arp or vrrp']);
  return { a, b, cap };
}

test('election by priority, crash failover with GARP, preemption on return, clean stop hands over at once', { timeout: 90_000 }, async () => {
  const vl = await VrrpLab.create('vf');
  try {
    const { a, b, cap } = await topology(vl);
    await a.start(instance(150));
    await b.start(instance(100));
    await a.waitState('VI_1', 'MASTER');
    await b.waitState('VI_1', 'BACKUP');
    assert.ok(await a.hasVip(VIP1), 'VIP on the master');
    assert.equal(await b.hasVip(VIP1), false, 'no VIP on the backup');
    // The election is stable: no transition on either node for a while.
    const marks = [a.transitions.length, b.transitions.length];
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual([a.transitions.length, b.transitions.length], marks);

    // Crash (SIGKILL of every process of node a): b takes over within master_down_interval.
    const killedAt = await a.crash();
    const t = await b.waitState('VI_1', 'MASTER', 5000);
    const took = t.at - killedAt;
    assert.ok(took <= masterDown(100) + MARGIN_MS, `backup took over after ${took} ms (master_down_interval ${masterDown(100)} ms)`);
    assert.match(t.reason, /no advertisement from master 198\.18\.0\.1/);
    assert.ok(await b.hasVip(VIP1));
    const garp = await cap.first(garpRe(VIP1), killedAt, 3000);
    assert.ok(garp.ts - killedAt <= masterDown(100) + MARGIN_MS, `client saw the gratuitous ARP after ${garp.ts - killedAt} ms`);

    // a returns: it removes the VIP its crash left behind, then preempts b.
    const markB = b.transitions.length;
    await a.start(instance(150));
    assert.ok(a.lines.some((l) => String(l.msg).includes('removed VIPs left behind')), 'stale VIP removed at start');
    await a.waitState('VI_1', 'MASTER', 5000);
    await b.waitState('VI_1', 'BACKUP', 5000);
    assert.deepEqual(b.after(markB).map((x) => x.to), ['BACKUP']);
    assert.match(b.after(markB)[0]!.reason, /higher priority master 198\.18\.0\.1 \(150 > ours 100\)/);
    assert.equal(await b.hasVip(VIP1), false);

    // Clean stop: priority 0, b takes over within one advert interval (skew time), VIP gone from a.
    const stoppedAt = await a.terminate();
    const t2 = await b.waitState('VI_1', 'MASTER', 5000);
    assert.match(t2.reason, /released \(priority 0\)/);
    assert.ok(t2.at - stoppedAt <= INTERVAL * 1000 + MARGIN_MS, `takeover ${t2.at - stoppedAt} ms after SIGTERM`);
    await cap.first(/198\.18\.0\.1 > 224\.0\.0\.18: VRRPv3, Advertisement, vrid 51, prio 0,/, stoppedAt, 3000);
    assert.equal(await a.hasVip(VIP1), false, 'a clean stop leaves no VIP behind');
    cap.stop();
  } finally { await vl.cleanup(); }
});

test('nopreempt: the returning higher-priority node stays BACKUP', { timeout: 60_000 }, async () => {
  const vl = await VrrpLab.create('vn');
  try {
    const { a, b, cap } = await topology(vl);
    await a.start(instance(150, { nopreempt: true }));
    await a.waitState('VI_1', 'MASTER', 5000);
    await b.start(instance(100, { nopreempt: true }));
    await b.waitState('VI_1', 'BACKUP');
    await a.crash();
    await b.waitState('VI_1', 'MASTER', 5000);
    const markB = b.transitions.length;
    await a.start(instance(150, { nopreempt: true }));
    await a.waitState('VI_1', 'BACKUP');
    await new Promise((r) => setTimeout(r, 4 * masterDown(150)));
    assert.equal(a.state('VI_1'), 'BACKUP');
    assert.deepEqual(b.after(markB), []);
    assert.ok(await b.hasVip(VIP1));
    assert.equal(await a.hasVip(VIP1), false);
    cap.stop();
  } finally { await vl.cleanup(); }
});

test('preempt_delay: the returning node preempts only after the delay', { timeout: 60_000 }, async () => {
  const vl = await VrrpLab.create('vd');
  try {
    const { a, b, cap } = await topology(vl);
    await b.start(instance(100));
    await b.waitState('VI_1', 'MASTER', 5000);
    await a.start(instance(150, { preempt_delay: 2 }));
    const backup = await a.waitState('VI_1', 'BACKUP');
    const master = await a.waitState('VI_1', 'MASTER', 10_000);
    const after = master.at - backup.at;
    assert.ok(after >= 2000, `preempted after ${after} ms, before the 2 s delay`);
    assert.ok(after <= 2000 + masterDown(150) + INTERVAL * 1000 + MARGIN_MS, `preempted after ${after} ms`);
    await b.waitState('VI_1', 'BACKUP');
    cap.stop();
  } finally { await vl.cleanup(); }
});
