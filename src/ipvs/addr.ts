/** Address bytes as IPVS carries them: a union nf_inet_addr of 16 bytes, IPv4 in the first 4. */
import { SocketAddress, isIPv4, isIPv6 } from 'node:net';
import type { Family } from './types.js';

export function familyOf(address: string): Family | 0 {
  return isIPv4(address) ? 4 : isIPv6(address) ? 6 : 0;
}

/** Network-order bytes of an address (4 or 16). Throws on anything that is not an IP address. */
export function addressBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (!isIPv6(address)) throw new TypeError(`not an IP address: "${address}"`);
  let text = address.split('%')[0]!;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = addressBytes(v4[1]!);
    text = `${text.slice(0, -v4[1]!.length)}${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** The 16-byte union nf_inet_addr the kernel expects in IPVS_*_ATTR_ADDR. */
export function inetAddr(address: string): Buffer {
  const b = addressBytes(address);
  if (b.length === 16) return b;
  const u = Buffer.alloc(16);
  b.copy(u);
  return u;
}

/** Text of an address read from the kernel (RFC 5952 form for IPv6). */
export function addressText(b: Buffer, family: Family): string {
  if (family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

/** Canonical text of an address (so "2001:DB8::0001" and "2001:db8::1" compare equal). */
export function canonicalAddress(address: string): string {
  if (isIPv4(address)) return address; // isIPv4 accepts only the canonical dotted quad
  const f = familyOf(address);
  if (!f) throw new TypeError(`not an IP address: "${address}"`);
  return addressText(addressBytes(address), f);
}
