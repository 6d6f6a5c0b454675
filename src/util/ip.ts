/** IP address helpers shared by config validation and the engines. */
import { isIPv4, isIPv6 } from 'node:net';

export type Family = 4 | 6;

export function ipFamily(addr: string): Family | 0 {
  return isIPv4(addr) ? 4 : isIPv6(addr) ? 6 : 0;
}

/** Address bytes in network order (4 or 16 bytes). Throws on an invalid address. */
export function ipToBytes(addr: string): Buffer {
  if (isIPv4(addr)) return Buffer.from(addr.split('.').map(Number));
  if (!isIPv6(addr)) throw new Error(`invalid IP address '${addr}'`);
  let text = addr.split('%')[0]!;
  const out = Buffer.alloc(16);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4 = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4) {
    const b = ipToBytes(v4[1]!);
    text = text.slice(0, -v4[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

export function bytesToIp(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  // RFC 5952: compress the longest run (length >= 2) of zero groups.
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i; while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** Canonical text of an address (lower-case, compressed IPv6). */
export function canonicalIp(addr: string): string {
  return bytesToIp(ipToBytes(addr));
}

/** Compare two addresses of one family numerically (for VRRP's tie-break on the primary address). */
export function compareIp(a: string, b: string): number {
  return Buffer.compare(ipToBytes(a), ipToBytes(b));
}

export interface Prefix { address: string; prefix: number; family: Family }

/** Parse ADDRESS[/PREFIX]; the prefix defaults to a host route (/32 or /128). Returns null when invalid. */
export function parsePrefix(text: string): Prefix | null {
  const m = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(text);
  if (!m) return null;
  const family = ipFamily(m[1]!);
  if (!family) return null;
  const max = family === 4 ? 32 : 128;
  const prefix = m[2] === undefined ? max : Number(m[2]);
  if (prefix > max || (m[2] !== undefined && m[2].length > 1 && m[2].startsWith('0'))) return null;
  return { address: canonicalIp(m[1]!), prefix, family };
}

export function isMulticast(addr: string): boolean {
  const f = ipFamily(addr);
  if (f === 4) return Number(addr.split('.')[0]) >= 224 && Number(addr.split('.')[0]) <= 239;
  if (f === 6) return ipToBytes(addr)[0] === 0xff;
  return false;
}

export function isLinkLocal6(addr: string): boolean {
  const b = ipToBytes(addr);
  return b.length === 16 && b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}

/** A dotted IPv4 netmask with contiguous ones (persistence_granularity), or a prefix length. */
export function isNetmask(text: string): boolean {
  if (/^\d{1,3}$/.test(text)) return Number(text) <= 128;
  if (!isIPv4(text)) return false;
  const n = ipToBytes(text).readUInt32BE(0);
  const inv = ~n >>> 0;
  return (inv & (inv + 1)) === 0;
}

/** Linux interface names: 1-15 bytes, no '/', ':' or whitespace (IFNAMSIZ 16 with NUL). */
export function isIfName(name: string): boolean {
  return /^[^\s/:]{1,15}$/.test(name) && name !== '.' && name !== '..';
}

/** RFC 1123 host name or an IP address. */
export function isHost(text: string): boolean {
  if (ipFamily(text)) return true;
  return text.length <= 253 && /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(text);
}

/** ADDRESS:PORT, [IPV6]:PORT or *:PORT. */
export function parseEndpoint(text: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  if (m[1] !== undefined && ipFamily(host) !== 6) return null;
  if (host !== '*' && !isHost(host)) return null;
  return { host, port };
}

/** True for 127.0.0.0/8, ::1 and "localhost" (with or without a port). */
export function isLoopbackEndpoint(text: string): boolean {
  const host = parseEndpoint(text)?.host ?? text.replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost' || host === '::1') return true;
  return ipFamily(host) === 4 && host.startsWith('127.');
}
