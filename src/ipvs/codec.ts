/**
 * IPVS generic netlink commands and replies, attribute by attribute as
 * net/netfilter/ipvs/ip_vs_ctl.c parses and fills them (policy types in comments).
 * Ports and IPv4 persistence masks are big-endian (__be16/__be32); all else is host order.
 */
import {
  AF_INET, AF_INET6, CTRL_ATTR, CTRL_CMD, GENL_ID_CTRL, CONN_F, IPPROTO, IPVS_CMD, IPVS_CMD_ATTR, IPVS_DAEMON_ATTR, IPVS_DEST_ATTR, IPVS_GENL_VERSION,
  IPVS_INFO_ATTR, IPVS_STATS_ATTR, IPVS_SVC_ATTR, IP_VS_IFNAME_MAXLEN, IP_VS_PENAME_MAXLEN, IP_VS_SCHEDNAME_MAXLEN,
  SYNC_STATE, TUN_TYPE,
} from './constants.js';
import { addressBytes, addressText, familyOf, inetAddr } from './addr.js';
import { GENL_HDRLEN, attrString, attrUint, parseAttrs, readU32, type Attrs, type MessageWriter, type NlMessage } from './netlink.js';
import type { GenlRequest } from './transport.js';
import type {
  DestKey, Destination, DestinationInfo, Family, ForwardMethod, IpvsInfo, Operation, Protocol, Service, ServiceInfo,
  ServiceKey, Stats, SyncDaemon, Timeouts, TunnelType,
} from './types.js';

const AF: Record<Family, number> = { 4: AF_INET, 6: AF_INET6 };
const PROTO: Record<Protocol, number> = { tcp: IPPROTO.TCP, udp: IPPROTO.UDP, sctp: IPPROTO.SCTP };
const FWD: Record<ForwardMethod, number> = { nat: CONN_F.MASQ, local: CONN_F.LOCALNODE, tun: CONN_F.TUNNEL, dr: CONN_F.DROUTE, bypass: CONN_F.BYPASS };
const TUN: Record<TunnelType, number> = { ipip: TUN_TYPE.IPIP, gue: TUN_TYPE.GUE, gre: TUN_TYPE.GRE };
const invert = <K extends string | number>(r: Record<K, number>) => new Map(Object.entries(r).map(([k, v]) => [v as number, k as K]));
const PROTO_NAME = invert(PROTO);
const FWD_NAME = invert(FWD);
const TUN_NAME = invert(TUN);

function familyFromAf(af: number | undefined): Family {
  if (af === AF_INET) return 4;
  if (af === AF_INET6) return 6;
  throw new TypeError(`unknown address family ${af}`);
}

function checkName(what: string, name: string, max: number): void {
  if (!name || Buffer.byteLength(name) >= max) throw new TypeError(`${what} "${name}" must be 1-${max - 1} bytes`);
}

function checkKey(key: ServiceKey): void {
  if ('fwmark' in key) {
    if (!Number.isInteger(key.fwmark) || key.fwmark < 1 || key.fwmark > 0xffffffff) throw new TypeError(`fwmark ${key.fwmark} is out of range (1-4294967295)`);
    return;
  }
  if (familyOf(key.address) !== key.family) throw new TypeError(`service address "${key.address}" is not IPv${key.family}`);
  if (!Number.isInteger(key.port) || key.port < 0 || key.port > 65535) throw new TypeError(`service port ${key.port} is out of range`);
}

/** Persistence granularity: an IPv4 mask (__be32) or an IPv6 prefix length (plain u32). */
function netmaskValue(family: Family, prefix: number): number {
  const max = family === 4 ? 32 : 128;
  if (!Number.isInteger(prefix) || prefix < (family === 4 ? 0 : 1) || prefix > max) throw new TypeError(`netmask /${prefix} is out of range for IPv${family}`);
  return family === 4 ? (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0) : prefix;
}

