/**
 * Decoder fuzz on the wire: a client floods the segment with random and
 * mutated VRRP packets (bounded count) while two lbd nodes run an election.
 * Nothing may crash, restart or wedge: no transition, drops counted by reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LbdNode, VrrpLab, VIP1, vrrpConfig } from '../lib/vrrp-lab.js';
import { must } from '../lib/netns.js';

const ROOT = join(import.meta.dirname, '..', '..');
const PACKETS = 6000;

/** Runs in the client namespace: raw sockets of its own, so it can also send what lbd never would (TTL 1). */
const injector = `
import { lbnet, C } from '${join(ROOT, 'src', 'net', 'native.js')}';
import { sockaddrIp } from '${join(ROOT, 'src', 'net', 'sockaddr.js')}';
import { encodeAdvert } from '${join(ROOT, 'src', 'vrrp', 'packet.js')}';
import { internetChecksum } from '${join(ROOT, 'src', 'net', 'announce.js')}';
import { randomBytes, randomInt } from 'node:crypto';
const fd = lbnet.socket(C.AF_INET, C.SOCK_RAW, 112);
lbnet.setsockopt(fd, C.SOL_SOCKET, C.SO_BINDTODEVICE, Buffer.from('eth0'));
lbnet.setsockopt(fd, C.IPPROTO_IP, C.IP_MULTICAST_IF, Buffer.concat([Buffer.from([198, 18, 0, 9]), Buffer.alloc(8)]));
const group = sockaddrIp(Buffer.from([224, 0, 0, 18]));
const counts = {};
for (let i = 0; i < ${PACKETS}; i++) {
  const kind = i % 6;
  let b;
  const base = encodeAdvert({ version: 3, vrid: randomInt(4) ? 51 : randomInt(1, 256), priority: randomInt(1, 101), intervalCs: 20, addresses: ['${VIP1}'], source: '198.18.0.9', destination: '224.0.0.18' });
  if (kind === 0) b = randomBytes(randomInt(0, 120));
  else if (kind === 1) { b = Buffer.from(base); b[randomInt(b.length)] ^= 1 << randomInt(8); }
  else if (kind === 2) b = base.subarray(0, randomInt(0, base.length));
  else if (kind === 3) {
    // Header fields out of range with a checksum that is right for the mutated bytes (v2 style: no pseudo-header).
    b = Buffer.from(base); b[0] = [0x41, 0x22, 0x21, 0x3f][randomInt(4)]; b[3] = randomInt(256); b.writeUInt16BE(0, 6); b.writeUInt16BE(internetChecksum(b), 6);
  } else if (kind === 4) { b = Buffer.concat([base, randomBytes(randomInt(1, 64))]); b[3] = randomInt(256); }
  else b = base;
  lbnet.setsockopt(fd, C.IPPROTO_IP, C.IP_MULTICAST_TTL, kind === 5 ? 1 : 255);
  try { lbnet.sendto(fd, b, group); counts[kind] = (counts[kind] ?? 0) + 1; } catch (e) { if (e.code !== 'EAGAIN' && e.code !== 'ENOBUFS') throw e; }
  if (i % 200 === 199) await new Promise((r) => setTimeout(r, 20));
}
console.log(JSON.stringify(counts));
`;

test('fuzzed VRRP traffic never crashes or wedges an instance', { timeout: 60_000 }, async () => {
  const vl = await VrrpLab.create('vz');
  try {
    const inst = (priority: number) => vrrpConfig({ VI_1: { interface: 'eth0', virtual_router_id: 51, priority, version: 3, advert_int: 0.2, virtual_ipaddress: [`${VIP1}/24`] } });
    const a = new LbdNode(vl, await vl.host('a', 1), 'a', { harness: true });
    const b = new LbdNode(vl, await vl.host('b', 2), 'b', { harness: true });
    const client = await vl.host('c', 9);
    await a.start(inst(150));
    await b.start(inst(120));
    await a.waitState('VI_1', 'MASTER');
    await b.waitState('VI_1', 'BACKUP');
    const marks = [a.transitions.length, b.transitions.length];
    const pids = [(await a.status()).engine.pid, (await b.status()).engine.pid];

    const out = await must('ip', ['netns', 'exec', client, process.execPath, '--input-type=module', '-e', injector], 60_000);
    const sent = Object.values(JSON.parse(out) as Record<string, number>).reduce((x, y) => x + y, 0);
    assert.ok(sent > PACKETS * 0.9, `injected ${sent} packets`);
    await new Promise((r) => setTimeout(r, 1500));

    assert.deepEqual(a.transitions.slice(marks[0]), [], 'the master kept its role');
    assert.deepEqual(b.transitions.slice(marks[1]), [], 'the backup kept its role');
    for (const [i, n] of [a, b].entries()) {
      const s = await n.status();
      assert.equal(s.engine.pid, pids[i], `${n.name}: the engine was not restarted`);
      assert.equal(s.engine.restarts, 0);
      const c = s.instances[0]!.counters;
      const dropped = Object.values(c.dropped).reduce((x, y) => x + (y ?? 0), 0) + Object.values(s.sockets[0]!.dropped).reduce((x, y) => x + (y ?? 0), 0);
      assert.ok(dropped > sent * 0.5, `${n.name}: ${dropped} drops counted for ${sent} packets: ${JSON.stringify({ inst: c.dropped, socket: s.sockets[0]!.dropped })}`);
      for (const r of ['checksum', 'ttl', 'length']) assert.ok((c.dropped as Record<string, number>)[r]! > 0, `${n.name}: ${r} drops counted`);
    }
    // Still alive and responsive: a clean failover works afterwards.
    await a.terminate();
    await b.waitState('VI_1', 'MASTER', 3000);
  } finally { await vl.cleanup(); }
});
