/**
 * Transport modes and topologies: unicast peers, a custom multicast group,
 * authentication mismatch, two active-active instances, IPv6, sync groups.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Capture, LbdNode, VrrpLab, VIP1, VIP2, garpRe, vrrpConfig } from '../lib/vrrp-lab.js';
import { must, waitFor } from '../lib/netns.js';

const INTERVAL = 0.2;
const v3 = (priority: number, extra: Record<string, unknown> = {}) => ({
  interface: 'eth0', virtual_router_id: 51, priority, version: 3, advert_int: INTERVAL, virtual_ipaddress: [`${VIP1}/24`], ...extra,
});

async function pair(vl: VrrpLab, harness = false) {
  return {
    a: new LbdNode(vl, await vl.host('a', 1), 'a', { harness }),
    b: new LbdNode(vl, await vl.host('b', 2), 'b', { harness }),
  };
}

test('unicast peers: adverts go to the peer from unicast_src_ip, failover works', { timeout: 60_000 }, async () => {
  const vl = await VrrpLab.create('vu');
  try {
    const { a, b } = await pair(vl);
    const capB = await Capture.start(vl, b.ns, ['vrrp']);
    await a.start(vrrpConfig({ VI_1: v3(150, { unicast_src_ip: '198.18.0.1', unicast_peer: ['198.18.0.2'] }) }));
    await b.start(vrrpConfig({ VI_1: v3(100, { unicast_src_ip: '198.18.0.2', unicast_peer: ['198.18.0.1'] }) }));
    await a.waitState('VI_1', 'MASTER');
    await b.waitState('VI_1', 'BACKUP');
    await capB.first(/^IP 198\.18\.0\.1 > 198\.18\.0\.2: VRRPv3, Advertisement, vrid 51, prio 150/, 0, 3000);
    assert.ok(!capB.lines.some((l) => /224\.0\.0\.18/.test(l.text)), 'no multicast advert in unicast mode');
    await a.crash();
    await b.waitState('VI_1', 'MASTER', 5000);
    assert.ok(await b.hasVip(VIP1));
    capB.stop();
  } finally { await vl.cleanup(); }
});

test('custom multicast group 233.6.6.6: joined on the interface, adverts sent to it', { timeout: 60_000 }, async () => {
  const vl = await VrrpLab.create('vg');
  try {
    const { a, b } = await pair(vl);
    const capB = await Capture.start(vl, b.ns, ['vrrp']);
    await a.start(vrrpConfig({ VI_1: v3(150, { mcast_dst_ip: '233.6.6.6' }) }));
    await b.start(vrrpConfig({ VI_1: v3(100, { mcast_dst_ip: '233.6.6.6' }) }));
    await a.waitState('VI_1', 'MASTER');
    await b.waitState('VI_1', 'BACKUP');
    assert.match(await must('ip', ['-n', b.ns, 'maddr', 'show', 'dev', 'eth0']), /inet\s+233\.6\.6\.6/);
    await capB.first(/^IP 198\.18\.0\.1 > 233\.6\.6\.6: VRRPv3, Advertisement, vrid 51, prio 150/, 0, 3000);
    await a.crash();
    await b.waitState('VI_1', 'MASTER', 5000);
    capB.stop();
  } finally { await vl.cleanup(); }
});

test('wrong password: adverts are ignored and counted; a reload with the right one settles the election in one transition', { timeout: 60_000 }, async () => {
  const vl = await VrrpLab.create('va');
  try {
    const { a, b } = await pair(vl, true);
    const v2 = (priority: number, pass: string) => vrrpConfig({ VI_1: { interface: 'eth0', virtual_router_id: 51, priority, advert_int: 1, authentication: { auth_type: 'PASS', auth_pass: pass }, virtual_ipaddress: [`${VIP1}/24`] } });
    await a.start(v2(150, 'secret'));
    await b.start(v2(100, 'wrong'));
    // Each ignores the other: both end up MASTER.
    await a.waitState('VI_1', 'MASTER', 8000);
    await b.waitState('VI_1', 'MASTER', 8000);
    await waitFor('auth drops counted on b', async () => ((await b.instanceStatus('VI_1')).counters.dropped.auth ?? 0) >= 2, 5000);
    const sb = await b.instanceStatus('VI_1');
    assert.equal(sb.counters.advertsReceived, 0);
    await waitFor('auth drops counted on a', async () => ((await a.instanceStatus('VI_1')).counters.dropped.auth ?? 0) >= 1, 5000);
    assert.ok(!b.lines.some((l) => JSON.stringify(l).includes('secret')), 'the password is never logged');

    const mark = b.transitions.length;
    await b.reload(v2(100, 'secret'));
    await b.waitState('VI_1', 'BACKUP', 5000);
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual(b.after(mark).map((t) => t.to), ['BACKUP'], 'exactly one transition');
    assert.equal(a.state('VI_1'), 'MASTER');
    assert.equal(await b.hasVip(VIP1), false);
  } finally { await vl.cleanup(); }
});

test('two instances active-active: each node masters one VIP; both fail over to the survivor and back', { timeout: 90_000 }, async () => {
  const vl = await VrrpLab.create('v2');
  try {
    const { a, b } = await pair(vl);
    const client = await vl.host('c', 9);
    const cap = await Capture.start(vl, client, ['arp']);
    const cfg = (p1: number, p2: number) => vrrpConfig({
      VI_1: v3(p1),
      VI_2: { ...v3(p2), virtual_router_id: 52, virtual_ipaddress: [`${VIP2}/24`] },
    });
    await a.start(cfg(150, 100));
    await b.start(cfg(100, 150));
    await a.waitState('VI_1', 'MASTER'); await a.waitState('VI_2', 'BACKUP');
    await b.waitState('VI_2', 'MASTER'); await b.waitState('VI_1', 'BACKUP');

    const ta = await a.crash();
    await b.waitState('VI_1', 'MASTER', 5000);
    assert.ok(await b.hasVip(VIP1) && await b.hasVip(VIP2));
    await cap.first(garpRe(VIP1), ta, 3000);
    await a.start(cfg(150, 100));
    await a.waitState('VI_1', 'MASTER', 5000);
    await b.waitState('VI_1', 'BACKUP', 5000);
    assert.equal(b.state('VI_2'), 'MASTER');

    const tb = await b.crash();
    await a.waitState('VI_2', 'MASTER', 5000);
    assert.ok(await a.hasVip(VIP1) && await a.hasVip(VIP2));
    await cap.first(garpRe(VIP2), tb, 3000);
    await b.start(cfg(100, 150));
    await b.waitState('VI_2', 'MASTER', 5000);
    await a.waitState('VI_2', 'BACKUP', 5000);
    assert.ok(await a.hasVip(VIP1) && !(await a.hasVip(VIP2)));
    assert.ok(await b.hasVip(VIP2) && !(await b.hasVip(VIP1)));
    cap.stop();
  } finally { await vl.cleanup(); }
});

test('IPv6 (VRRPv3 from the link-local address to ff02::12): failover with unsolicited NA', { timeout: 60_000 }, async () => {
  const vl = await VrrpLab.create('v6');
  try {
    const { a, b } = await pair(vl);
    const client = await vl.host('c', 9);
    const cap = await Capture.start(vl, client, ['icmp6 or ip6 proto 112']);
    const cfg = (priority: number) => vrrpConfig({ VI_6: { interface: 'eth0', virtual_router_id: 61, priority, advert_int: INTERVAL, virtual_ipaddress: ['2001:db8::100/64'] } });
    await a.start(cfg(150));
    await b.start(cfg(100));
    await a.waitState('VI_6', 'MASTER', 10_000);
    await b.waitState('VI_6', 'BACKUP', 10_000);
    await cap.first(/fe80::\S+ > ff02::12: VRRPv3, Advertisement, vrid 61, prio 150/, 0, 3000);
    const t = await a.crash();
    await b.waitState('VI_6', 'MASTER', 5000);
    assert.ok(await b.hasVip('2001:db8::100'));
    await cap.first(/2001:db8::100 > ff02::1: ICMP6, neighbor advertisement, tgt is 2001:db8::100/, t, 3000);
    cap.stop();
  } finally { await vl.cleanup(); }
});

test('sync group: a fault in one member moves the whole group', { timeout: 60_000 }, async () => {
  const vl = await VrrpLab.create('vy');
  try {
    const { a, b } = await pair(vl);
    const flag = join(vl.tmp, 'a-ok');
    writeFileSync(flag, '');
    const cfg = (p: number, tracked: boolean) => vrrpConfig({
      VI_1: v3(p, tracked ? { track_script: ['chk'] } : {}),
      VI_2: { ...v3(p), virtual_router_id: 52, virtual_ipaddress: [`${VIP2}/24`] },
    }, {
      vrrp_sync_groups: { G: { group: ['VI_1', 'VI_2'] } },
      ...(tracked ? { vrrp_scripts: { chk: { script: `test -e ${flag}`, interval: 0.2, weight: 0 } } } : {}),
    });
    await a.start(cfg(150, true));
    await b.start(cfg(100, false));
    await a.waitState('VI_1', 'MASTER'); await a.waitState('VI_2', 'MASTER');
    rmSync(flag);
    await a.waitState('VI_2', 'FAULT', 5000);
    assert.match(a.transitions.filter((t) => t.instance === 'VI_2').at(-1)!.reason, /sync group G: VI_1 in FAULT/);
    await b.waitState('VI_1', 'MASTER', 5000); await b.waitState('VI_2', 'MASTER', 5000);
    writeFileSync(flag, '');
    await a.waitState('VI_1', 'MASTER', 5000); await a.waitState('VI_2', 'MASTER', 5000);
    assert.ok(a.lines.some((l) => l.sync_group === 'G' && l.state === 'MASTER'));
  } finally { await vl.cleanup(); }
});

test('VIPs with label and device; GARP burst count, second burst after the delay, periodic refresh', { timeout: 60_000 }, async () => {
  const vl = await VrrpLab.create('vb');
  try {
    const a = new LbdNode(vl, await vl.host('a', 1), 'a');
    await vl.lab.connect(a.ns, 'eth1', 'br1', ['198.18.1.1/24']);
    const cap = await Capture.start(vl, await vl.host('c', 9), ['arp']);
    await a.start(vrrpConfig({
      VI_1: {
        ...v3(150), state: 'MASTER',
        virtual_ipaddress: [{ address: `${VIP1}/24`, label: 'eth0:vip' }],
        virtual_ipaddress_excluded: [{ address: '198.18.1.100/24', dev: 'eth1' }],
        garp_master_repeat: 3, garp_master_delay: 1, garp_master_refresh: 2, garp_master_refresh_repeat: 2,
      },
    }));
    const m = await a.waitState('VI_1', 'MASTER', 5000);
    await waitFor('VIP with its label on eth0', async () => new RegExp(`inet ${VIP1.replace(/\./g, '\\.')}/24 .*eth0:vip`).test(await must('ip', ['-n', a.ns, '-o', 'addr', 'show', 'dev', 'eth0'])), 2000);
    await waitFor('excluded VIP added on its own device', () => a.hasVip('198.18.1.100', 'eth1'), 2000);
    await new Promise((r) => setTimeout(r, 4600));
    const garps = cap.lines.filter((l) => l.ts >= m.at - 50 && garpRe(VIP1).test(l.text)).map((l) => l.ts - m.at);
    // 3 at once, 3 more after 1 s, then 2 every 2 s (at 2 s and 4 s).
    const near = (t: number) => garps.filter((g) => Math.abs(g - t) < 400).length;
    assert.deepEqual([near(0), near(1000), near(2000), near(4000)], [3, 3, 2, 2], `GARP times: ${garps.map(Math.round).join(', ')}`);
    await a.terminate();
    assert.equal(await a.hasVip(VIP1), false);
    assert.equal(await a.hasVip('198.18.1.100', 'eth1'), false);
    cap.stop();
  } finally { await vl.cleanup(); }
});
