/**
 * IPVS generic netlink messages byte by byte. Expected bytes are assembled here from the
 * layouts in include/uapi/linux/ip_vs.h, netlink.h and genetlink.h with the header's numbers
 * written out literally (not taken from src/ipvs/constants.ts), so a wrong constant or
 * layout in the client fails here. Host byte order is little-endian (x86-64, arm64).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MessageWriter, parseMessages } from '../../src/ipvs/netlink.js';
import { writeRequest, type GenlRequest } from '../../src/ipvs/transport.js';
import {
  decodeDaemon, decodeDest, decodeFamilyId, decodeInfo, decodeService, decodeTimeouts, familyRequest, ipvsRequests as R, operationRequest,
} from '../../src/ipvs/codec.js';
import type { Destination, Service } from '../../src/ipvs/types.js';

// ---- independent builders for the expected bytes
const u8 = (v: number) => Buffer.from([v]);
const u16 = (v: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };
const be16 = (v: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(v); return b; };
const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return b; };
const be32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return b; };
const u64 = (v: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; };
const str = (s: string) => Buffer.concat([Buffer.from(s), Buffer.from([0])]);
/** struct nlattr { __u16 nla_len; __u16 nla_type; } + payload, padded to NLA_ALIGNTO (4). */
const nla = (type: number, payload: Buffer) => {
  const len = 4 + payload.length;
  return Buffer.concat([u16(len), u16(type), payload, Buffer.alloc(((len + 3) & ~3) - len)]);
};
const NLA_F_NESTED = 0x8000;
const nest = (type: number, ...attrs: Buffer[]) => nla(type | NLA_F_NESTED, Buffer.concat(attrs));
/** struct nlmsghdr (len, type, flags, seq, pid) + struct genlmsghdr (cmd, version, reserved). */
const msg = (type: number, flags: number, seq: number, pid: number, cmd: number, version: number, ...attrs: Buffer[]) => {
  const body = Buffer.concat([u8(cmd), u8(version), u16(0), ...attrs]);
  return Buffer.concat([u32(16 + body.length), u16(type), u16(flags), u32(seq), u32(pid), body]);
};
const v4 = (a: string) => Buffer.concat([Buffer.from(a.split('.').map(Number)), Buffer.alloc(12)]); // union nf_inet_addr
const v6 = (hex: string) => Buffer.from(hex, 'hex');

// Numbers from the kernel headers.
const NLM_F_REQUEST = 1, NLM_F_ACK = 4, NLM_F_DUMP = 0x300, NLM_F_MULTI = 2;
const REQ_ACK = NLM_F_REQUEST | NLM_F_ACK, REQ_DUMP = NLM_F_REQUEST | NLM_F_DUMP;
const FAM = 0x1f; // the IPVS family id is assigned at run time; any value will do
const AF_INET = 2, AF_INET6 = 10, IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_SCTP = 132;
const CMD = { NEW_SERVICE: 1, SET_SERVICE: 2, DEL_SERVICE: 3, GET_SERVICE: 4, NEW_DEST: 5, SET_DEST: 6, DEL_DEST: 7, GET_DEST: 8,
  NEW_DAEMON: 9, DEL_DAEMON: 10, GET_DAEMON: 11, SET_CONFIG: 12, GET_CONFIG: 13, SET_INFO: 14, GET_INFO: 15, ZERO: 16, FLUSH: 17 };
const CMD_ATTR = { SERVICE: 1, DEST: 2, DAEMON: 3, TIMEOUT_TCP: 4, TIMEOUT_TCP_FIN: 5, TIMEOUT_UDP: 6 };
const SVC = { AF: 1, PROTOCOL: 2, ADDR: 3, PORT: 4, FWMARK: 5, SCHED_NAME: 6, FLAGS: 7, TIMEOUT: 8, NETMASK: 9, STATS: 10, PE_NAME: 11, STATS64: 12 };
const DEST = { ADDR: 1, PORT: 2, FWD_METHOD: 3, WEIGHT: 4, U_THRESH: 5, L_THRESH: 6, ACTIVE_CONNS: 7, INACT_CONNS: 8, PERSIST_CONNS: 9,
  STATS: 10, ADDR_FAMILY: 11, STATS64: 12, TUN_TYPE: 13, TUN_PORT: 14, TUN_FLAGS: 15 };
