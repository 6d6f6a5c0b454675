import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VrrpInstance, type InstanceHost, type InstanceParams, type Transition } from '../../src/vrrp/instance.js';
import { SyncGroupCoordinator } from '../../src/vrrp/sync-group.js';
import type { Advert } from '../../src/vrrp/packet.js';
import { passwordField } from '../../src/vrrp/packet.js';
import { FakeClock } from '../lib/fake-clock.js';

class FakeHost implements InstanceHost {
  sent: { t: number; priority: number }[] = [];
  transitions: Transition[] = [];
  vips = false;
  takeOvers = 0;
  constructor(readonly clock: FakeClock, readonly address = '198.18.0.1') {}
  sourceAddress(): string { return this.address; }
  sendAdvert(priority: number): boolean { this.sent.push({ t: this.clock.now(), priority }); return true; }
  takeOver(): void { this.vips = true; this.takeOvers++; }
  release(): void { this.vips = false; }
  transitioned(t: Transition): void { this.transitions.push(t); }
}

const params = (o: Partial<InstanceParams> = {}): InstanceParams => ({
  name: 'VI_1', version: 3, vrid: 51, basePriority: 100, advertIntCs: 100, nopreempt: false, preemptDelayMs: 0,
  initialState: 'BACKUP', addresses: ['198.18.0.100'], skipCheckAdvAddr: false, ...o,
});

const advert = (priority: number, o: Partial<Advert> = {}): Advert => ({
  version: 3, vrid: 51, priority, intervalCs: 100, addresses: ['198.18.0.100'], authType: 0, authData: Buffer.alloc(0), ...o,
});

function setup(o: Partial<InstanceParams> = {}, address?: string) {
  const clock = new FakeClock();
  const host = new FakeHost(clock, address);
  const inst = new VrrpInstance(params(o), host);
  return { clock, host, inst };
}

test('master_down_interval = 3 × advert interval + skew; then MASTER with advert, VIPs and a fixed cadence', () => {
  const { clock, host, inst } = setup({ basePriority: 100 });
  inst.start();
  assert.equal(inst.state, 'BACKUP');
  const down = 3 * 1000 + ((256 - 100) * 1000) / 256; // v3: skew scales with the interval
  assert.equal(inst.masterDownMs(), down);
  clock.advance(down - 1);
  assert.equal(inst.state, 'BACKUP');
  clock.advance(1);
  assert.equal(inst.state, 'MASTER');
  assert.ok(host.vips);
  assert.deepEqual(host.sent, [{ t: down, priority: 100 }]);
  clock.advance(3000);
  assert.deepEqual(host.sent.map((s) => s.t - down), [0, 1000, 2000, 3000]);
});

test('VRRPv2 skew is (256 - priority)/256 s whatever the interval', () => {
  const { inst } = setup({ version: 2, advertIntCs: 300, basePriority: 200 });
  assert.equal(inst.skewMs(), (56 * 1000) / 256);
  assert.equal(inst.masterDownMs(), 9000 + (56 * 1000) / 256);
});

test('adverts keep the backup in BACKUP; a higher priority pushes a master back', () => {
  const { clock, host, inst } = setup();
  inst.start();
  for (let i = 0; i < 10; i++) { clock.advance(1000); inst.receive(advert(150), '198.18.0.2'); }
  assert.equal(inst.state, 'BACKUP');
  assert.equal(inst.masterAddress, '198.18.0.2');
  clock.advance(4000);
  assert.equal(inst.state, 'MASTER');
  inst.receive(advert(150), '198.18.0.2');
  assert.equal(inst.state, 'BACKUP');
  assert.equal(host.vips, false);
  assert.match(host.transitions.at(-1)!.reason, /higher priority master 198\.18\.0\.2 \(150 > ours 100\)/);
});

test('equal priorities: the higher primary address wins', () => {
  const low = setup({}, '198.18.0.1');
  low.inst.start(); low.clock.advance(4000);
  assert.equal(low.inst.state, 'MASTER');
  low.inst.receive(advert(100), '198.18.0.2');
  assert.equal(low.inst.state, 'BACKUP');

  const high = setup({}, '198.18.0.3');
  high.inst.start(); high.clock.advance(4000);
  const sent = high.host.sent.length;
  high.inst.receive(advert(100), '198.18.0.2');
  assert.equal(high.inst.state, 'MASTER');
  assert.equal(high.host.sent.length, sent + 1, 'answers the lower address at once');
});

