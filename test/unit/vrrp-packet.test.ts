import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeAdvert, encodeAdvert, passwordField, DROP_REASONS } from '../../src/vrrp/packet.js';
import { internetChecksum, gratuitousArp, unsolicitedNa } from '../../src/net/announce.js';
import { ipToBytes } from '../../src/util/ip.js';

test('VRRPv2 advert: RFC 3768 layout, simple password, checksum over the message', () => {
  const b = encodeAdvert({ version: 2, vrid: 51, priority: 254, intervalCs: 100, addresses: ['198.18.0.100'], password: 'secret' });
  // version 2 type 1 | vrid | prio | count | auth type 1 | interval 1 s | checksum | address | "secret\0\0"
  assert.equal(b.subarray(0, 6).toString('hex'), '2133fe010101');
  assert.equal(b.subarray(8).toString('hex'), 'c6120064' + Buffer.from('secret\0\0').toString('hex'));
  assert.equal(b.length, 20);
  assert.equal(internetChecksum(b), 0);
  // Independent check of the checksum: the one's complement sum of the words, computed by hand.
  const words = [0x2133, 0xfe01, 0x0101, 0xc612, 0x0064, 0x7365, 0x6372, 0x6574, 0x0000];
  let sum = words.reduce((a, w) => a + w, 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  assert.equal(b.readUInt16BE(6), ~sum & 0xffff);
  const d = decodeAdvert(b, 4, '198.18.0.1', '224.0.0.18');
  assert.ok(d.ok);
  assert.deepEqual({ ...d.advert, authData: d.advert.authData.toString() }, {
    version: 2, vrid: 51, priority: 254, intervalCs: 100, addresses: ['198.18.0.100'], authType: 1, authData: 'secret\0\0',
  });
  assert.ok(d.advert.authData.equals(passwordField('secret')));
});

test('VRRPv3 advert: centisecond interval, checksum over the IPv4 and IPv6 pseudo-headers', () => {
  const v4 = encodeAdvert({ version: 3, vrid: 7, priority: 100, intervalCs: 10, addresses: ['198.18.0.100', '198.18.0.101'], source: '198.18.0.1', destination: '224.0.0.18' });
  assert.equal(v4.length, 8 + 8);
  assert.equal(v4.readUInt16BE(4), 10);
  const d4 = decodeAdvert(v4, 4, '198.18.0.1', '224.0.0.18');
  assert.ok(d4.ok && d4.advert.intervalCs === 10 && d4.advert.addresses.length === 2);
  // The same bytes from another source fail: the pseudo-header is part of the sum.
  assert.deepEqual(decodeAdvert(v4, 4, '198.18.0.2', '224.0.0.18'), { ok: false, reason: 'checksum', detail: 'bad VRRPv3 checksum' });

  const v6 = encodeAdvert({ version: 3, vrid: 7, priority: 100, intervalCs: 100, addresses: ['2001:db8::100'], source: 'fe80::1', destination: 'ff02::12' });
  assert.equal(v6.length, 8 + 16);
  const d6 = decodeAdvert(v6, 6, 'fe80::1', 'ff02::12');
  assert.ok(d6.ok && d6.advert.addresses[0] === '2001:db8::100');
  assert.equal(decodeAdvert(v6, 4, 'fe80::1', 'ff02::12').ok, false);
});

test('decode names the reason for every malformed packet', () => {
  const good = encodeAdvert({ version: 2, vrid: 1, priority: 100, intervalCs: 100, addresses: ['198.18.0.100'] });
  const reason = (b: Buffer, fam: 4 | 6 = 4) => { const d = decodeAdvert(b, fam, '198.18.0.1', '224.0.0.18'); return d.ok ? 'ok' : d.reason; };
  assert.equal(reason(good), 'ok');
  assert.equal(reason(good.subarray(0, 7)), 'length');
  assert.equal(reason(good.subarray(0, 19)), 'length');
  const badVer = Buffer.from(good); badVer[0] = 0x41; assert.equal(reason(badVer), 'version');
  const badType = Buffer.from(good); badType[0] = 0x22; assert.equal(reason(badType), 'type');
  const badSum = Buffer.from(good); badSum[2] = 99; assert.equal(reason(badSum), 'checksum');
  const moreAddrs = Buffer.from(good); moreAddrs[3] = 3; assert.equal(reason(moreAddrs), 'length');
  assert.equal(reason(good, 6), 'version');
  for (const r of ['length', 'version', 'type', 'checksum', 'ttl', 'auth', 'interval', 'addresses']) assert.ok((DROP_REASONS as readonly string[]).includes(r));
});

test('decoder fuzz: random and mutated packets never throw', () => {
  const base = [
    encodeAdvert({ version: 2, vrid: 51, priority: 100, intervalCs: 100, addresses: ['198.18.0.100'], password: 'pw' }),
    encodeAdvert({ version: 3, vrid: 51, priority: 100, intervalCs: 10, addresses: ['198.18.0.100'], source: '198.18.0.1', destination: '224.0.0.18' }),
    encodeAdvert({ version: 3, vrid: 51, priority: 100, intervalCs: 10, addresses: ['2001:db8::1'], source: 'fe80::1', destination: 'ff02::12' }),
  ];
  let ok = 0;
  for (let i = 0; i < 20_000; i++) {
    let b: Buffer;
    if (i % 2) b = randomBytes(i % 80);
    else {
      b = Buffer.from(base[i % 3]!);
      for (let k = 0; k < 1 + (i % 4); k++) b[(i * 7 + k * 13) % b.length] ^= 1 << (k % 8);
      if (i % 10 === 0) b = b.subarray(0, i % b.length);
    }
    const d = decodeAdvert(b, i % 3 === 2 ? 6 : 4, i % 3 === 2 ? 'fe80::1' : '198.18.0.1', i % 3 === 2 ? 'ff02::12' : '224.0.0.18');
    if (d.ok) ok++; else assert.ok((DROP_REASONS as readonly string[]).includes(d.reason));
  }
  // Single-bit flips are always caught by the checksum, so very few mutants decode.
  assert.ok(ok < 200, `${ok} mutants decoded`);
});

test('gratuitous ARP and unsolicited NA frames', () => {
  const mac = Buffer.from('020000000001', 'hex');
  const arp = gratuitousArp(mac, ipToBytes('198.18.0.100'));
  assert.equal(arp.toString('hex'), '0001080006040001' + '020000000001' + 'c6120064' + '000000000000' + 'c6120064');
  const na = unsolicitedNa(mac, ipToBytes('2001:db8::100'), false);
  assert.equal(na.length, 72);
  assert.equal(na[7], 255, 'hop limit 255');
  assert.equal(na[40], 136, 'ICMPv6 type 136');
  assert.equal(na[44], 0x20, 'Override flag only');
  // ICMPv6 checksum verifies against the pseudo-header.
  const pseudo = Buffer.concat([na.subarray(8, 40), Buffer.from([0, 0, 0, 32, 0, 0, 0, 58]), na.subarray(40)]);
  assert.equal(internetChecksum(pseudo), 0);
});