const DAEMON = { STATE: 1, MCAST_IFN: 2, SYNC_ID: 3, SYNC_MAXLEN: 4, MCAST_GROUP: 5, MCAST_GROUP6: 6, MCAST_PORT: 7, MCAST_TTL: 8 };
const STATS = { CONNS: 1, INPKTS: 2, OUTPKTS: 3, INBYTES: 4, OUTBYTES: 5, CPS: 6, INPPS: 7, OUTPPS: 8, INBPS: 9, OUTBPS: 10, PAD: 11 };

function encode(r: GenlRequest, seq = 7, pid = 0x1234): Buffer {
  const w = new MessageWriter(64);
  writeRequest(w, r, seq, pid);
  return Buffer.from(w.finish());
}
const expectReq = (flags: number, cmd: number, ...attrs: Buffer[]) => msg(FAM, flags, 7, 0x1234, cmd, 1, ...attrs);

const tcpKey = { family: 4 as const, protocol: 'tcp' as const, address: '198.18.0.10', port: 80 };
const v6Key = { family: 6 as const, protocol: 'udp' as const, address: '2001:db8::10', port: 53 };
const svcKeyAttrs = [u16Attr(SVC.AF, AF_INET), u16Attr(SVC.PROTOCOL, IPPROTO_TCP), nla(SVC.ADDR, v4('198.18.0.10')), nla(SVC.PORT, be16(80))];
function u16Attr(t: number, v: number) { return nla(t, u16(v)); }
function u32Attr(t: number, v: number) { return nla(t, u32(v)); }