test('priority 0 from the master: the backup takes over after skew time only', () => {
  const { clock, inst } = setup({ basePriority: 100 });
  inst.start();
  clock.advance(1000);
  inst.receive(advert(200), '198.18.0.2');
  inst.receive(advert(0), '198.18.0.2');
  clock.advance(inst.skewMs() - 1);
  assert.equal(inst.state, 'BACKUP');
  clock.advance(1);
  assert.equal(inst.state, 'MASTER');
  assert.match(inst.lastTransition!.reason, /released \(priority 0\)/);
});

test('a master sends priority 0 when stopping, entering FAULT or maintenance', () => {
  for (const how of ['stop', 'fault', 'maintenance'] as const) {
    const { clock, host, inst } = setup();
    inst.start(); clock.advance(4000);
    assert.equal(inst.state, 'MASTER');
    if (how === 'stop') inst.stop();
    if (how === 'fault') inst.setFault('interface:eth0', 'interface eth0 down');
    if (how === 'maintenance') inst.setMaintenance(true);
    assert.equal(host.sent.at(-1)!.priority, 0, how);
    assert.equal(host.vips, false, how);
    assert.equal(inst.state, { stop: 'STOP', fault: 'FAULT', maintenance: 'BACKUP' }[how]);
  }
});

test('maintenance holds BACKUP (no takeover however long) until released', () => {
  const { clock, inst } = setup();
  inst.setMaintenance(true);
  inst.start();
  clock.advance(60_000);
  assert.equal(inst.state, 'BACKUP');
  inst.setMaintenance(false);
  clock.advance(inst.masterDownMs());
  assert.equal(inst.state, 'MASTER');
});

test('preemption: a higher backup ignores a lower master and takes over; nopreempt does not', () => {
  const pre = setup({ basePriority: 150 });
  pre.inst.start();
  for (let i = 0; i < 3; i++) { pre.clock.advance(1000); pre.inst.receive(advert(100), '198.18.0.2'); }
  pre.clock.advance(pre.inst.masterDownMs());
  assert.equal(pre.inst.state, 'MASTER');
  assert.match(pre.inst.lastTransition!.reason, /preempting master 198\.18\.0\.2 \(priority 100 < ours 150\)/);

  const nopre = setup({ basePriority: 150, nopreempt: true });
  nopre.inst.start();
  for (let i = 0; i < 30; i++) { nopre.clock.advance(1000); nopre.inst.receive(advert(100), '198.18.0.2'); }
  assert.equal(nopre.inst.state, 'BACKUP');
});

test('preempt_delay: the lower master is accepted for the delay, then preempted', () => {
  const { clock, inst } = setup({ basePriority: 150, preemptDelayMs: 10_000 });
  inst.start();
  let t = 0;
  while (inst.state === 'BACKUP' && t < 30_000) { clock.advance(1000); t += 1000; inst.receive(advert(100), '198.18.0.2'); }
  assert.equal(inst.state, 'MASTER');
  // First lower advert at 1 s; preempt once 10 s have passed, then master_down later.
  assert.ok(t >= 11_000 && t <= 11_000 + inst.masterDownMs() + 1000, `took over after ${t} ms`);
});

test('VRRPv3 backups learn the master advert interval', () => {
  const { clock, inst } = setup({ advertIntCs: 100 });
  inst.start();
  inst.receive(advert(200, { intervalCs: 10 }), '198.18.0.2');
  assert.equal(inst.masterAdvertIntCs, 10);
  clock.advance(3 * 100 + ((256 - 100) * 100) / 256 + 1);
  assert.equal(inst.state, 'MASTER');
});

test('receive checks: version, password, interval, address list are dropped and counted', () => {
  const { inst } = setup({ version: 2, password: 'secret' });
  inst.start();
  const v2 = (o: Partial<Advert>) => advert(200, { version: 2, authType: 1, authData: passwordField('secret'), ...o });
  inst.receive(v2({ authData: passwordField('wrong') }), '198.18.0.2');
  inst.receive(v2({ authType: 0 }), '198.18.0.2');
  inst.receive(v2({ intervalCs: 200 }), '198.18.0.2');
  inst.receive(v2({ addresses: ['198.18.0.99'] }), '198.18.0.2');
  inst.receive(advert(200), '198.18.0.2');
  inst.receive(v2({}), '198.18.0.1');
  assert.deepEqual(inst.counters.dropped, { auth: 1, auth_type: 1, interval: 1, addresses: 1, version: 1, own_address: 1 });
  assert.equal(inst.counters.advertsReceived, 0);
  inst.receive(v2({}), '198.18.0.2');
  assert.equal(inst.counters.advertsReceived, 1);
  // The address owner's adverts (255) pass a different address list.
  inst.receive(v2({ priority: 255, addresses: ['198.18.0.99'] }), '198.18.0.2');
  assert.equal(inst.counters.advertsReceived, 2);
});