/** IPVS_CMD_ATTR_SERVICE members that identify a service: AF (u16), then FWMARK (u32) or PROTOCOL (u16), ADDR (16 bytes), PORT (be16). */
function writeServiceKey(w: MessageWriter, key: ServiceKey): void {
  checkKey(key);
  w.u16(IPVS_SVC_ATTR.AF, AF[key.family]);
  if ('fwmark' in key) {
    w.u32(IPVS_SVC_ATTR.FWMARK, key.fwmark);
  } else {
    w.u16(IPVS_SVC_ATTR.PROTOCOL, PROTO[key.protocol]);
    w.bytes(IPVS_SVC_ATTR.ADDR, inetAddr(key.address));
    w.be16(IPVS_SVC_ATTR.PORT, key.port);
  }
}

function serviceNest(w: MessageWriter, key: ServiceKey): void {
  const n = w.beginNest(IPVS_CMD_ATTR.SERVICE);
  writeServiceKey(w, key);
  w.endNest(n);
}

/** A full service: the key plus SCHED_NAME (string), FLAGS (struct ip_vs_flags), TIMEOUT (u32), NETMASK, PE_NAME. */
function writeService(w: MessageWriter, s: Service): void {
  checkName('scheduler', s.scheduler, IP_VS_SCHEDNAME_MAXLEN);
  if (s.pe !== undefined) checkName('persistence engine', s.pe, IP_VS_PENAME_MAXLEN + 1);
  const n = w.beginNest(IPVS_CMD_ATTR.SERVICE);
  writeServiceKey(w, s.key);
  w.str(IPVS_SVC_ATTR.SCHED_NAME, s.scheduler);
  if (s.pe !== undefined) w.str(IPVS_SVC_ATTR.PE_NAME, s.pe);
  // struct ip_vs_flags { flags, mask }: a full mask sets every flag to ours.
  w.u32s(IPVS_SVC_ATTR.FLAGS, [s.flags >>> 0, 0xffffffff]);
  if (!Number.isInteger(s.timeout) || s.timeout < 0 || s.timeout > 0xffffffff) throw new TypeError(`persistence timeout ${s.timeout} is out of range`);
  w.u32(IPVS_SVC_ATTR.TIMEOUT, s.timeout);
  const mask = netmaskValue(s.key.family, s.netmask);
  if (s.key.family === 4) w.be32(IPVS_SVC_ATTR.NETMASK, mask); else w.u32(IPVS_SVC_ATTR.NETMASK, mask);
  w.endNest(n);
}

function destFamily(d: DestKey): Family {
  const f = familyOf(d.address);
  if (!f) throw new TypeError(`destination address "${d.address}" is not an IP address`);
  if (d.family !== undefined && d.family !== f) throw new TypeError(`destination address "${d.address}" is not IPv${d.family}`);
  if (!Number.isInteger(d.port) || d.port < 0 || d.port > 65535) throw new TypeError(`destination port ${d.port} is out of range`);
  return f;
}

