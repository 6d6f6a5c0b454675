/**
 * Netlink framing: struct nlmsghdr, struct genlmsghdr and attributes (TLVs), written
 * straight into one buffer per batch and parsed without copies. Netlink integers are in
 * host byte order except where the IPVS header says __be16/__be32 (ports, IPv4 masks).
 */
import { endianness } from 'node:os';
import { NLA_F_NESTED, NLA_TYPE_MASK, NLMSG } from './constants.js';

const LE = endianness() === 'LE';
export const NLMSG_HDRLEN = 16;
export const GENL_HDRLEN = 4;
const align4 = (n: number) => (n + 3) & ~3;

/** Builds one or more netlink messages into a single growable buffer (one sendmsg). */
export class MessageWriter {
  private buf: Buffer;
  private off = 0;
  private msgStart = -1;

  // Unzeroed: every byte up to `length` is written (headers, values, padding).
  constructor(size = 4096) { this.buf = Buffer.allocUnsafe(size); }

  get length(): number { return this.off; }

  /** Drop everything after `length` (a message that failed to encode). */
  truncate(length: number): void {
    this.off = length;
    this.msgStart = -1;
  }

  private reserve(n: number): void {
    if (this.off + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + n));
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  private w16(v: number, at = this.off): void { LE ? this.buf.writeUInt16LE(v, at) : this.buf.writeUInt16BE(v, at); }
  private w32(v: number, at = this.off): void { LE ? this.buf.writeUInt32LE(v >>> 0, at) : this.buf.writeUInt32BE(v >>> 0, at); }

  /** Start a generic netlink message: nlmsghdr + genlmsghdr. */
  begin(type: number, flags: number, seq: number, pid: number, cmd: number, version: number): this {
    if (this.msgStart >= 0) throw new Error('netlink: message not ended');
    this.reserve(NLMSG_HDRLEN + GENL_HDRLEN);
    this.msgStart = this.off;
    this.w32(0, this.off); // length, filled in by end()
    this.w16(type, this.off + 4);
    this.w16(flags, this.off + 6);
    this.w32(seq, this.off + 8);
    this.w32(pid, this.off + 12);
    this.buf.writeUInt8(cmd, this.off + 16);
    this.buf.writeUInt8(version, this.off + 17);
    this.buf.writeUInt16LE(0, this.off + 18);
    this.off += NLMSG_HDRLEN + GENL_HDRLEN;
    return this;
  }

  end(): this {
    if (this.msgStart < 0) throw new Error('netlink: no message begun');
    this.w32(this.off - this.msgStart, this.msgStart);
    this.msgStart = -1;
    return this;
  }

  /** An attribute with `len` payload bytes written by `fill` at the given offset; padded to 4. */
  private attr(type: number, len: number, fill: (at: number) => void): this {
    const total = align4(4 + len);
    this.reserve(total);
    this.w16(4 + len, this.off);
    this.w16(type, this.off + 2);
    fill(this.off + 4);
    this.buf.fill(0, this.off + 4 + len, this.off + total);
    this.off += total;
    return this;
  }

  u8(type: number, v: number): this { return this.attr(type, 1, (at) => this.buf.writeUInt8(v, at)); }
  u16(type: number, v: number): this { return this.attr(type, 2, (at) => this.w16(v, at)); }
  be16(type: number, v: number): this { return this.attr(type, 2, (at) => this.buf.writeUInt16BE(v, at)); }
  u32(type: number, v: number): this { return this.attr(type, 4, (at) => this.w32(v, at)); }
  be32(type: number, v: number): this { return this.attr(type, 4, (at) => this.buf.writeUInt32BE(v >>> 0, at)); }
  /** A struct of host-order u32s (e.g. struct ip_vs_flags). */
  u32s(type: number, vs: number[]): this { return this.attr(type, 4 * vs.length, (at) => vs.forEach((v, i) => this.w32(v, at + 4 * i))); }
  bytes(type: number, b: Uint8Array): this { return this.attr(type, b.length, (at) => this.buf.set(b, at)); }
  /** A NUL-terminated string (NLA_NUL_STRING / NLA_STRING). */
  str(type: number, s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.attr(type, b.length + 1, (at) => { this.buf.set(b, at); this.buf.writeUInt8(0, at + b.length); });
  }

  /** Open a nested attribute; close it with endNest(returned offset). */
  beginNest(type: number): number {
    this.reserve(4);
    const start = this.off;
    this.w16(0, start);
    this.w16(type | NLA_F_NESTED, start + 2);
    this.off += 4;
    return start;
  }

  endNest(start: number): this {
    this.w16(this.off - start, start);
    return this;
  }

  /** The bytes written so far (shares memory with the writer). */
  finish(): Buffer {
    if (this.msgStart >= 0) throw new Error('netlink: message not ended');
    return this.buf.subarray(0, this.off);
  }
}

export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** Everything after the nlmsghdr. */
  payload: Buffer;
}

export const readU16 = (b: Buffer, at = 0) => (LE ? b.readUInt16LE(at) : b.readUInt16BE(at));
export const readU32 = (b: Buffer, at = 0) => (LE ? b.readUInt32LE(at) : b.readUInt32BE(at));
export const readS32 = (b: Buffer, at = 0) => (LE ? b.readInt32LE(at) : b.readInt32BE(at));
export const readU64 = (b: Buffer, at = 0) => Number(LE ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at));

/** Split a datagram into its netlink messages. Throws on a malformed length. */
export function parseMessages(buf: Buffer): NlMessage[] {
  const out: NlMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = readU32(buf, off);
    if (len < NLMSG_HDRLEN || off + len > buf.length) throw new Error(`netlink: bad message length ${len} at offset ${off}`);
    out.push({
      type: readU16(buf, off + 4), flags: readU16(buf, off + 6), seq: readU32(buf, off + 8), pid: readU32(buf, off + 12),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** Attributes by type (flags masked off); a repeated type keeps its last value. */
export type Attrs = Map<number, Buffer>;

export function parseAttrs(buf: Buffer, from = 0): Attrs {
  const out: Attrs = new Map();
  let off = from;
  while (off + 4 <= buf.length) {
    const len = readU16(buf, off);
    if (len < 4 || off + len > buf.length) throw new Error(`netlink: bad attribute length ${len} at offset ${off}`);
    out.set(readU16(buf, off + 2) & NLA_TYPE_MASK, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

/** An integer attribute of 1, 2, 4 or 8 bytes (the kernel widens some counters over time). */
export function attrUint(a: Attrs, type: number): number | undefined {
  const b = a.get(type);
  if (!b) return undefined;
  switch (b.length) {
    case 1: return b.readUInt8(0);
    case 2: return readU16(b);
    case 4: return readU32(b);
    case 8: return readU64(b);
    default: throw new Error(`netlink: attribute ${type} has ${b.length} bytes, not an integer`);
  }
}

export function attrString(a: Attrs, type: number): string | undefined {
  const b = a.get(type);
  if (!b) return undefined;
  const nul = b.indexOf(0);
  return b.toString('utf8', 0, nul < 0 ? b.length : nul);
}

/** The payload of an NLMSG_ERROR: 0 for an ACK, else a positive errno. */
export function errorOf(m: NlMessage): number {
  if (m.type !== NLMSG.ERROR) throw new Error('netlink: not an error message');
  return -readS32(m.payload, 0);
}
