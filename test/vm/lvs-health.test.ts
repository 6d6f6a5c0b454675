/**
 * Health checks driving kernel IPVS (the VM tier): the LVS-DR tutorial path — a stopped web
 * server leaves `ipvsadm -Ln` (weight 0 with inhibit_on_failure), the sorry server takes over
 * when none is left, and a server that comes back returns — observed in the real kernel and
 * with real requests through the VIP. The guest side is test/vm/guest/lvs-health.ts.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runGuestScript } from './lib/vm.js';

interface Change { table: string[]; ms: number }
interface Report {
  start: Change; rs1Down: Change; bothDown: Change; rs1Back: Change;
  trafficBoth: Record<string, number>; trafficRs1Down: Record<string, number>; trafficInhibitRs1Down: Record<string, number>;
  trafficSorry: Record<string, number>; trafficRs1Back: Record<string, number>;
  healthStatus: string[]; stopExit: number | null; tableAfterStop: string[]; lbdErrors: unknown[];
}

describe('health checks drive kernel IPVS (VM)', { timeout: 600_000 }, () => {
  let r: Report;
  before(async () => {
    ({ report: r } = await runGuestScript<Report>('dist/test/vm/guest/lvs-health.js', { timeoutMs: 540_000 }));
  });

  it('starts with both healthy servers in both services, serving round robin', () => {
    assert.deepEqual(r.start.table, [
      'TCP 198.18.1.100:80 rr', '-> 198.18.1.11:80 Route 1', '-> 198.18.1.12:80 Route 1',
      'TCP 198.18.1.101:80 rr', '-> 198.18.1.11:80 Route 1', '-> 198.18.1.12:80 Route 1',
    ]);
    assert.deepEqual(r.trafficBoth, { rs1: 10, rs2: 10 });
  });

  it('a stopped web server leaves the service; with inhibit_on_failure it stays at weight 0', (t) => {
    assert.deepEqual(r.rs1Down.table, [
      'TCP 198.18.1.100:80 rr', '-> 198.18.1.12:80 Route 1',
      'TCP 198.18.1.101:80 rr', '-> 198.18.1.11:80 Route 0', '-> 198.18.1.12:80 Route 1',
    ]);
    assert.deepEqual(r.trafficRs1Down, { rs2: 10 });
    assert.deepEqual(r.trafficInhibitRs1Down, { rs2: 10 });
    // delay_loop 1 s, connect_timeout 1 s, retry 1 after 0.5 s: about 2.5 s at worst, plus TCG slowness.
    t.diagnostic(`rs1 stopped → out of ipvsadm in ${r.rs1Down.ms} ms`);
  });

  it('when no real server is left, the sorry server takes over; it leaves when one comes back', (t) => {
    assert.deepEqual(r.bothDown.table, [
      'TCP 198.18.1.100:80 rr', '-> 198.18.1.30:80 Route 1',
      'TCP 198.18.1.101:80 rr', '-> 198.18.1.11:80 Route 0', '-> 198.18.1.12:80 Route 0',
    ]);
    assert.deepEqual(r.trafficSorry, { sorry: 5 });
    assert.deepEqual(r.rs1Back.table, [
      'TCP 198.18.1.100:80 rr', '-> 198.18.1.11:80 Route 1',
      'TCP 198.18.1.101:80 rr', '-> 198.18.1.11:80 Route 1', '-> 198.18.1.12:80 Route 0',
    ]);
    assert.deepEqual(r.trafficRs1Back, { rs1: 10 });
    assert.ok(r.healthStatus.some((m) => /sorry server takes over/.test(m)), r.healthStatus.join('\n'));
    assert.ok(r.healthStatus.some((m) => /sorry server leaves/.test(m)), r.healthStatus.join('\n'));
    t.diagnostic(`both down → sorry server in ${r.bothDown.ms} ms; rs1 started → back in ${r.rs1Back.ms} ms`);
  });

  it('stops cleanly and removes its services', () => {
    assert.equal(r.stopExit, 0);
    assert.deepEqual(r.tableAfterStop, []);
    assert.deepEqual(r.lbdErrors, []);
  });
});