/** IPVS_CMD_ATTR_DEST: ADDR_FAMILY (u16), ADDR (16 bytes), PORT (be16); full: FWD_METHOD, WEIGHT, U_THRESH, L_THRESH (u32), TUN_* . */
function writeDest(w: MessageWriter, d: DestKey | Destination, full: boolean): void {
  const family = destFamily(d);
  const n = w.beginNest(IPVS_CMD_ATTR.DEST);
  w.u16(IPVS_DEST_ATTR.ADDR_FAMILY, AF[family]);
  w.bytes(IPVS_DEST_ATTR.ADDR, inetAddr(d.address));
  w.be16(IPVS_DEST_ATTR.PORT, d.port);
  if (full) {
    const x = d as Destination;
    for (const [what, v] of [['weight', x.weight], ['upper threshold', x.upperThreshold], ['lower threshold', x.lowerThreshold]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) throw new TypeError(`${what} ${v} is out of range (0-2147483647)`);
    }
    const fwd = FWD[x.forward];
    if (fwd === undefined) throw new TypeError(`unknown forwarding method "${x.forward}"`);
    w.u32(IPVS_DEST_ATTR.FWD_METHOD, fwd);
    w.u32(IPVS_DEST_ATTR.WEIGHT, x.weight);
    w.u32(IPVS_DEST_ATTR.U_THRESH, x.upperThreshold);
    w.u32(IPVS_DEST_ATTR.L_THRESH, x.lowerThreshold);
    if (x.forward === 'tun' && x.tunnel) {
      const t = TUN[x.tunnel.type];
      if (t === undefined) throw new TypeError(`unknown tunnel type "${x.tunnel.type}"`);
      w.u8(IPVS_DEST_ATTR.TUN_TYPE, t);
      if (x.tunnel.port !== undefined) w.be16(IPVS_DEST_ATTR.TUN_PORT, x.tunnel.port);
      if (x.tunnel.flags !== undefined) w.u16(IPVS_DEST_ATTR.TUN_FLAGS, x.tunnel.flags);
    }
  }
  w.endNest(n);
}

/** CTRL_CMD_GETFAMILY for a family name (the controller answers with CTRL_CMD_NEWFAMILY). */
export const familyRequest = (name: string): GenlRequest =>
  ({ family: GENL_ID_CTRL, cmd: CTRL_CMD.GETFAMILY, version: 1, attrs: (w) => w.str(CTRL_ATTR.FAMILY_NAME, name) });

export function decodeFamilyId(m: NlMessage): number | undefined {
  return attrUint(genlAttrs(m), CTRL_ATTR.FAMILY_ID);
}

const req = (family: number, cmd: number, attrs?: (w: MessageWriter) => void, dump = false): GenlRequest =>
  ({ family, cmd, version: IPVS_GENL_VERSION, attrs, dump });

/** Requests for each IPVS command; `family` is the id resolved from the controller. */
export const ipvsRequests = {
  newService: (f: number, s: Service) => req(f, IPVS_CMD.NEW_SERVICE, (w) => writeService(w, s)),
  setService: (f: number, s: Service) => req(f, IPVS_CMD.SET_SERVICE, (w) => writeService(w, s)),
  delService: (f: number, k: ServiceKey) => req(f, IPVS_CMD.DEL_SERVICE, (w) => serviceNest(w, k)),
  getService: (f: number, k: ServiceKey) => req(f, IPVS_CMD.GET_SERVICE, (w) => serviceNest(w, k)),
  dumpServices: (f: number) => req(f, IPVS_CMD.GET_SERVICE, undefined, true),
  newDest: (f: number, k: ServiceKey, d: Destination) => req(f, IPVS_CMD.NEW_DEST, (w) => { serviceNest(w, k); writeDest(w, d, true); }),
  setDest: (f: number, k: ServiceKey, d: Destination) => req(f, IPVS_CMD.SET_DEST, (w) => { serviceNest(w, k); writeDest(w, d, true); }),
  delDest: (f: number, k: ServiceKey, d: DestKey) => req(f, IPVS_CMD.DEL_DEST, (w) => { serviceNest(w, k); writeDest(w, d, false); }),
  dumpDests: (f: number, k: ServiceKey) => req(f, IPVS_CMD.GET_DEST, (w) => serviceNest(w, k), true),
  newDaemon: (f: number, d: SyncDaemon) => req(f, IPVS_CMD.NEW_DAEMON, (w) => writeDaemon(w, d)),
  delDaemon: (f: number, state: SyncDaemon['state']) => req(f, IPVS_CMD.DEL_DAEMON, (w) => {
    const n = w.beginNest(IPVS_CMD_ATTR.DAEMON);
    w.u32(IPVS_DAEMON_ATTR.STATE, state === 'master' ? SYNC_STATE.MASTER : SYNC_STATE.BACKUP);
    w.endNest(n);
  }),
  dumpDaemons: (f: number) => req(f, IPVS_CMD.GET_DAEMON, undefined, true),
  setConfig: (f: number, t: Partial<Timeouts>) => req(f, IPVS_CMD.SET_CONFIG, (w) => {
    // 0 leaves a timeout unchanged (ip_vs_set_timeout).
    for (const [attr, v] of [[IPVS_CMD_ATTR.TIMEOUT_TCP, t.tcp], [IPVS_CMD_ATTR.TIMEOUT_TCP_FIN, t.tcpFin], [IPVS_CMD_ATTR.TIMEOUT_UDP, t.udp]] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 0x7fffffff)) throw new TypeError(`timeout ${v} is out of range`);
      w.u32(attr, v ?? 0);
    }
  }),
  getConfig: (f: number) => req(f, IPVS_CMD.GET_CONFIG),
  getInfo: (f: number) => req(f, IPVS_CMD.GET_INFO),
  zero: (f: number, k?: ServiceKey) => req(f, IPVS_CMD.ZERO, k ? (w) => serviceNest(w, k) : undefined),
  flush: (f: number) => req(f, IPVS_CMD.FLUSH),
};

