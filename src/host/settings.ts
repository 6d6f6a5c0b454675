/**
 * The management network settings of a node and their rules, shared by lbd
 * (which applies them) and the console (which checks each field as it is
 * typed, so a bad value is refused before anything is sent). Pure functions.
 */
import { bytesToIp, ipFamily, ipToBytes, isIfName, type Family } from '../util/ip.js';

export interface NetworkSettings {
  interface: string;
  mode: 'static' | 'dhcp';
  /** Static mode: the address, without prefix. */
  address?: string;
  prefix?: number;
  gateway?: string;
  /** Name servers (at most 3, as resolv.conf reads no more). */
  dns: string[];
  hostname: string;
}

export type SettingsField = 'interface' | 'mode' | 'address' | 'prefix' | 'gateway' | 'dns' | 'hostname';
export interface FieldError { field: SettingsField; message: string }

export const MAX_DNS = 3;
/** HOST_NAME_MAX on Linux. */
const MAX_HOSTNAME = 64;

const maskedEqual = (a: Buffer, b: Buffer, prefix: number): boolean => {
  for (let bit = 0; bit < prefix; bit++) {
    const i = bit >> 3, m = 0x80 >> (bit & 7);
    if ((a[i]! & m) !== (b[i]! & m)) return false;
  }
  return true;
};

/** Whether `addr` lies in `net`/`prefix` (same family required). */
export function inSubnet(addr: string, net: string, prefix: number): boolean {
  if (ipFamily(addr) !== ipFamily(net)) return false;
  return maskedEqual(ipToBytes(addr), ipToBytes(net), prefix);
}

