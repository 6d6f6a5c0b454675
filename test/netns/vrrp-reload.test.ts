/**
 * Reload without disruption, and the supervisor: an unrelated change causes
 * no transition on any node and no VIP event in the kernel; a changed instance
 * transitions once; a crashed engine has its VIP removed and is restarted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { LbdNode, VrrpLab, VIP1, VIP2, vrrpConfig } from '../lib/vrrp-lab.js';
import { waitFor } from '../lib/netns.js';

const INTERVAL = 0.2;
const VIP3 = '198.18.0.102';
const inst = (vrid: number, priority: number, vip: string) => ({
  interface: 'eth0', virtual_router_id: vrid, priority, version: 3, advert_int: INTERVAL, virtual_ipaddress: [`${vip}/24`],
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `ip monitor address` in a namespace: every address event the kernel reports. */
function monitor(vl: VrrpLab, ns: string): { lines: string[]; proc: ChildProcess } {
  const proc = vl.lab.spawn(ns, 'ip', ['-o', 'monitor', 'address']);
  const lines: string[] = [];
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)));
  return { lines, proc };
}

test('reload: an unrelated change disturbs nothing; a changed instance transitions once', { timeout: 90_000 }, async () => {
  const vl = await VrrpLab.create('vr');
  try {
    const a = new LbdNode(vl, await vl.host('a', 1), 'a', { harness: true });
    const b = new LbdNode(vl, await vl.host('b', 2), 'b', { harness: true });
    const cfgA = vrrpConfig({ VI_1: inst(51, 150, VIP1), VI_2: inst(52, 100, VIP2) });
    await a.start(cfgA);
    await b.start(vrrpConfig({ VI_1: inst(51, 100, VIP1), VI_2: inst(52, 150, VIP2) }));
    await a.waitState('VI_1', 'MASTER');
    await b.waitState('VI_2', 'MASTER');
    await sleep(500);

    const mon = monitor(vl, a.ns);
    await sleep(300);
    const marks = [a.transitions.length, b.transitions.length];
    const sentBefore = (await a.instanceStatus('VI_1')).counters.advertsSent;
    // Unrelated to VI_1: global settings, another instance's priority, a new instance.
    await a.reload(vrrpConfig({
      VI_1: inst(51, 150, VIP1), VI_2: inst(52, 120, VIP2), VI_3: inst(53, 150, VIP3),
    }, { global: { router_id: 'lab-renamed', notification_email: ['ops@example.org'] } }));
    await a.waitState('VI_3', 'MASTER', 5000);
    await sleep(3 * 800);
    assert.deepEqual(a.transitions.slice(marks[0]).filter((t) => t.instance !== 'VI_3'), [], 'no transition of VI_1/VI_2 on a');
    assert.deepEqual(b.transitions.slice(marks[1]), [], 'no transition on b');
    const vip1Events = mon.lines.filter((l) => l.includes(`${VIP1}/`));
    assert.deepEqual(vip1Events, [], 'VIP1 was neither removed nor re-added');
    assert.ok(mon.lines.some((l) => l.includes(`${VIP3}/`)), 'the monitor does see address events (VI_3 added its VIP)');
    const s1 = await a.instanceStatus('VI_1');
    assert.equal(s1.state, 'MASTER');
    assert.ok(s1.counters.advertsSent > sentBefore + 10, 'adverts kept flowing');
    assert.ok(s1.jitter.maxMs < INTERVAL * 1000, `advert timer stayed on schedule through the reload (max lateness ${s1.jitter.maxMs} ms)`);
    mon.proc.kill();

    // A change to VI_1 itself (priority below b's): one transition on each node, nothing more.
    const marks2 = [a.after(0, 'VI_1').length, b.after(0, 'VI_1').length];
    await a.reload(vrrpConfig({ VI_1: inst(51, 50, VIP1), VI_2: inst(52, 120, VIP2), VI_3: inst(53, 150, VIP3) }));
    await b.waitState('VI_1', 'MASTER', 5000);
    await a.waitState('VI_1', 'BACKUP', 5000);
    await sleep(2000);
    assert.deepEqual(a.after(0, 'VI_1').slice(marks2[0]).map((t) => t.to), ['BACKUP']);
    assert.deepEqual(b.after(0, 'VI_1').slice(marks2[1]).map((t) => t.to), ['MASTER']);
    assert.equal(await a.hasVip(VIP1), false);
    assert.ok(await b.hasVip(VIP1));
  } finally { await vl.cleanup(); }
});

test('supervisor: a killed engine leaves no VIP behind and is restarted', { timeout: 60_000 }, async () => {
  const vl = await VrrpLab.create('vc');
  try {
    const a = new LbdNode(vl, await vl.host('a', 1), 'a', { harness: true });
    const b = new LbdNode(vl, await vl.host('b', 2), 'b');
    await a.start(vrrpConfig({ VI_1: inst(51, 150, VIP1) }));
    await b.start(vrrpConfig({ VI_1: inst(51, 100, VIP1) }));
    await a.waitState('VI_1', 'MASTER');
    const enginePid = Number((await a.status()).engine.pid);
    assert.ok(enginePid > 0);
    process.kill(enginePid, 'SIGKILL');
    await waitFor('VIP removed from a', async () => !(await a.hasVip(VIP1)), 3000);
    await b.waitState('VI_1', 'MASTER', 5000);
    // The new engine starts as BACKUP, then preempts b.
    await a.waitState('VI_1', 'MASTER', 10_000);
    await b.waitState('VI_1', 'BACKUP', 5000);
    const s = await a.status();
    assert.equal(s.engine.restarts, 1);
    assert.notEqual(s.engine.pid, enginePid);
    assert.match(String(s.engine.lastExit), /signal SIGKILL/);
    assert.ok(a.lines.some((l) => l.msg === 'removed VIPs left by the VRRP engine'));
  } finally { await vl.cleanup(); }
});
