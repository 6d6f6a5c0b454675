/**
 * VRRP transport: raw IP sockets for protocol 112 (IPv4 and IPv6).
 *
 * One receiver per (interface, family): bound to the device, joined to the
 * groups the instances use, reporting each packet's source, destination, TTL /
 * hop limit and arrival interface. One sender per (interface, family, source
 * address): bound to the source, TTL/hop limit 255 (RFC 5798 5.1.1.3; keepalived
 * drops anything else), TOS/traffic class 0xc0 and no DF bit like keepalived,
 * multicast loop off.
 */
import { C, lbnet, type WatchHandle } from './native.js';
import { ipMreqn, ipv6Mreq, sockaddrIp } from './sockaddr.js';
import { bytesToIp, ipToBytes, isLinkLocal6, isMulticast, type Family } from '../util/ip.js';

export const IPPROTO_VRRP = 112;
/** Packets read per readiness callback, so a flood cannot hold the event loop. */
const MAX_READS_PER_WAKEUP = 64;

export interface ReceivedAdvert {
  /** The VRRP message (after the IPv4 header for IPv4). */
  payload: Buffer;
  source: string;
  destination: string;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl: number;
  ifindex: number;
}

function bindToDevice(fd: number, ifname: string): void {
  lbnet.setsockopt(fd, C.SOL_SOCKET, C.SO_BINDTODEVICE, Buffer.from(ifname));
}

export class VrrpReceiver {
  private readonly fd: number;
  private readonly watch: WatchHandle;
  private readonly buf = Buffer.alloc(65536);
  private readonly groups = new Map<string, number>();
  private closed = false;
  readonly ifindex: number;

  /** `onMalformed` gets packets too short to carry an IP header (never expected from the kernel). */
  constructor(readonly ifname: string, readonly family: Family, private readonly onPacket: (p: ReceivedAdvert) => void,
    private readonly onMalformed: (why: string) => void) {
    this.ifindex = lbnet.ifIndex(ifname);
    this.fd = lbnet.socket(family === 4 ? C.AF_INET : C.AF_INET6, C.SOCK_RAW, IPPROTO_VRRP);
    try {
      bindToDevice(this.fd, ifname);
      if (family === 4) {
        lbnet.setsockopt(this.fd, C.IPPROTO_IP, C.IP_PKTINFO, 1);
        lbnet.setsockopt(this.fd, C.IPPROTO_IP, C.IP_MULTICAST_ALL, 0);
      } else {
        lbnet.setsockopt(this.fd, C.IPPROTO_IPV6, C.IPV6_RECVPKTINFO, 1);
        lbnet.setsockopt(this.fd, C.IPPROTO_IPV6, C.IPV6_RECVHOPLIMIT, 1);
        lbnet.setsockopt(this.fd, C.IPPROTO_IPV6, C.IPV6_MULTICAST_ALL, 0);
      }
      this.watch = lbnet.watch(this.fd, () => this.drain());
    } catch (e) {
      lbnet.close(this.fd);
      throw e;
    }
  }

  /** Join a multicast group (reference counted: several instances may share one). */
  join(group: string): void {
    const n = this.groups.get(group) ?? 0;
    if (n === 0) this.membership(group, true);
    this.groups.set(group, n + 1);
  }

  leave(group: string): void {
    const n = this.groups.get(group) ?? 0;
    if (n <= 1) {
      this.groups.delete(group);
      if (n === 1) try { this.membership(group, false); } catch { /* interface gone: membership went with it */ }
    } else this.groups.set(group, n - 1);
  }

  private membership(group: string, join: boolean): void {
    const g = ipToBytes(group);
    if (this.family === 4) lbnet.setsockopt(this.fd, C.IPPROTO_IP, join ? C.IP_ADD_MEMBERSHIP : C.IP_DROP_MEMBERSHIP, ipMreqn(g, this.ifindex));
    else lbnet.setsockopt(this.fd, C.IPPROTO_IPV6, join ? C.IPV6_ADD_MEMBERSHIP : C.IPV6_DROP_MEMBERSHIP, ipv6Mreq(g, this.ifindex));
  }

