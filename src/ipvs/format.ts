/**
 * Text forms of IPVS objects. A service is written `tcp:198.18.0.10:80`,
 * `udp:[2001:db8::10]:53`, `sctp:…`, `fwmark:80` or `fwmark6:80` (IPv6 mark); a destination
 * `198.18.0.11:80` or `[2001:db8::11]:80`. The same strings are identities (map keys) and
 * what `lbctl ipvs` accepts, so every formatted key parses back to itself.
 */
import { canonicalAddress, familyOf } from './addr.js';
import type { DestKey, Family, Operation, Protocol, ServiceKey } from './types.js';

const hostPort = (address: string, port: number) => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);

export function serviceId(key: ServiceKey): string {
  if ('fwmark' in key) return `${key.family === 6 ? 'fwmark6' : 'fwmark'}:${key.fwmark}`;
  return `${key.protocol}:${hostPort(key.address, key.port)}`;
}

export function destId(d: DestKey): string {
  return hostPort(d.address, d.port);
}

function parsePort(text: string, what: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new TypeError(`${what}: "${text}" is not a port (0-65535)`);
  return Number(text);
}

/** ADDRESS:PORT or [IPV6]:PORT. */
export function parseHostPort(text: string, what = 'address'): { address: string; port: number; family: Family } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!m) throw new TypeError(`${what}: "${text}" is not ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)`);
  const family = familyOf(m[1]!);
  if (!family || (family === 6) !== text.startsWith('[')) throw new TypeError(`${what}: "${m[1]}" is not an IP address`);
  return { address: canonicalAddress(m[1]!), port: parsePort(m[2]!, what), family };
}

export function parseServiceKey(text: string): ServiceKey {
  const fw = /^(fwmark6?):(\d+)$/.exec(text);
  if (fw) {
    const mark = Number(fw[2]);
    if (mark < 1 || mark > 0xffffffff) throw new TypeError(`service: fwmark ${fw[2]} is out of range (1-4294967295)`);
    return { family: fw[1] === 'fwmark6' ? 6 : 4, fwmark: mark };
  }
  const m = /^(tcp|udp|sctp):(.+)$/.exec(text);
  if (!m) throw new TypeError(`service: "${text}" is not tcp|udp|sctp:ADDRESS:PORT or fwmark[6]:MARK`);
  const hp = parseHostPort(m[2]!, 'service');
  return { family: hp.family, protocol: m[1] as Protocol, address: hp.address, port: hp.port };
}

export function parseDestKey(text: string): DestKey {
  const hp = parseHostPort(text, 'destination');
  return { address: hp.address, port: hp.port, family: hp.family };
}

/** "add-dest tcp:198.18.0.10:80 -> 198.18.0.11:80" */
export function describeOperation(o: Operation): string {
  switch (o.op) {
    case 'add-service': case 'update-service': return `${o.op} ${serviceId(o.service.key)}`;
    case 'delete-service': return `${o.op} ${serviceId(o.key)}`;
    default: return `${o.op} ${serviceId(o.key)} -> ${destId(o.dest)}`;
  }
}