/** The network address of addr/prefix, as text. */
export function networkOf(addr: string, prefix: number): string {
  const b = ipToBytes(addr);
  for (let bit = prefix; bit < b.length * 8; bit++) b[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return bytesToIp(b);
}

function v4Broadcast(addr: string, prefix: number): string {
  const b = ipToBytes(addr);
  for (let bit = prefix; bit < 32; bit++) b[bit >> 3]! |= 0x80 >> (bit & 7);
  return bytesToIp(b);
}

/** Why `text` cannot be a host's own unicast address, or null when it can. */
export function addressProblem(text: string): string | null {
  const t = text.trim();
  if (!t) return 'an address is required';
  if (t.includes('/')) return `give the address without "/prefix" (the prefix has its own field)`;
  const family = ipFamily(t);
  if (!family) return `"${t}" is not an IPv4 or IPv6 address`;
  const b = ipToBytes(t);
  if (family === 4) {
    if (b[0] === 0) return `${t} is in 0.0.0.0/8 (this network), not a host address`;
    if (b[0] === 127) return `${t} is a loopback address`;
    if (b[0]! >= 224 && b[0]! <= 239) return `${t} is a multicast address`;
    if (b[0]! >= 240) return `${t} is reserved or broadcast, not a host address`;
    if (b[0] === 169 && b[1] === 254) return `${t} is link-local (169.254.0.0/16), assigned automatically, not configured`;
  } else {
    if (b.every((x) => x === 0)) return `${t} is the unspecified address`;
    if (b.subarray(0, 15).every((x) => x === 0) && b[15] === 1) return `${t} is the loopback address`;
    if (b[0] === 0xff) return `${t} is a multicast address`;
    if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return `${t} is link-local (fe80::/10), assigned automatically, not configured`;
  }
  return null;
}

/** The prefix length in `text` for `family`, or the reason it is not one. */
export function parsePrefixLength(text: string, family: Family): number | string {
  const t = text.trim().replace(/^\//, '');
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(t) || (t.length > 1 && t.startsWith('0'))) return `prefix "${text.trim()}" must be a number from 1 to ${max}`;
  const n = Number(t);
  if (n < 1 || n > max) return `prefix ${n} is out of range: 1 to ${max} for IPv${family}`;
  return n;
}

/** Why `address`/`prefix` cannot be a host's address on that subnet (network or broadcast address), or null. */
export function subnetProblem(address: string, prefix: number): string | null {
  if (ipFamily(address) !== 4 || prefix > 30) return null;
  if (address === networkOf(address, prefix)) return `${address} is the network address of ${address}/${prefix}`;
  if (address === v4Broadcast(address, prefix)) return `${address} is the broadcast address of ${networkOf(address, prefix)}/${prefix}`;
  return null;
}

/** Why `gateway` cannot be the default gateway of `address`/`prefix`, or null. */
export function gatewayProblem(gateway: string, address: string, prefix: number): string | null {
  const g = gateway.trim();
  const family = ipFamily(g);
  if (!family) return `"${g}" is not an IPv4 or IPv6 address`;
  if (family !== ipFamily(address)) return `gateway ${g} is IPv${family} but the address is IPv${ipFamily(address)}`;
  if (g === address) return `the gateway cannot be this node's own address`;
  // An IPv6 router is usually reached at its link-local address.
  if (family === 6 && ipToBytes(g)[0] === 0xfe && (ipToBytes(g)[1]! & 0xc0) === 0x80) return null;
  const generic = addressProblem(g);
  if (generic) return generic.replace(/^(\S+) is/, 'gateway $1 is');
  if (!inSubnet(g, address, prefix)) return `gateway ${g} is outside the subnet ${networkOf(address, prefix)}/${prefix}: it must be reachable on this link`;
  const sub = subnetProblem(g, prefix);
  return sub ? `gateway ${sub}` : null;
}

/** Name servers from "a b", "a, b" or a list; the reason when one is bad. */
export function parseDns(input: string | string[]): string[] | string {
  const list = (Array.isArray(input) ? input : input.split(/[\s,;]+/)).map((s) => s.trim()).filter(Boolean);
  if (list.length > MAX_DNS) return `at most ${MAX_DNS} name servers (the resolver ignores more), got ${list.length}`;
  for (const d of list) {
    if (!ipFamily(d)) return `name server "${d}" is not an IPv4 or IPv6 address`;
    const p = addressProblem(d);
    if (p && !/loopback/.test(p)) return `name server ${p}`;
  }
  if (new Set(list).size !== list.length) return 'a name server is listed twice';
  return list;
}

/** Why `name` cannot be the host name, or null (RFC 1123 labels, at most 64 characters). */
export function hostnameProblem(name: string): string | null {
  const n = name.trim();
  if (!n) return 'a host name is required';
  if (n.length > MAX_HOSTNAME) return `host name is ${n.length} characters long; at most ${MAX_HOSTNAME}`;
  for (const label of n.split('.')) {
    if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label))
      return `host name "${n}": each dot-separated part must be 1-63 letters, digits or "-", not starting or ending with "-"`;
  }
  if (/^\d+$/.test(n.split('.').at(-1)!)) return `host name "${n}" must not end in an all-numeric part (it would read as an address)`;
  return null;
}

/** Every problem with a whole set of settings (the API's check; the console checks field by field with the same functions). */
export function checkNetworkSettings(s: NetworkSettings): FieldError[] {
  const errors: FieldError[] = [];
  const add = (field: SettingsField, message: string | null) => { if (message) errors.push({ field, message }); };
  add('interface', isIfName(s.interface) ? null : `"${s.interface}" is not a valid interface name`);
  add('hostname', hostnameProblem(s.hostname));
  const dns = parseDns(s.dns);
  if (typeof dns === 'string') add('dns', dns);
  if (s.mode === 'dhcp') {
    for (const f of ['address', 'prefix', 'gateway'] as const) if (s[f] !== undefined) add(f, `${f} is set by DHCP; leave it empty in DHCP mode`);
    return errors;
  }
  if (s.address === undefined) { add('address', 'an address is required in static mode'); return errors; }
  const ap = addressProblem(s.address);
  if (ap) { add('address', ap); return errors; }
  const family = ipFamily(s.address) as Family;
  if (s.prefix === undefined) { add('prefix', 'a prefix length is required in static mode'); return errors; }
  const p = parsePrefixLength(String(s.prefix), family);
  if (typeof p === 'string') { add('prefix', p); return errors; }
  add('address', subnetProblem(s.address, p));
  if (s.gateway !== undefined) add('gateway', gatewayProblem(s.gateway, s.address, p));
  return errors;
}
