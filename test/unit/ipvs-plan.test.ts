/** The reconciler's plan: desired vs observed → the fewest operations, in a safe order. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planChanges, type DesiredService, type ObservedService } from '../../src/ipvs/reconciler.js';
import { describeOperation, destId, parseDestKey, parseServiceKey, serviceId } from '../../src/ipvs/format.js';
import type { Destination, DestinationInfo, ServiceInfo, ServiceKey } from '../../src/ipvs/types.js';

const zero = { conns: 0, inPackets: 0, outPackets: 0, inBytes: 0, outBytes: 0, cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };
const web: ServiceKey = { family: 4, protocol: 'tcp', address: '198.18.0.10', port: 80 };
const rs = (n: number, weight = 1): Destination => ({ address: `198.18.0.${10 + n}`, port: 80, forward: 'dr', weight, upperThreshold: 0, lowerThreshold: 0 });
const desired = (key: ServiceKey, dests: Destination[], over: Partial<DesiredService> = {}): DesiredService =>
  ({ key, scheduler: 'wrr', flags: 0, timeout: 0, netmask: 32, destinations: dests, ...over });
/** What the kernel reports for a service we created from `d` (it adds HASHED and, for DR, NOOUTPUT). */
function kernel(d: DesiredService): [string, ObservedService] {
  const service: ServiceInfo = { key: d.key, scheduler: d.scheduler, flags: d.flags | 0x2, timeout: d.timeout, netmask: d.netmask, stats: zero };
  const destinations: DestinationInfo[] = d.destinations.map((x) => ({ ...x, family: 4, activeConns: 0, inactiveConns: 0, persistentConns: 0, stats: zero }));
  return [serviceId(d.key), { service, destinations }];
}
const ops = (list: ReturnType<typeof planChanges>) => list.map(describeOperation);

describe('planChanges', () => {
  it('creates a missing service, then its destinations', () => {
    assert.deepEqual(ops(planChanges([desired(web, [rs(1), rs(2)])], new Map())), [
      'add-service tcp:198.18.0.10:80', 'add-dest tcp:198.18.0.10:80 -> 198.18.0.11:80', 'add-dest tcp:198.18.0.10:80 -> 198.18.0.12:80',
    ]);
  });

  it('does nothing when the kernel matches (the kernel\'s HASHED flag is not a difference)', () => {
    const d = desired(web, [rs(1), rs(2)]);
    assert.deepEqual(planChanges([d], new Map([kernel(d)])), []);
  });

  it('one weight change is one update-dest and nothing else', () => {
    const before = desired(web, [rs(1, 3), rs(2, 1)]);
    const r = planChanges([desired(web, [rs(1, 2), rs(2, 1)])], new Map([kernel(before)]));
    assert.deepEqual(ops(r), ['update-dest tcp:198.18.0.10:80 -> 198.18.0.11:80']);
    assert.equal(r[0]!.op === 'update-dest' && r[0]!.dest.weight, 2);
  });

  it('adds before it edits and deletes, so a service keeps a destination during a swap', () => {
    const before = desired(web, [rs(1), rs(2)]);
    const r = planChanges([desired(web, [rs(3), rs(2, 5)], { scheduler: 'rr' })], new Map([kernel(before)]));
    assert.deepEqual(ops(r), [
      'update-service tcp:198.18.0.10:80', 'add-dest tcp:198.18.0.10:80 -> 198.18.0.13:80',
      'update-dest tcp:198.18.0.10:80 -> 198.18.0.12:80', 'delete-dest tcp:198.18.0.10:80 -> 198.18.0.11:80',
    ]);
  });

  it('deletes only deletable services that the kernel has and nobody wants', () => {
    const fw: ServiceKey = { family: 4, fwmark: 80 };
    const other: ServiceKey = { family: 4, protocol: 'udp', address: '198.18.0.10', port: 53 };
    const d = desired(web, [rs(1)]);
    const observed = new Map([kernel(d), kernel(desired(fw, []))]);
    // `other` is deletable but absent from the kernel; `web` is deletable but still wanted.
    assert.deepEqual(ops(planChanges([d], observed, [fw, other, web])), ['delete-service fwmark:80']);
    assert.deepEqual(ops(planChanges([], observed, [])), [], 'nothing is deleted unless named deletable');
  });

  it('compares addresses in canonical form and changes service flags, persistence and tunnels', () => {
    const v6: ServiceKey = { family: 6, protocol: 'tcp', address: '2001:DB8::10', port: 443 };
    const d6 = desired(v6, [{ address: '2001:db8:0::11', port: 443, forward: 'tun', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: { type: 'gue', port: 6080 } }]);
    const [id, obs] = kernel(desired({ ...v6, address: '2001:db8::10' }, [{ ...d6.destinations[0]!, address: '2001:db8::11' }]));
    assert.equal(id, 'tcp:[2001:db8::10]:443');
    assert.deepEqual(planChanges([d6], new Map([[id, obs]])), []);
    const gre = { ...d6, destinations: [{ ...d6.destinations[0]!, tunnel: { type: 'gre' as const } }] };
    assert.deepEqual(ops(planChanges([gre], new Map([[id, obs]]))), ['update-dest tcp:[2001:db8::10]:443 -> [2001:db8::11]:443']);
    const persistent = { ...d6, flags: 0x1, timeout: 300, netmask: 64 };
    assert.deepEqual(ops(planChanges([persistent], new Map([[id, obs]]))), ['update-service tcp:[2001:db8::10]:443']);
  });

  it('refuses a desired state that names a service or destination twice', () => {
    assert.throws(() => planChanges([desired(web, []), desired({ ...web }, [])], new Map()), /desired twice/);
    assert.throws(() => planChanges([desired(web, [rs(1), rs(1, 2)])], new Map()), /198.18.0.11:80 of tcp:198.18.0.10:80 is desired twice/);
  });
});

describe('service and destination text', () => {
  it('formats and parses every kind of key back to itself', () => {
    for (const t of ['tcp:198.18.0.10:80', 'udp:[2001:db8::10]:53', 'sctp:198.18.0.10:5060', 'fwmark:80', 'fwmark6:443']) {
      assert.equal(serviceId(parseServiceKey(t)), t);
    }
    assert.equal(serviceId(parseServiceKey('tcp:[2001:DB8:0::10]:80')), 'tcp:[2001:db8::10]:80');
    assert.equal(destId(parseDestKey('[2001:db8::11]:0')), '[2001:db8::11]:0');
  });

  it('says what is wrong with a bad key', () => {
    assert.throws(() => parseServiceKey('tcp:198.18.0.10'), /not ADDRESS:PORT/);
    assert.throws(() => parseServiceKey('icmp:198.18.0.10:80'), /tcp\|udp\|sctp/);
    assert.throws(() => parseServiceKey('tcp:198.18.0.10:99999'), /not a port/);
    assert.throws(() => parseServiceKey('tcp:2001:db8::1:80'), /IPv6 as \[ADDRESS\]:PORT/);
    assert.throws(() => parseServiceKey('fwmark:0'), /out of range/);
    assert.throws(() => parseDestKey('rs1:80'), /not an IP address/);
  });
});
