/**
 * The reconciler's use of the kernel: what it reads, what it trusts, and how it recovers when
 * the kernel changed behind its back. The client here is an in-memory IPVS table with the
 * kernel's answers (EEXIST, ESRCH, ENOENT); test/vm/ipvs-client.test.ts runs the real one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Reconciler, type DesiredService } from '../../src/ipvs/reconciler.js';
import { IpvsError, KernelError } from '../../src/ipvs/errors.js';
import { destId, serviceId } from '../../src/ipvs/format.js';
import type { ApplyResult, IpvsClient } from '../../src/ipvs/client.js';
import type { Destination, DestinationInfo, Operation, Service, ServiceInfo, ServiceKey } from '../../src/ipvs/types.js';

const zero = { conns: 0, inPackets: 0, outPackets: 0, inBytes: 0, outBytes: 0, cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };

/** An IPVS table in memory that answers like the kernel and counts reads and writes. */
class TableClient {
  readonly table = new Map<string, { service: Service; dests: Map<string, Destination> }>();
  reads = 0;
  writes: string[] = [];
  async services(): Promise<ServiceInfo[]> { this.reads++; return [...this.table.values()].map((e) => ({ ...e.service, stats: zero })); }
  async lookup(keys: readonly ServiceKey[]): Promise<(ServiceInfo | undefined)[]> {
    this.reads++;
    return keys.map((k) => { const e = this.table.get(serviceId(k)); return e && { ...e.service, stats: zero }; });
  }
  async destinations(key: ServiceKey): Promise<DestinationInfo[]> {
    this.reads++;
    return [...this.table.get(serviceId(key))!.dests.values()].map((d) => ({ ...d, family: 4, activeConns: 0, inactiveConns: 0, persistentConns: 0, stats: zero }));
  }
  async apply(ops: readonly Operation[]): Promise<ApplyResult> {
    const r: ApplyResult = { applied: 0, errors: [] };
    for (const o of ops) {
      const errno = this.one(o);
      this.writes.push(o.op);
      if (errno) r.errors.push(new IpvsError(o, new KernelError(errno))); else r.applied++;
    }
    return r;
  }
  private one(o: Operation): number {
    const id = serviceId('service' in o ? o.service.key : o.key);
    const e = this.table.get(id);
    switch (o.op) {
      case 'add-service': if (e) return 17; this.table.set(id, { service: o.service, dests: new Map() }); return 0;
      case 'update-service': if (!e) return 3; e.service = o.service; return 0;
      case 'delete-service': if (!e) return 3; this.table.delete(id); return 0;
      case 'add-dest': if (!e) return 3; if (e.dests.has(destId(o.dest))) return 17; e.dests.set(destId(o.dest), o.dest); return 0;
      case 'update-dest': if (!e) return 3; if (!e.dests.has(destId(o.dest))) return 2; e.dests.set(destId(o.dest), o.dest); return 0;
      case 'delete-dest': if (!e) return 3; return e.dests.delete(destId(o.dest)) ? 0 : 2;
    }
  }
}

const key: ServiceKey = { family: 4, protocol: 'tcp', address: '198.18.0.10', port: 80 };
const rs = (n: number, weight = 1): Destination => ({ address: `198.18.0.${10 + n}`, port: 80, forward: 'dr', weight, upperThreshold: 0, lowerThreshold: 0 });
const want = (dests: Destination[]): DesiredService[] => [{ key, scheduler: 'wrr', flags: 0, timeout: 0, netmask: 32, destinations: dests }];

describe('Reconciler', () => {
  it('reads the kernel by default, and trusts what it knows when asked (one write, no read)', async () => {
    const c = new TableClient();
    const rec = new Reconciler(c as unknown as IpvsClient);
    const first = await rec.reconcile(want([rs(1), rs(2)]));
    assert.deepEqual([first.read, first.operations.length], [true, 3]);
    c.reads = 0;
    const change = await rec.reconcile(want([rs(1, 5), rs(2)]), [], { useKnown: true });
    assert.deepEqual([change.read, c.reads, change.operations.map((o) => o.op)], [false, 0, ['update-dest']]);
    const fresh = await rec.reconcile(want([rs(1, 5), rs(2)]));
    assert.deepEqual([fresh.read, fresh.operations.length], [true, 0], 'what it remembered matches the kernel');
  });

  it('recovers at once when the kernel changed behind its back', async () => {
    const c = new TableClient();
    const rec = new Reconciler(c as unknown as IpvsClient);
    await rec.reconcile(want([rs(1), rs(2)]));
    c.table.get(serviceId(key))!.dests.delete(destId(rs(1))); // someone ran ipvsadm -d
    c.writes = [];
    const r = await rec.reconcile(want([rs(1, 7), rs(2)]), [], { useKnown: true });
    assert.deepEqual(c.writes, ['update-dest', 'add-dest'], 'the stale plan failed (ENOENT), then a fresh read re-added it');
    assert.deepEqual([r.read, r.errors.length], [true, 0]);
    assert.equal(c.table.get(serviceId(key))!.dests.get(destId(rs(1)))!.weight, 7);
  });

  it('reads a service it knows nothing about even when asked to trust, and learns from status reads', async () => {
    const c = new TableClient();
    const rec = new Reconciler(c as unknown as IpvsClient);
    const r = await rec.reconcile(want([rs(1)]), [], { useKnown: true });
    assert.equal(r.read, true);
    rec.learn(key, null); // a (stale) status read said it is gone
    c.writes = [];
    const again = await rec.reconcile(want([rs(1)]), [], { useKnown: true });
    assert.deepEqual(c.writes, ['add-service', 'add-dest'], 'planned on what it learned: both EEXIST...');
    assert.deepEqual([again.read, again.operations.length, again.errors.length], [true, 0, 0], '...so it read the kernel: nothing to do');
  });
});