/** The request that carries out one operation. */
export function operationRequest(f: number, o: Operation): GenlRequest {
  switch (o.op) {
    case 'add-service': return ipvsRequests.newService(f, o.service);
    case 'update-service': return ipvsRequests.setService(f, o.service);
    case 'delete-service': return ipvsRequests.delService(f, o.key);
    case 'add-dest': return ipvsRequests.newDest(f, o.key, o.dest);
    case 'update-dest': return ipvsRequests.setDest(f, o.key, o.dest);
    case 'delete-dest': return ipvsRequests.delDest(f, o.key, o.dest);
  }
}

/** IPVS_CMD_ATTR_DAEMON: STATE (u32), MCAST_IFN (string), SYNC_ID (u32), SYNC_MAXLEN (u16), MCAST_GROUP (in_addr) or MCAST_GROUP6, MCAST_PORT (u16), MCAST_TTL (u8). */
function writeDaemon(w: MessageWriter, d: SyncDaemon): void {
  checkName('sync interface', d.interface, IP_VS_IFNAME_MAXLEN);
  const n = w.beginNest(IPVS_CMD_ATTR.DAEMON);
  w.u32(IPVS_DAEMON_ATTR.STATE, d.state === 'master' ? SYNC_STATE.MASTER : SYNC_STATE.BACKUP);
  w.str(IPVS_DAEMON_ATTR.MCAST_IFN, d.interface);
  w.u32(IPVS_DAEMON_ATTR.SYNC_ID, d.syncId);
  if (d.maxLength !== undefined) w.u16(IPVS_DAEMON_ATTR.SYNC_MAXLEN, d.maxLength);
  if (d.group !== undefined) {
    const b = addressBytes(d.group);
    w.bytes(b.length === 4 ? IPVS_DAEMON_ATTR.MCAST_GROUP : IPVS_DAEMON_ATTR.MCAST_GROUP6, b);
  }
  if (d.port !== undefined) w.u16(IPVS_DAEMON_ATTR.MCAST_PORT, d.port);
  if (d.ttl !== undefined) w.u8(IPVS_DAEMON_ATTR.MCAST_TTL, d.ttl);
  w.endNest(n);
}

// ---- replies

/** The attributes after the genlmsghdr of a reply. */
export function genlAttrs(m: NlMessage): Attrs {
  return parseAttrs(m.payload, GENL_HDRLEN);
}

function nested(a: Attrs, type: number, what: string): Attrs {
  const b = a.get(type);
  if (!b) throw new TypeError(`IPVS reply without ${what}`);
  return parseAttrs(b);
}

