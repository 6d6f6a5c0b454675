/**
 * The lbnet addon (src/net/native/lbnet.c), typed. Built from source by
 * `npm run build` (node-gyp against the installed Node headers, no downloads).
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export interface Received {
  length: number;
  truncated: boolean;
  /** Sender address bytes (4 or 16; the socket path for AF_UNIX), null when unknown. */
  source: Buffer | null;
  /** Arrival interface (IP_PKTINFO / IPV6_PKTINFO), 0 when not requested. */
  ifindex: number;
  /** Destination address of the packet (IP_PKTINFO / IPV6_PKTINFO). */
  destination: Buffer | null;
  /** IPv6 hop limit (IPV6_RECVHOPLIMIT), -1 when not requested. */
  hopLimit: number;
}

export type WatchHandle = { readonly __watch: unique symbol };

export interface LbNet {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, sockaddr: Buffer): void;
  setsockopt(fd: number, level: number, name: number, value: number | Buffer): void;
  sendto(fd: number, data: Buffer, sockaddr: Buffer | null): number;
  recvmsg(fd: number, into: Buffer): Received | null;
  close(fd: number): void;
  ifIndex(name: string): number;
  setRealtime(priority: number, rttimeMicros: number): void;
  watch(fd: number, onReadable: (status: number) => void): WatchHandle;
  unwatch(handle: WatchHandle): void;
  constants: Record<
    | 'AF_UNIX' | 'AF_INET' | 'AF_INET6' | 'AF_PACKET' | 'SOCK_DGRAM' | 'SOCK_RAW' | 'SOL_SOCKET' | 'SO_BINDTODEVICE' | 'SO_RCVBUF'
    | 'IPPROTO_IP' | 'IPPROTO_IPV6' | 'IP_TOS' | 'IP_TTL' | 'IP_PKTINFO' | 'IP_MTU_DISCOVER' | 'IP_PMTUDISC_DONT' | 'IP_MULTICAST_IF' | 'IP_MULTICAST_TTL' | 'IP_MULTICAST_LOOP'
    | 'IP_MULTICAST_ALL' | 'IP_ADD_MEMBERSHIP' | 'IP_DROP_MEMBERSHIP' | 'IPV6_UNICAST_HOPS' | 'IPV6_MULTICAST_IF' | 'IPV6_MULTICAST_HOPS'
    | 'IPV6_MULTICAST_LOOP' | 'IPV6_MULTICAST_ALL' | 'IPV6_ADD_MEMBERSHIP' | 'IPV6_DROP_MEMBERSHIP' | 'IPV6_RECVPKTINFO'
    | 'IPV6_RECVHOPLIMIT' | 'IPV6_TCLASS' | 'ETH_P_ARP' | 'ETH_P_IPV6',
    number>;
}

/** Errors thrown by the addon carry the errno name (EPERM, ENODEV, ...) as `code`. */
export interface ErrnoError extends Error { code: string; errno: number; syscall: string }

// dist/src/net/native.js → <repo>/src/net/native/build/Release/lbnet.node
const here = dirname(fileURLToPath(import.meta.url));
const addonPath = join(here, '..', '..', '..', 'src', 'net', 'native', 'build', 'Release', 'lbnet.node');

export const lbnet: LbNet = createRequire(import.meta.url)(addonPath) as LbNet;
export const C = lbnet.constants;