describe('IPVS request encoding', () => {
  it('CTRL_CMD_GETFAMILY asks the controller (id 16) for "IPVS"', () => {
    assert.deepEqual(encode(familyRequest('IPVS')), msg(16, REQ_ACK, 7, 0x1234, 3, 1, nla(2, str('IPVS'))));
  });

  it('NEW_SERVICE: a persistent TCP service with scheduler, flags struct, timeout and a __be32 netmask', () => {
    const s: Service = { key: tcpKey, scheduler: 'wrr', flags: 0x1, timeout: 300, netmask: 24 };
    assert.deepEqual(encode(R.newService(FAM, s)), expectReq(REQ_ACK, CMD.NEW_SERVICE, nest(CMD_ATTR.SERVICE,
      ...svcKeyAttrs,
      nla(SVC.SCHED_NAME, str('wrr')),
      nla(SVC.FLAGS, Buffer.concat([u32(0x1), u32(0xffffffff)])), // struct ip_vs_flags { flags; mask; }
      u32Attr(SVC.TIMEOUT, 300),
      nla(SVC.NETMASK, be32(0xffffff00)),
    )));
  });

  it('NEW_SERVICE: IPv6 UDP with the sh scheduler flags, a persistence engine, and the netmask as a prefix length', () => {
    const s: Service = { key: v6Key, scheduler: 'sh', flags: 0x8 | 0x10, timeout: 0, netmask: 128, pe: 'sip' };
    assert.deepEqual(encode(R.newService(FAM, s)), expectReq(REQ_ACK, CMD.NEW_SERVICE, nest(CMD_ATTR.SERVICE,
      u16Attr(SVC.AF, AF_INET6), u16Attr(SVC.PROTOCOL, IPPROTO_UDP), nla(SVC.ADDR, v6('20010db8000000000000000000000010')), nla(SVC.PORT, be16(53)),
      nla(SVC.SCHED_NAME, str('sh')), nla(SVC.PE_NAME, str('sip')),
      nla(SVC.FLAGS, Buffer.concat([u32(0x18), u32(0xffffffff)])), u32Attr(SVC.TIMEOUT, 0), u32Attr(SVC.NETMASK, 128),
    )));
  });

  it('SET_SERVICE: a fwmark service is identified by AF and FWMARK alone; SCTP uses protocol 132', () => {
    const s: Service = { key: { family: 4, fwmark: 80 }, scheduler: 'mh', flags: 0x10, timeout: 0, netmask: 32 };
    assert.deepEqual(encode(R.setService(FAM, s)), expectReq(REQ_ACK, CMD.SET_SERVICE, nest(CMD_ATTR.SERVICE,
      u16Attr(SVC.AF, AF_INET), u32Attr(SVC.FWMARK, 80), nla(SVC.SCHED_NAME, str('mh')),
      nla(SVC.FLAGS, Buffer.concat([u32(0x10), u32(0xffffffff)])), u32Attr(SVC.TIMEOUT, 0), nla(SVC.NETMASK, be32(0xffffffff)),
    )));
    const sctp = encode(R.delService(FAM, { family: 4, protocol: 'sctp', address: '198.18.0.10', port: 5060 }));
    assert.deepEqual(sctp, expectReq(REQ_ACK, CMD.DEL_SERVICE, nest(CMD_ATTR.SERVICE,
      u16Attr(SVC.AF, AF_INET), u16Attr(SVC.PROTOCOL, IPPROTO_SCTP), nla(SVC.ADDR, v4('198.18.0.10')), nla(SVC.PORT, be16(5060)))));
  });

  it('DEL_SERVICE and GET_SERVICE carry only the identifying attributes; a dump carries none', () => {
    assert.deepEqual(encode(R.delService(FAM, tcpKey)), expectReq(REQ_ACK, CMD.DEL_SERVICE, nest(CMD_ATTR.SERVICE, ...svcKeyAttrs)));
    assert.deepEqual(encode(R.getService(FAM, tcpKey)), expectReq(REQ_ACK, CMD.GET_SERVICE, nest(CMD_ATTR.SERVICE, ...svcKeyAttrs)));
    assert.deepEqual(encode(R.dumpServices(FAM)), expectReq(REQ_DUMP, CMD.GET_SERVICE));
  });

  const dr: Destination = { address: '198.18.0.11', port: 80, forward: 'dr', weight: 3, upperThreshold: 100, lowerThreshold: 10 };
  const destFull = (fwd: number, extra: Buffer[] = []) => nest(CMD_ATTR.DEST,
    u16Attr(DEST.ADDR_FAMILY, AF_INET), nla(DEST.ADDR, v4('198.18.0.11')), nla(DEST.PORT, be16(80)),
    u32Attr(DEST.FWD_METHOD, fwd), u32Attr(DEST.WEIGHT, 3), u32Attr(DEST.U_THRESH, 100), u32Attr(DEST.L_THRESH, 10), ...extra);

  it('NEW_DEST and SET_DEST: the service, then the destination with forwarding method, weight and thresholds', () => {
    const svc = nest(CMD_ATTR.SERVICE, ...svcKeyAttrs);
    assert.deepEqual(encode(R.newDest(FAM, tcpKey, dr)), expectReq(REQ_ACK, CMD.NEW_DEST, svc, destFull(3 /* IP_VS_CONN_F_DROUTE */)));
    assert.deepEqual(encode(R.setDest(FAM, tcpKey, { ...dr, forward: 'nat' })), expectReq(REQ_ACK, CMD.SET_DEST, svc, destFull(0 /* MASQ */)));
  });

  it('NEW_DEST with tunnelling: IP_VS_CONN_F_TUNNEL plus TUN_TYPE (u8), TUN_PORT (__be16) and TUN_FLAGS (u16)', () => {
    const gue: Destination = { ...dr, forward: 'tun', tunnel: { type: 'gue', port: 6080, flags: 0x1 } };
    assert.deepEqual(encode(R.newDest(FAM, tcpKey, gue)), expectReq(REQ_ACK, CMD.NEW_DEST, nest(CMD_ATTR.SERVICE, ...svcKeyAttrs),
      destFull(2, [nla(DEST.TUN_TYPE, u8(1)), nla(DEST.TUN_PORT, be16(6080)), nla(DEST.TUN_FLAGS, u16(1))])));
    const gre: Destination = { ...dr, forward: 'tun', tunnel: { type: 'gre' } };
    assert.deepEqual(encode(R.newDest(FAM, tcpKey, gre)), expectReq(REQ_ACK, CMD.NEW_DEST, nest(CMD_ATTR.SERVICE, ...svcKeyAttrs),
      destFull(2, [nla(DEST.TUN_TYPE, u8(2))])));
  });

  it('DEL_DEST identifies the destination by family, address and port; GET_DEST is a dump of one service', () => {
    const fw = { family: 6 as const, fwmark: 443 };
    assert.deepEqual(encode(R.delDest(FAM, fw, { address: '2001:db8::11', port: 0 })), expectReq(REQ_ACK, CMD.DEL_DEST,
      nest(CMD_ATTR.SERVICE, u16Attr(SVC.AF, AF_INET6), u32Attr(SVC.FWMARK, 443)),
      nest(CMD_ATTR.DEST, u16Attr(DEST.ADDR_FAMILY, AF_INET6), nla(DEST.ADDR, v6('20010db8000000000000000000000011')), nla(DEST.PORT, be16(0)))));
    assert.deepEqual(encode(R.dumpDests(FAM, tcpKey)), expectReq(REQ_DUMP, CMD.GET_DEST, nest(CMD_ATTR.SERVICE, ...svcKeyAttrs)));
  });

  it('operations map to their commands', () => {
    const s: Service = { key: tcpKey, scheduler: 'rr', flags: 0, timeout: 0, netmask: 32 };
    const cmds = ([
      { op: 'add-service', service: s }, { op: 'update-service', service: s }, { op: 'delete-service', key: tcpKey },
      { op: 'add-dest', key: tcpKey, dest: dr }, { op: 'update-dest', key: tcpKey, dest: dr }, { op: 'delete-dest', key: tcpKey, dest: dr },
    ] as const).map((o) => operationRequest(FAM, o).cmd);
    assert.deepEqual(cmds, [CMD.NEW_SERVICE, CMD.SET_SERVICE, CMD.DEL_SERVICE, CMD.NEW_DEST, CMD.SET_DEST, CMD.DEL_DEST]);
  });

  it('NEW_DAEMON with every option; DEL_DAEMON with the state; GET_DAEMON as a dump', () => {
    const d = encode(R.newDaemon(FAM, { state: 'backup', interface: 'eth1', syncId: 9, maxLength: 1400, group: '224.0.0.82', port: 8850, ttl: 2 }));
    assert.deepEqual(d, expectReq(REQ_ACK, CMD.NEW_DAEMON, nest(CMD_ATTR.DAEMON,
      u32Attr(DAEMON.STATE, 2), nla(DAEMON.MCAST_IFN, str('eth1')), u32Attr(DAEMON.SYNC_ID, 9), u16Attr(DAEMON.SYNC_MAXLEN, 1400),
      nla(DAEMON.MCAST_GROUP, Buffer.from([224, 0, 0, 82])), u16Attr(DAEMON.MCAST_PORT, 8850), nla(DAEMON.MCAST_TTL, u8(2)))));
    const d6 = encode(R.newDaemon(FAM, { state: 'master', interface: 'eth1', syncId: 1, group: 'ff02::82' }));
    assert.deepEqual(d6, expectReq(REQ_ACK, CMD.NEW_DAEMON, nest(CMD_ATTR.DAEMON,
      u32Attr(DAEMON.STATE, 1), nla(DAEMON.MCAST_IFN, str('eth1')), u32Attr(DAEMON.SYNC_ID, 1),
      nla(DAEMON.MCAST_GROUP6, v6('ff020000000000000000000000000082')))));
    assert.deepEqual(encode(R.delDaemon(FAM, 'master')), expectReq(REQ_ACK, CMD.DEL_DAEMON, nest(CMD_ATTR.DAEMON, u32Attr(DAEMON.STATE, 1))));
    assert.deepEqual(encode(R.dumpDaemons(FAM)), expectReq(REQ_DUMP, CMD.GET_DAEMON));
  });

  it('SET_CONFIG carries the three timeouts at the top level (0 = unchanged); GET_CONFIG, GET_INFO, ZERO, FLUSH', () => {
    assert.deepEqual(encode(R.setConfig(FAM, { tcp: 900, udp: 300 })), expectReq(REQ_ACK, CMD.SET_CONFIG,
      u32Attr(CMD_ATTR.TIMEOUT_TCP, 900), u32Attr(CMD_ATTR.TIMEOUT_TCP_FIN, 0), u32Attr(CMD_ATTR.TIMEOUT_UDP, 300)));
    assert.deepEqual(encode(R.getConfig(FAM)), expectReq(REQ_ACK, CMD.GET_CONFIG));
    assert.deepEqual(encode(R.getInfo(FAM)), expectReq(REQ_ACK, CMD.GET_INFO));
    assert.deepEqual(encode(R.zero(FAM)), expectReq(REQ_ACK, CMD.ZERO));
    assert.deepEqual(encode(R.zero(FAM, tcpKey)), expectReq(REQ_ACK, CMD.ZERO, nest(CMD_ATTR.SERVICE, ...svcKeyAttrs)));
    assert.deepEqual(encode(R.flush(FAM)), expectReq(REQ_ACK, CMD.FLUSH));
  });

  it('refuses values the kernel would reject, naming them', () => {
    const base: Service = { key: tcpKey, scheduler: 'rr', flags: 0, timeout: 0, netmask: 32 };
    assert.throws(() => encode(R.newService(FAM, { ...base, scheduler: 'a-scheduler-name-too-long' })), /scheduler .* 1-15 bytes/);
    assert.throws(() => encode(R.newService(FAM, { ...base, netmask: 33 })), /netmask \/33 is out of range for IPv4/);
    assert.throws(() => encode(R.newService(FAM, { ...base, key: { ...tcpKey, port: 70000 } })), /port 70000/);
    assert.throws(() => encode(R.newService(FAM, { ...base, key: { ...tcpKey, address: '2001:db8::1' } })), /not IPv4/);
    assert.throws(() => encode(R.newService(FAM, { ...base, key: { family: 4, fwmark: 0 } })), /fwmark 0 is out of range/);
    assert.throws(() => encode(R.newDest(FAM, tcpKey, { ...dr, weight: -1 })), /weight -1 is out of range/);
    assert.throws(() => encode(R.newDest(FAM, tcpKey, { ...dr, address: 'rs1' })), /not an IP address/);
    assert.throws(() => encode(R.newDaemon(FAM, { state: 'master', interface: 'an-interface-name-too-long', syncId: 1 })), /sync interface/);
  });
});

