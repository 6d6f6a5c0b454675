/** Socket address and option structs for the lbnet addon, laid out as Linux expects them. */
import { endianness } from 'node:os';
import { C } from './native.js';

const LE = endianness() === 'LE';
function u16host(b: Buffer, v: number, off: number): void { if (LE) b.writeUInt16LE(v, off); else b.writeUInt16BE(v, off); }
function u32host(b: Buffer, v: number, off: number): void { if (LE) b.writeUInt32LE(v, off); else b.writeUInt32BE(v, off); }

/** struct sockaddr_in (port 0) or sockaddr_in6 (with scope for link-local addresses). */
export function sockaddrIp(addr: Buffer, scopeId = 0): Buffer {
  if (addr.length === 4) {
    const b = Buffer.alloc(16);
    u16host(b, C.AF_INET, 0);
    addr.copy(b, 4);
    return b;
  }
  const b = Buffer.alloc(28);
  u16host(b, C.AF_INET6, 0);
  addr.copy(b, 8);
  u32host(b, scopeId, 24);
  return b;
}

/** struct sockaddr_ll for sending a frame of `ethertype` to `mac` on `ifindex`. */
export function sockaddrLl(ifindex: number, ethertype: number, mac: Buffer): Buffer {
  const b = Buffer.alloc(20);
  u16host(b, C.AF_PACKET, 0);
  b.writeUInt16BE(ethertype, 2);
  if (LE) b.writeInt32LE(ifindex, 4); else b.writeInt32BE(ifindex, 4);
  b[11] = mac.length;
  mac.copy(b, 12);
  return b;
}

/** struct sockaddr_un; a leading '@' names an abstract socket (as systemd writes NOTIFY_SOCKET). */
export function sockaddrUn(path: string): Buffer {
  const p = Buffer.from(path.startsWith('@') ? `\0${path.slice(1)}` : path);
  if (p.length > 107) throw new Error(`unix socket path too long: ${path}`);
  const abstract = p[0] === 0;
  const b = Buffer.alloc(2 + p.length + (abstract ? 0 : 1));
  u16host(b, C.AF_UNIX, 0);
  p.copy(b, 2);
  return b;
}

/** struct ip_mreqn: join `group` on `ifindex`. */
export function ipMreqn(group: Buffer, ifindex: number): Buffer {
  const b = Buffer.alloc(12);
  group.copy(b, 0);
  u32host(b, ifindex, 8);
  return b;
}

/** struct ipv6_mreq. */
export function ipv6Mreq(group: Buffer, ifindex: number): Buffer {
  const b = Buffer.alloc(20);
  group.copy(b, 0);
  u32host(b, ifindex, 16);
  return b;
}