export function decodeStats(a: Attrs): Stats {
  const s = a.get(IPVS_SVC_ATTR.STATS64) ?? a.get(IPVS_SVC_ATTR.STATS);
  const st = s ? parseAttrs(s) : new Map<number, Buffer>();
  const n = (t: number) => attrUint(st, t) ?? 0;
  return {
    conns: n(IPVS_STATS_ATTR.CONNS), inPackets: n(IPVS_STATS_ATTR.INPKTS), outPackets: n(IPVS_STATS_ATTR.OUTPKTS),
    inBytes: n(IPVS_STATS_ATTR.INBYTES), outBytes: n(IPVS_STATS_ATTR.OUTBYTES),
    cps: n(IPVS_STATS_ATTR.CPS), inPps: n(IPVS_STATS_ATTR.INPPS), outPps: n(IPVS_STATS_ATTR.OUTPPS),
    inBps: n(IPVS_STATS_ATTR.INBPS), outBps: n(IPVS_STATS_ATTR.OUTBPS),
  };
}

/** A NEW_SERVICE reply (dump entry or GET_SERVICE answer). */
export function decodeService(m: NlMessage): ServiceInfo {
  const a = nested(genlAttrs(m), IPVS_CMD_ATTR.SERVICE, 'IPVS_CMD_ATTR_SERVICE');
  const family = familyFromAf(attrUint(a, IPVS_SVC_ATTR.AF));
  const fwmark = attrUint(a, IPVS_SVC_ATTR.FWMARK) ?? 0;
  let key: ServiceKey;
  if (fwmark) {
    key = { family, fwmark };
  } else {
    const proto = PROTO_NAME.get(attrUint(a, IPVS_SVC_ATTR.PROTOCOL) ?? -1);
    if (!proto) throw new TypeError(`IPVS service with unknown protocol ${attrUint(a, IPVS_SVC_ATTR.PROTOCOL)}`);
    key = { family, protocol: proto, address: addressText(a.get(IPVS_SVC_ATTR.ADDR)!, family), port: a.get(IPVS_SVC_ATTR.PORT)!.readUInt16BE(0) };
  }
  const flagsBuf = a.get(IPVS_SVC_ATTR.FLAGS);
  const mask = a.get(IPVS_SVC_ATTR.NETMASK);
  const pe = attrString(a, IPVS_SVC_ATTR.PE_NAME);
  return {
    key,
    scheduler: attrString(a, IPVS_SVC_ATTR.SCHED_NAME) ?? '',
    flags: flagsBuf ? readU32(flagsBuf, 0) : 0,
    timeout: attrUint(a, IPVS_SVC_ATTR.TIMEOUT) ?? 0,
    netmask: mask ? (family === 4 ? leadingOnes(mask.readUInt32BE(0)) : readU32(mask, 0)) : family === 4 ? 32 : 128,
    ...(pe ? { pe } : {}),
    stats: decodeStats(a),
  };
}

function leadingOnes(v: number): number {
  let n = 0;
  while (n < 32 && v & (0x80000000 >>> n)) n++;
  return n;
}