test('skip_check_adv_addr checks the address list only when the master changes', () => {
  const { inst } = setup({ skipCheckAdvAddr: true });
  inst.start();
  inst.receive(advert(200, { addresses: ['198.18.0.99'] }), '198.18.0.2');
  assert.equal(inst.counters.dropped.addresses, 1);
  inst.receive(advert(200), '198.18.0.2');
  inst.receive(advert(200, { addresses: ['198.18.0.99'] }), '198.18.0.2');
  assert.equal(inst.counters.advertsReceived, 2);
});

test('address owner (255) is MASTER at once; configured MASTER waits one interval + skew', () => {
  const owner = setup({ basePriority: 255 });
  owner.inst.start();
  assert.equal(owner.inst.state, 'MASTER');
  const m = setup({ initialState: 'MASTER', basePriority: 200 });
  m.inst.start();
  m.clock.advance(1000 + m.inst.skewMs());
  assert.equal(m.inst.state, 'MASTER');
});

test('FAULT: a fault holds the instance down; recovery goes back through BACKUP', () => {
  const { clock, inst } = setup();
  inst.setFault('script:chk', 'script chk failed');
  inst.start();
  assert.equal(inst.state, 'FAULT');
  clock.advance(10_000);
  assert.equal(inst.state, 'FAULT');
  inst.receive(advert(50), '198.18.0.2');
  assert.equal(inst.state, 'FAULT');
  inst.setFault('script:chk', null);
  assert.equal(inst.state, 'BACKUP');
  clock.advance(inst.masterDownMs());
  assert.equal(inst.state, 'MASTER');
});

test('a priority change moves the running master-down timer by the change in skew', () => {
  const { clock, inst } = setup({ basePriority: 100 });
  inst.start();
  const before = inst.masterDownMs();
  inst.setEffectivePriority(200);
  const after = inst.masterDownMs();
  assert.ok(after < before);
  clock.advance(after);
  assert.equal(inst.state, 'MASTER');
});

test('advert jitter is measured against the schedule', () => {
  const { clock, inst } = setup();
  inst.start();
  clock.advance(10_000);
  const j = inst.jitter.stats();
  assert.ok(j.samples >= 5);
  assert.equal(j.maxMs, 0);
});

test('sync group: one member in FAULT takes the group to FAULT; MASTER only when all members want it', () => {
  const clock = new FakeClock();
  const ha = new FakeHost(clock), hb = new FakeHost(clock);
  const a = new VrrpInstance(params({ name: 'A', vrid: 1 }), ha);
  const b = new VrrpInstance(params({ name: 'B', vrid: 2 }), hb);
  const states: string[] = [];
  const g = new SyncGroupCoordinator('G', [a, b], (s) => states.push(s));
  a.start(); b.start();
  // B still hears its master; A's timer runs out: A must wait for B.
  for (let i = 0; i < 5; i++) { clock.advance(1000); b.receive(advert(200, { vrid: 2 }), '198.18.0.2'); g.memberChanged('x'); }
  assert.equal(a.state, 'BACKUP');
  assert.ok(a.wantsMaster);
  clock.advance(5000);
  assert.equal(a.state, 'MASTER');
  assert.equal(b.state, 'MASTER');
  g.memberChanged('x');
  assert.equal(g.state, 'MASTER');
  // B displaced by a better master: A follows to BACKUP.
  b.receive(advert(250, { vrid: 2 }), '198.18.0.2');
  assert.equal(a.state, 'BACKUP');
  // A faults: B follows to FAULT; A recovers: both back to BACKUP.
  a.setFault('interface:eth1', 'interface eth1 down');
  assert.equal(b.state, 'FAULT');
  g.memberChanged('x');
  assert.equal(g.state, 'FAULT');
  a.setFault('interface:eth1', null);
  assert.equal(a.state, 'BACKUP');
  assert.equal(b.state, 'BACKUP');
  assert.ok(states.includes('MASTER') && states.includes('FAULT'));
});