  private drain(): void {
    // A handler may close the receiver (instance removed) while packets are still queued.
    for (let i = 0; i < MAX_READS_PER_WAKEUP && !this.closed; i++) {
      const r = lbnet.recvmsg(this.fd, this.buf);
      if (!r) return;
      const data = this.buf.subarray(0, r.length);
      if (this.family === 4) {
        const ihl = (data[0]! & 0x0f) * 4;
        if (data.length < 20 || ihl < 20 || data.length < ihl) { this.onMalformed('short IPv4 header'); continue; }
        this.onPacket({
          payload: Buffer.from(data.subarray(ihl, Math.min(data.length, data.readUInt16BE(2)))),
          source: bytesToIp(data.subarray(12, 16)), destination: bytesToIp(data.subarray(16, 20)),
          ttl: data[8]!, ifindex: r.ifindex,
        });
      } else {
        if (!r.source || !r.destination) { this.onMalformed('no IPv6 packet info'); continue; }
        this.onPacket({
          payload: Buffer.from(data), source: bytesToIp(r.source), destination: bytesToIp(r.destination),
          ttl: r.hopLimit, ifindex: r.ifindex,
        });
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    lbnet.unwatch(this.watch);
    lbnet.close(this.fd);
  }
}

export class VrrpSender {
  private readonly fd: number;
  private readonly ifindex: number;

  constructor(readonly ifname: string, readonly family: Family, readonly source: string) {
    this.ifindex = lbnet.ifIndex(ifname);
    this.fd = lbnet.socket(family === 4 ? C.AF_INET : C.AF_INET6, C.SOCK_RAW, IPPROTO_VRRP);
    try {
      bindToDevice(this.fd, ifname);
      // Sending only: what the kernel queues for the bound address is never read, so keep that queue tiny.
      lbnet.setsockopt(this.fd, C.SOL_SOCKET, C.SO_RCVBUF, 0);
      const src = ipToBytes(source);
      lbnet.bind(this.fd, sockaddrIp(src, family === 6 && isLinkLocal6(source) ? this.ifindex : 0));
      if (family === 4) {
        lbnet.setsockopt(this.fd, C.IPPROTO_IP, C.IP_TTL, 255);
        lbnet.setsockopt(this.fd, C.IPPROTO_IP, C.IP_MULTICAST_TTL, 255);
        lbnet.setsockopt(this.fd, C.IPPROTO_IP, C.IP_MULTICAST_LOOP, 0);
        lbnet.setsockopt(this.fd, C.IPPROTO_IP, C.IP_TOS, 0xc0);
        // No DF bit, like keepalived's own IPv4 header (adverts are far below any MTU).
        lbnet.setsockopt(this.fd, C.IPPROTO_IP, C.IP_MTU_DISCOVER, C.IP_PMTUDISC_DONT);
        lbnet.setsockopt(this.fd, C.IPPROTO_IP, C.IP_MULTICAST_IF, ipMreqn(src, this.ifindex));
      } else {
        lbnet.setsockopt(this.fd, C.IPPROTO_IPV6, C.IPV6_UNICAST_HOPS, 255);
        lbnet.setsockopt(this.fd, C.IPPROTO_IPV6, C.IPV6_MULTICAST_HOPS, 255);
        lbnet.setsockopt(this.fd, C.IPPROTO_IPV6, C.IPV6_MULTICAST_LOOP, 0);
        lbnet.setsockopt(this.fd, C.IPPROTO_IPV6, C.IPV6_TCLASS, 0xc0);
        lbnet.setsockopt(this.fd, C.IPPROTO_IPV6, C.IPV6_MULTICAST_IF, this.ifindex);
      }
    } catch (e) {
      lbnet.close(this.fd);
      throw e;
    }
  }

  send(payload: Buffer, destination: string): void {
    const dst = ipToBytes(destination);
    const scope = this.family === 6 && (isLinkLocal6(destination) || isMulticast(destination)) ? this.ifindex : 0;
    lbnet.sendto(this.fd, payload, sockaddrIp(dst, scope));
  }

  close(): void {
    lbnet.close(this.fd);
  }
}