/** A NEW_DEST reply (dump entry); `serviceFamily` when the kernel omits ADDR_FAMILY. */
export function decodeDest(m: NlMessage, serviceFamily: Family): DestinationInfo {
  const a = nested(genlAttrs(m), IPVS_CMD_ATTR.DEST, 'IPVS_CMD_ATTR_DEST');
  const af = attrUint(a, IPVS_DEST_ATTR.ADDR_FAMILY);
  const family = af ? familyFromAf(af) : serviceFamily;
  const forward = FWD_NAME.get((attrUint(a, IPVS_DEST_ATTR.FWD_METHOD) ?? 0) & CONN_F.FWD_MASK) ?? 'nat';
  const d: DestinationInfo = {
    address: addressText(a.get(IPVS_DEST_ATTR.ADDR)!, family),
    port: a.get(IPVS_DEST_ATTR.PORT)!.readUInt16BE(0),
    family, forward,
    weight: attrUint(a, IPVS_DEST_ATTR.WEIGHT) ?? 0,
    upperThreshold: attrUint(a, IPVS_DEST_ATTR.U_THRESH) ?? 0,
    lowerThreshold: attrUint(a, IPVS_DEST_ATTR.L_THRESH) ?? 0,
    activeConns: attrUint(a, IPVS_DEST_ATTR.ACTIVE_CONNS) ?? 0,
    inactiveConns: attrUint(a, IPVS_DEST_ATTR.INACT_CONNS) ?? 0,
    persistentConns: attrUint(a, IPVS_DEST_ATTR.PERSIST_CONNS) ?? 0,
    stats: decodeStats(new Map([
      [IPVS_SVC_ATTR.STATS, a.get(IPVS_DEST_ATTR.STATS)!], [IPVS_SVC_ATTR.STATS64, a.get(IPVS_DEST_ATTR.STATS64)!],
    ].filter(([, v]) => v) as [number, Buffer][])),
  };
  if (forward === 'tun') {
    const tport = a.get(IPVS_DEST_ATTR.TUN_PORT);
    const tflags = attrUint(a, IPVS_DEST_ATTR.TUN_FLAGS);
    d.tunnel = {
      type: TUN_NAME.get(attrUint(a, IPVS_DEST_ATTR.TUN_TYPE) ?? 0) ?? 'ipip',
      ...(tport && tport.readUInt16BE(0) ? { port: tport.readUInt16BE(0) } : {}),
      ...(tflags ? { flags: tflags } : {}),
    };
  }
  return d;
}

export function decodeInfo(m: NlMessage): IpvsInfo {
  const a = genlAttrs(m);
  const v = attrUint(a, IPVS_INFO_ATTR.VERSION) ?? 0;
  return { versionCode: v, version: `${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff}`, connTableSize: attrUint(a, IPVS_INFO_ATTR.CONN_TAB_SIZE) ?? 0 };
}

export function decodeTimeouts(m: NlMessage): Timeouts {
  const a = genlAttrs(m);
  return {
    tcp: attrUint(a, IPVS_CMD_ATTR.TIMEOUT_TCP) ?? 0,
    tcpFin: attrUint(a, IPVS_CMD_ATTR.TIMEOUT_TCP_FIN) ?? 0,
    udp: attrUint(a, IPVS_CMD_ATTR.TIMEOUT_UDP) ?? 0,
  };
}

export function decodeDaemon(m: NlMessage): SyncDaemon {
  const a = nested(genlAttrs(m), IPVS_CMD_ATTR.DAEMON, 'IPVS_CMD_ATTR_DAEMON');
  const g4 = a.get(IPVS_DAEMON_ATTR.MCAST_GROUP);
  const g6 = a.get(IPVS_DAEMON_ATTR.MCAST_GROUP6);
  const group = g6 && g6.length === 16 && g6.some((x) => x) ? addressText(g6, 6) : g4 && g4.some((x) => x) ? addressText(g4, 4) : undefined;
  const opt = (k: keyof SyncDaemon, v: number | string | undefined) => (v ? { [k]: v } : {});
  return {
    state: attrUint(a, IPVS_DAEMON_ATTR.STATE) === SYNC_STATE.BACKUP ? 'backup' : 'master',
    interface: attrString(a, IPVS_DAEMON_ATTR.MCAST_IFN) ?? '',
    syncId: attrUint(a, IPVS_DAEMON_ATTR.SYNC_ID) ?? 0,
    ...opt('maxLength', attrUint(a, IPVS_DAEMON_ATTR.SYNC_MAXLEN)),
    ...opt('group', group),
    ...opt('port', attrUint(a, IPVS_DAEMON_ATTR.MCAST_PORT)),
    ...opt('ttl', attrUint(a, IPVS_DAEMON_ATTR.MCAST_TTL)),
  };
}
