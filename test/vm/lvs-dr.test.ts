/**
 * LVS-DR and fwmark virtual servers in the real kernel (the VM tier): lbd programs IPVS in a
 * director namespace; real requests, captured frames, netlink messages on an nlmon device and
 * ipvsadm/nft read-backs come from the guest scenario test/vm/guest/lvs-dr.ts.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runGuestScript } from './lib/vm.js';

interface Reload { writes: Record<string, number>; lbdLog: Record<string, unknown>; diff: { removed: string[]; added: string[] } }
interface Report {
  steps: string[];
  macs: Record<'director' | 'rs1' | 'rs2' | 'rs3', string>;
  realServerStatus: Record<string, string>;
  arpRepliesFrom: string[];
  handMadeBefore: string[];
  startReconcile: Record<string, unknown>[];
  tableAfterStart: string[];
  timeouts: string;
  nftAfterStart: string;
  rr: Record<string, number>; wrr: Record<string, number>; fw80: Record<string, number>; fw443: Record<string, number>;
  rrReplyFramesBySrcMac: Record<string, number>;
  rrRequestFramesByDstMac: Record<string, number>;
  statsRr: Record<string, number>; statsWrr: Record<string, number>; statsFw: Record<string, number>;
  nftCounters: string;
  reloadWeight: Reload; reloadAdd: Reload; reloadRemove: Reload;
  tableSurvivesKill: { removed: string[]; added: string[] };
  restartWrites: Record<string, number>;
  restartReconcile: Record<string, unknown>[];
  tableAfterRestart: string[];
  nftTablesAfterRestart: string; nftAfterRestart: string;
  rrAfterRestart: Record<string, number>;
  ownedAfterRestart: { services: Record<string, string> };
  stopExit: number | null;
  tableAfterStop: string[];
  nftTablesAfterStop: string;
  lbdErrors: unknown[];
}


describe('LVS-DR and fwmark in the real kernel (VM)', { timeout: 900_000 }, () => {
  let r: Report;
  before(async () => {
    ({ report: r } = await runGuestScript<Report>('dist/test/vm/guest/lvs-dr.js', { timeoutMs: 840_000 }));
  });

  it('prepares real servers with the generated script: only the director answers ARP for the VIP', () => {
    for (const s of Object.values(r.realServerStatus)) assert.match(s, /^ready for LVS-DR/);
    assert.deepEqual(r.arpRepliesFrom, [r.macs.director]);
  });

  it('programs the configured services at start without touching the hand-made one', () => {
    // ipvsadm -Ln lines; the guest strips the connection counters.
    assert.deepEqual(r.tableAfterStart, [
      'TCP 198.18.1.100:80 rr', '-> 198.18.1.11:80 Route 1', '-> 198.18.1.12:80 Route 1',
      'TCP 198.18.1.101:80 wrr', '-> 198.18.1.11:80 Route 3', '-> 198.18.1.12:80 Route 1',
      'TCP 198.18.1.200:8080 lc', '-> 198.18.1.13:8080 Route 7',
      'FWM 80 rr', '-> 198.18.1.11:0 Route 1', '-> 198.18.1.12:0 Route 1',
    ]);
    assert.equal(r.startReconcile.length, 1);
    assert.equal(r.startReconcile[0]!.operations, 9, '3 services + 6 destinations, nothing for the hand-made service');
    assert.equal(r.timeouts, 'Timeout (tcp tcpfin udp): 901 31 301', 'lvs_timeouts applied');
  });

  it('balances a DR service rr 1:1 and wrr 3:1 by real requests, as the kernel counts them too', () => {
    assert.deepEqual(r.rr, { rs1: 30, rs2: 30 });
    assert.deepEqual(r.statsRr, { '198.18.1.11:80': 30, '198.18.1.12:80': 30 });
    assert.deepEqual(r.wrr, { rs1: 60, rs2: 20 });
    assert.deepEqual(r.statsWrr, { '198.18.1.11:80': 60, '198.18.1.12:80': 20 });
  });

  it('sends requests to the director and gets replies straight from the real servers', () => {
    assert.deepEqual(Object.keys(r.rrRequestFramesByDstMac), [r.macs.director], 'every request frame goes to the director\'s MAC');
    const replyMacs = Object.keys(r.rrReplyFramesBySrcMac).sort();
    assert.deepEqual(replyMacs, [r.macs.rs1, r.macs.rs2].sort(), 'reply frames come from the real servers\' MACs, none from the director');
    for (const m of replyMacs) assert.ok(r.rrReplyFramesBySrcMac[m]! >= 30 * 3, `at least SYN-ACK, data and FIN per request from ${m}`);
  });

  it('balances port 80 and port 443 through one fwmark service marked by lbd\'s nftables table', () => {
    assert.deepEqual(r.fw80, { rs1: 20, rs2: 20 });
    assert.deepEqual(r.fw443, { rs1: 20, rs2: 20 });
    assert.deepEqual(r.statsFw, { '198.18.1.11:0': 40, '198.18.1.12:0': 40 });
    assert.match(r.nftAfterStart, /table inet lbd \{[\s\S]*ip daddr 198\.18\.1\.110 tcp dport \{ 80, 443 \} counter packets \d+ bytes \d+ meta mark set 0x00000050/);
    assert.match(r.nftAfterStart, /table inet other/, 'another table is left alone');
    const rule = (JSON.parse(r.nftCounters) as { nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[] }).nftables.find((x) => x.rule)!.rule!;
    const packets = rule.expr.find((e) => e.counter)!.counter!.packets;
    assert.ok(packets >= 80 * 3, `the marking rule counted ${packets} packets for 80 connections`);
  });

  it('applies a weight change, an added and a removed server by reload as one netlink command each', () => {
    const cases: [string, Reload, Record<string, number>, string[], string[]][] = [
      ['weight', r.reloadWeight, { SET_DEST: 1 }, ['TCP 198.18.1.101:80 -> 198.18.1.11:80 Route 3'], ['TCP 198.18.1.101:80 -> 198.18.1.11:80 Route 2']],
      ['add', r.reloadAdd, { NEW_DEST: 1 }, [], ['TCP 198.18.1.100:80 -> 198.18.1.13:80 Route 1']],
      ['remove', r.reloadRemove, { DEL_DEST: 1 }, ['TCP 198.18.1.100:80 -> 198.18.1.12:80 Route 1'], []],
    ];
    for (const [name, rel, writes, removed, added] of cases) {
      assert.deepEqual(rel.writes, writes, `${name}: IPVS write commands seen on the nlmon device`);
      assert.equal(rel.lbdLog.operations, 1, `${name}: lbd reports one operation`);
      assert.deepEqual(rel.diff, { removed, added }, `${name}: nothing else in the table changed`);
    }
  });

  it('after kill -9 and a restart, converges with no duplicates and leaves the hand-made service alone', () => {
    assert.deepEqual(r.tableSurvivesKill, { removed: [], added: [] }, 'the table stays as it was while lbd is dead');
    assert.deepEqual(r.restartWrites, { DEL_SERVICE: 1, SET_DEST: 1 }, 'only the removed service and the changed weight; adopted services are not re-created');
    assert.deepEqual(r.tableAfterRestart, [
      'TCP 198.18.1.100:80 rr', '-> 198.18.1.11:80 Route 1', '-> 198.18.1.13:80 Route 2',
      'TCP 198.18.1.200:8080 lc', '-> 198.18.1.13:8080 Route 7',
      'FWM 80 rr', '-> 198.18.1.11:0 Route 1', '-> 198.18.1.12:0 Route 1',
    ]);
    assert.equal((r.nftTablesAfterRestart.match(/table inet lbd/g) ?? []).length, 1);
    assert.match(r.nftTablesAfterRestart, /table inet other/);
    assert.equal((r.nftAfterRestart.match(/meta mark set/g) ?? []).length, 1, 'one marking rule, not two');
    assert.deepEqual(r.rrAfterRestart, { rs1: 15, rs3: 15 }, 'traffic flows through the converged service');
    assert.deepEqual(Object.keys(r.ownedAfterRestart.services).sort(), ['fwmark:80', 'tcp:198.18.1.100:80']);
  });

  it('on SIGTERM removes its services and table, and nothing else', () => {
    assert.equal(r.stopExit, 0);
    assert.deepEqual(r.tableAfterStop, ['TCP 198.18.1.200:8080 lc', '-> 198.18.1.13:8080 Route 7']);
    assert.doesNotMatch(r.nftTablesAfterStop, /table inet lbd/);
    assert.match(r.nftTablesAfterStop, /table inet other/);
    assert.deepEqual(r.lbdErrors, []);
  });
});
