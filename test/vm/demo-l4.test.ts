/**
 * `npm run demo` where the kernel has IPVS (the VM tier): the demo picks the L4 variant by
 * itself and runs LVS-DR with HTTP_GET checks and a sorry server, proven in the kernel's IPVS
 * table and with requests through the VIP. The guest side is test/vm/guest/demo-l4.ts.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runGuestScript } from './lib/vm.js';

interface Report {
  startMs: number; banner: string; output: string; exit: number | null | 'timeout'; fail: string; lb2Addrs: string;
  lb1Start: string[]; lb2Start: string[]; lb1Rs1Down: string[]; lb1Sorry: string[]; lb1Back: string[];
  answersStart: string[]; answersRs1Down: string[]; answersSorry: string[]; answersLb2: string[];
  namespacesLeft: string[]; ipvsLeftInRoot: string[];
}

const DEST = (a: string) => new RegExp(`^-> ${a.replace(/\./g, '\\.')}:80 Route 1 `);

describe('the demo lab runs its L4 variant where the kernel has IPVS (VM)', { timeout: 960_000 }, () => {
  let r: Report;
  before(async () => {
    ({ report: r } = await runGuestScript<Report>('dist/test/vm/guest/demo-l4.js', { timeoutMs: 900_000, memoryMb: 1536 }));
  });

  it('detects IPVS and says so; both directors get the LVS-DR service with three checked real servers', (t) => {
    assert.match(r.banner, /L4: LVS-DR \+ L7 HAProxy/);
    assert.match(r.banner, /the kernel has IPVS/);
    for (const table of [r.lb1Start, r.lb2Start]) {
      assert.equal(table[0], 'TCP 198.18.0.100:80 rr');
      for (const [i, a] of ['198.18.0.21', '198.18.0.22', '198.18.0.23'].entries()) assert.match(table[i + 1]!, DEST(a), table.join('\n'));
    }
    t.diagnostic(`demo ready ${Math.round(r.startMs / 1000)} s after start under TCG`);
  });

  it('requests through the VIP reach every real server', () => {
    assert.deepEqual([...new Set(r.answersStart)], ['rs1', 'rs2', 'rs3']);
  });

  it('a stopped web server leaves the kernel table and the answers; with none left the sorry server answers', () => {
    assert.ok(!r.lb1Rs1Down.some((l) => l.includes('198.18.0.21')), r.lb1Rs1Down.join('\n'));
    assert.deepEqual([...new Set(r.answersRs1Down)], ['rs2', 'rs3']);
    assert.match(r.lb1Sorry[1]!, DEST('198.18.0.30'));
    assert.deepEqual([...new Set(r.answersSorry)], ['sorry']);
    assert.equal(r.lb1Back.filter((l) => l.startsWith('->')).length, 3);
  });

  it('killing the master moves the VIP to lb2, whose IPVS serves the traffic', () => {
    assert.match(r.fail, /now on lb2/);
    assert.match(r.lb2Addrs, /inet 198\.18\.0\.100\/24/);
    assert.equal(r.answersLb2.length, 6);
    assert.deepEqual([...new Set(r.answersLb2)], ['rs1', 'rs2', 'rs3']);
  });

  it('Ctrl-C leaves no namespace, process or IPVS service behind', () => {
    assert.equal(r.exit, 0, r.output);
    assert.match(r.output, /nothing is left behind/);
    assert.deepEqual(r.namespacesLeft, []);
    assert.deepEqual(r.ipvsLeftInRoot, []);
  });
});