describe('IPVS reply decoding', () => {
  // What ip_vs_genl_fill_stats / _stats64 put: u32 counters and rates, u64 bytes (with PAD), or all u64.
  const stats32 = nest(SVC.STATS, u32Attr(STATS.CONNS, 5), u32Attr(STATS.INPKTS, 50), u32Attr(STATS.OUTPKTS, 0),
    nla(STATS.INBYTES, u64(5000)), nla(STATS.OUTBYTES, u64(0)), u32Attr(STATS.CPS, 1), u32Attr(STATS.INPPS, 10),
    u32Attr(STATS.OUTPPS, 0), u32Attr(STATS.INBPS, 1000), u32Attr(STATS.OUTBPS, 0));
  const stats64 = (type: number) => nest(type, nla(STATS.CONNS, u64(5)), nla(STATS.INPKTS, u64(50)), nla(STATS.OUTPKTS, u64(0)),
    nla(STATS.INBYTES, u64(2 ** 40)), nla(STATS.OUTBYTES, u64(0)), nla(STATS.CPS, u64(1)), nla(STATS.INPPS, u64(10)),
    nla(STATS.OUTPPS, u64(0)), nla(STATS.INBPS, u64(1000)), nla(STATS.OUTBPS, u64(0)));
  const reply = (cmd: number, ...attrs: Buffer[]) => parseMessages(msg(FAM, NLM_F_MULTI, 7, 0x1234, cmd, 1, ...attrs))[0]!;

  it('a service as ip_vs_genl_fill_service writes it, preferring STATS64', () => {
    const m = reply(CMD.NEW_SERVICE, nest(CMD_ATTR.SERVICE, ...svcKeyAttrs, nla(SVC.SCHED_NAME, str('wrr')),
      nla(SVC.FLAGS, Buffer.concat([u32(0x3), u32(0xffffffff)])), u32Attr(SVC.TIMEOUT, 300), nla(SVC.NETMASK, be32(0xffffff00)),
      stats32, stats64(SVC.STATS64)));
    assert.deepEqual(decodeService(m), {
      key: tcpKey, scheduler: 'wrr', flags: 0x3, timeout: 300, netmask: 24,
      stats: { conns: 5, inPackets: 50, outPackets: 0, inBytes: 2 ** 40, outBytes: 0, cps: 1, inPps: 10, outPps: 0, inBps: 1000, outBps: 0 },
    });
  });

  it('an IPv6 fwmark service with a persistence engine, from STATS alone', () => {
    const m = reply(CMD.NEW_SERVICE, nest(CMD_ATTR.SERVICE, u16Attr(SVC.AF, AF_INET6), u32Attr(SVC.FWMARK, 443),
      nla(SVC.SCHED_NAME, str('sh')), nla(SVC.PE_NAME, str('sip')), nla(SVC.FLAGS, Buffer.concat([u32(0x1b), u32(0xffffffff)])),
      u32Attr(SVC.TIMEOUT, 60), u32Attr(SVC.NETMASK, 64), stats32));
    const s = decodeService(m);
    assert.deepEqual(s.key, { family: 6, fwmark: 443 });
    assert.equal(s.pe, 'sip');
    assert.equal(s.netmask, 64);
    assert.equal(s.flags, 0x1b);
    assert.equal(s.stats.inBytes, 5000);
    assert.equal(s.stats.inBps, 1000);
  });

  it('a destination as ip_vs_genl_fill_dest writes it (forwarding bits masked, tunnel fields)', () => {
    const m = reply(CMD.NEW_DEST, nest(CMD_ATTR.DEST, nla(DEST.ADDR, v4('198.18.0.13')), nla(DEST.PORT, be16(0)),
      u32Attr(DEST.FWD_METHOD, 0x2), u32Attr(DEST.WEIGHT, 2), nla(DEST.TUN_TYPE, u8(1)), nla(DEST.TUN_PORT, be16(6080)),
      u16Attr(DEST.TUN_FLAGS, 2), u32Attr(DEST.U_THRESH, 0), u32Attr(DEST.L_THRESH, 0), u32Attr(DEST.ACTIVE_CONNS, 4),
      u32Attr(DEST.INACT_CONNS, 7), u32Attr(DEST.PERSIST_CONNS, 1), u16Attr(DEST.ADDR_FAMILY, AF_INET), stats64(DEST.STATS64)));
    const d = decodeDest(m, 4);
    assert.deepEqual({ ...d, stats: undefined }, {
      address: '198.18.0.13', port: 0, family: 4, forward: 'tun', weight: 2, upperThreshold: 0, lowerThreshold: 0,
      activeConns: 4, inactiveConns: 7, persistentConns: 1, tunnel: { type: 'gue', port: 6080, flags: 2 }, stats: undefined,
    });
    assert.equal(d.stats.conns, 5);
    // A kernel without ADDR_FAMILY (before 4.x): the service's family applies.
    const old = reply(CMD.NEW_DEST, nest(CMD_ATTR.DEST, nla(DEST.ADDR, v6('20010db8000000000000000000000011')), nla(DEST.PORT, be16(443)),
      u32Attr(DEST.FWD_METHOD, 0x3 | 0x80 /* NOOUTPUT, set by the kernel for DR */), u32Attr(DEST.WEIGHT, 1), stats32));
    const o = decodeDest(old, 6);
    assert.equal(o.address, '2001:db8::11');
    assert.equal(o.forward, 'dr');
    assert.equal(o.tunnel, undefined);
  });

  it('GET_INFO, GET_CONFIG and GET_DAEMON replies', () => {
    assert.deepEqual(decodeInfo(reply(CMD.SET_INFO, u32Attr(1, 0x010201), u32Attr(2, 4096))), { versionCode: 0x010201, version: '1.2.1', connTableSize: 4096 });
    assert.deepEqual(decodeTimeouts(reply(CMD.SET_CONFIG, u32Attr(CMD_ATTR.TIMEOUT_TCP, 900), u32Attr(CMD_ATTR.TIMEOUT_TCP_FIN, 120), u32Attr(CMD_ATTR.TIMEOUT_UDP, 300))),
      { tcp: 900, tcpFin: 120, udp: 300 });
    const daemon = reply(CMD.NEW_DAEMON, nest(CMD_ATTR.DAEMON, u32Attr(DAEMON.STATE, 1), nla(DAEMON.MCAST_IFN, str('eth1')), u32Attr(DAEMON.SYNC_ID, 7),
      u16Attr(DAEMON.SYNC_MAXLEN, 1472), u16Attr(DAEMON.MCAST_PORT, 8848), nla(DAEMON.MCAST_TTL, u8(1)), nla(DAEMON.MCAST_GROUP, Buffer.from([224, 0, 0, 81]))));
    assert.deepEqual(decodeDaemon(daemon), { state: 'master', interface: 'eth1', syncId: 7, maxLength: 1472, group: '224.0.0.81', port: 8848, ttl: 1 });
  });

  it('the controller\'s NEWFAMILY reply gives the family id (CTRL_ATTR_FAMILY_ID, u16)', () => {
    const m = parseMessages(msg(16, 0, 7, 0x1234, 1, 2, u16Attr(1, 0x23), nla(2, str('IPVS')), u32Attr(3, 1)))[0]!;
    assert.equal(decodeFamilyId(m), 0x23);
  });

  it('splits a datagram holding several messages, including NLMSG_ERROR and NLMSG_DONE', () => {
    const err = Buffer.concat([u32(36), u16(2), u16(0), u32(8), u32(0x1234), u32(-17 >>> 0), u32(16), u16(FAM), u16(5), u32(8), u32(0x1234)]);
    const done = Buffer.concat([u32(20), u16(3), u16(NLM_F_MULTI), u32(9), u32(0x1234), u32(0)]);
    const all = parseMessages(Buffer.concat([msg(FAM, NLM_F_MULTI, 7, 0x1234, CMD.NEW_SERVICE, 1), err, done]));
    assert.deepEqual(all.map((m) => [m.type, m.seq]), [[FAM, 7], [2, 8], [3, 9]]);
    assert.equal(all[1]!.payload.readInt32LE(0), -17);
    assert.throws(() => parseMessages(Buffer.concat([u32(400), u16(2), u16(0), u32(1), u32(0)])), /bad message length/);
  });
});
