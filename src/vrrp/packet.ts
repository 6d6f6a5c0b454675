/**
 * VRRP advertisement codec: VRRPv2 (RFC 3768, IPv4, optional simple password)
 * and VRRPv3 (RFC 5798, IPv4 and IPv6, centisecond intervals, checksum over the
 * IP pseudo-header). decode() never throws: a packet either decodes or names
 * the reason it was dropped, which the engine counts.
 */
import { internetChecksum } from '../net/announce.js';
import { bytesToIp, ipToBytes, type Family } from '../util/ip.js';

export const VRRP_PROTO = 112;
const TYPE_ADVERTISEMENT = 1;
const AUTH_DATA_LEN = 8;
export const AUTH_NONE = 0;
export const AUTH_SIMPLE = 1;

export interface Advert {
  version: 2 | 3;
  vrid: number;
  priority: number;
  /** Advertisement interval in centiseconds (VRRPv2 seconds × 100). */
  intervalCs: number;
  addresses: string[];
  /** VRRPv2 only. */
  authType: number;
  /** VRRPv2 simple password (8 bytes, NUL padded). */
  authData: Buffer;
}

/** Why a received packet was dropped; every reason is a counter in the status. */
export const DROP_REASONS = [
  'length', 'version', 'type', 'checksum', 'ttl', 'vrid', 'family', 'auth_type', 'auth', 'interval', 'addresses', 'own_address', 'not_ours',
] as const;
export type DropReason = typeof DROP_REASONS[number];

export type Decoded = { ok: true; advert: Advert } | { ok: false; reason: DropReason; detail: string };

/** IPv4/IPv6 pseudo-header + message checksum (VRRPv3, RFC 5798 5.2.8). */
function pseudoChecksum(src: Buffer, dst: Buffer, msg: Buffer): number {
  const v6 = src.length === 16;
  const pseudo = Buffer.alloc(v6 ? 40 : 12);
  src.copy(pseudo, 0);
  dst.copy(pseudo, src.length);
  if (v6) { pseudo.writeUInt32BE(msg.length, 32); pseudo[39] = VRRP_PROTO; }
  else { pseudo[9] = VRRP_PROTO; pseudo.writeUInt16BE(msg.length, 10); }
  return internetChecksum(Buffer.concat([pseudo, msg]));
}

export interface EncodeOptions {
  version: 2 | 3;
  vrid: number;
  priority: number;
  intervalCs: number;
  addresses: string[];
  /** VRRPv2 simple password. */
  password?: string;
  /** VRRPv3: the IP source and destination the packet is sent with (pseudo-header). */
  source?: string;
  destination?: string;
}

export function encodeAdvert(o: EncodeOptions): Buffer {
  const addrs = o.addresses.map(ipToBytes);
  const v2 = o.version === 2;
  const msg = Buffer.alloc(8 + addrs.reduce((n, a) => n + a.length, 0) + (v2 ? AUTH_DATA_LEN : 0));
  msg[0] = (o.version << 4) | TYPE_ADVERTISEMENT;
  msg[1] = o.vrid;
  msg[2] = o.priority;
  msg[3] = addrs.length;
  if (v2) {
    msg[4] = o.password ? AUTH_SIMPLE : AUTH_NONE;
    msg[5] = Math.round(o.intervalCs / 100);
    if (o.password) msg.write(o.password, 8 + addrs.length * 4, AUTH_DATA_LEN, 'latin1');
  } else {
    msg.writeUInt16BE(o.intervalCs & 0x0fff, 4);
  }
  let off = 8;
  for (const a of addrs) { a.copy(msg, off); off += a.length; }
  const sum = v2 ? internetChecksum(msg) : pseudoChecksum(ipToBytes(o.source!), ipToBytes(o.destination!), msg);
  msg.writeUInt16BE(sum, 6);
  return msg;
}

/**
 * Decode and verify one VRRP message of the given address family, as received
 * from `source` to `destination` (needed for the VRRPv3 checksum).
 */
export function decodeAdvert(msg: Buffer, family: Family, source: string, destination: string): Decoded {
  const drop = (reason: DropReason, detail: string): Decoded => ({ ok: false, reason, detail });
  if (msg.length < 8) return drop('length', `${msg.length} bytes is shorter than a VRRP header`);
  const version = msg[0]! >> 4;
  if (version !== 2 && version !== 3) return drop('version', `version ${version}`);
  if (version === 2 && family === 6) return drop('version', 'VRRPv2 over IPv6');
  if ((msg[0]! & 0x0f) !== TYPE_ADVERTISEMENT) return drop('type', `type ${msg[0]! & 0x0f}`);
  const count = msg[3]!;
  const alen = family === 4 ? 4 : 16;
  const expected = 8 + count * alen + (version === 2 ? AUTH_DATA_LEN : 0);
  // Trailing bytes are tolerated (some stacks pad), a short packet is not.
  if (msg.length < expected) return drop('length', `${msg.length} bytes, ${expected} needed for ${count} addresses`);
  const body = msg.subarray(0, expected);
  if (version === 2) {
    if (internetChecksum(body) !== 0) return drop('checksum', 'bad VRRPv2 checksum');
  } else {
    let src: Buffer, dst: Buffer;
    try { src = ipToBytes(source); dst = ipToBytes(destination); } catch { return drop('family', 'unparseable IP addresses'); }
    if (src.length !== alen || dst.length !== alen) return drop('family', 'address family does not match the socket');
    if (pseudoChecksum(src, dst, body) !== 0) return drop('checksum', 'bad VRRPv3 checksum');
  }
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) addresses.push(bytesToIp(body.subarray(8 + i * alen, 8 + (i + 1) * alen)));
  return {
    ok: true,
    advert: {
      version, vrid: msg[1]!, priority: msg[2]!,
      intervalCs: version === 2 ? msg[5]! * 100 : msg.readUInt16BE(4) & 0x0fff,
      addresses,
      authType: version === 2 ? msg[4]! : AUTH_NONE,
      authData: version === 2 ? Buffer.from(body.subarray(8 + count * 4)) : Buffer.alloc(0),
    },
  };
}

/** The 8-byte VRRPv2 auth field for a password (NUL padded), for comparison with a received one. */
export function passwordField(password: string): Buffer {
  const b = Buffer.alloc(AUTH_DATA_LEN);
  b.write(password, 0, AUTH_DATA_LEN, 'latin1');
  return b;
}
