/**
 * Gratuitous ARP (IPv4) and unsolicited neighbour advertisements (IPv6) that
 * tell the segment a VIP's new MAC address after a takeover. Sent over an
 * AF_PACKET datagram socket: the kernel never sends these for an address add.
 */
import { readFileSync } from 'node:fs';
import { C, lbnet } from './native.js';
import { sockaddrLl } from './sockaddr.js';
import { ipToBytes } from '../util/ip.js';

const BROADCAST = Buffer.from('ffffffffffff', 'hex');
/** RFC 2464: ff02::1 maps to 33:33:00:00:00:01. */
const ALL_NODES_MAC = Buffer.from('333300000001', 'hex');
const ALL_NODES = ipToBytes('ff02::1');

/** An ARP request announcing `ip` at `mac` (sender = target = the VIP), as keepalived and arping -U send it. */
export function gratuitousArp(mac: Buffer, ip: Buffer): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16BE(1, 0); // Ethernet
  b.writeUInt16BE(0x0800, 2); // IPv4
  b[4] = 6; b[5] = 4;
  b.writeUInt16BE(1, 6); // request
  mac.copy(b, 8); ip.copy(b, 14);
  ip.copy(b, 24); // target MAC stays zero
  return b;
}

/** ICMPv6 checksum over the IPv6 pseudo-header (RFC 8200 8.1). */
export function ipv6PseudoChecksum(src: Buffer, dst: Buffer, nextHeader: number, body: Buffer): number {
  const pseudo = Buffer.alloc(40);
  src.copy(pseudo, 0); dst.copy(pseudo, 16);
  pseudo.writeUInt32BE(body.length, 32);
  pseudo[39] = nextHeader;
  return internetChecksum(Buffer.concat([pseudo, body]));
}

/** RFC 1071 one's-complement sum. */
export function internetChecksum(data: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < data.length; i += 2) sum += data.readUInt16BE(i);
  if (data.length & 1) sum += data[data.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An IPv6 packet: unsolicited NA for `target` from itself to all nodes, Override set (RFC 4861 7.2.6). */
export function unsolicitedNa(mac: Buffer, target: Buffer, router: boolean): Buffer {
  const icmp = Buffer.alloc(32);
  icmp[0] = 136; // Neighbor Advertisement
  icmp[4] = (router ? 0x80 : 0) | 0x20; // R, O
  target.copy(icmp, 8);
  icmp[24] = 2; icmp[25] = 1; // target link-layer address option, 8 bytes
  mac.copy(icmp, 26);
  icmp.writeUInt16BE(ipv6PseudoChecksum(target, ALL_NODES, 58, icmp), 2);
  const ip = Buffer.alloc(40);
  ip.writeUInt32BE(0x60000000, 0);
  ip.writeUInt16BE(icmp.length, 4);
  ip[6] = 58; ip[7] = 255;
  target.copy(ip, 8); ALL_NODES.copy(ip, 24);
  return Buffer.concat([ip, icmp]);
}

/** Whether the interface forwards IPv6 (then NAs carry the Router flag, as keepalived sends them). */
function forwardsIpv6(ifname: string): boolean {
  try { return readFileSync(`/proc/sys/net/ipv6/conf/${ifname}/forwarding`, 'utf8').trim() === '1'; } catch { return false; }
}

/** Sends announcements on one interface; open per burst, so a renamed or re-created link is picked up. */
export class Announcer {
  private readonly fd: number;
  private readonly ifindex: number;

  constructor(readonly ifname: string, private readonly mac: Buffer) {
    this.ifindex = lbnet.ifIndex(ifname);
    // Protocol 0: this socket sends only, it receives nothing.
    this.fd = lbnet.socket(C.AF_PACKET, C.SOCK_DGRAM, 0);
  }

  announce(address: string): void {
    const ip = ipToBytes(address);
    if (ip.length === 4) lbnet.sendto(this.fd, gratuitousArp(this.mac, ip), sockaddrLl(this.ifindex, C.ETH_P_ARP, BROADCAST));
    else lbnet.sendto(this.fd, unsolicitedNa(this.mac, ip, forwardsIpv6(this.ifname)), sockaddrLl(this.ifindex, C.ETH_P_IPV6, ALL_NODES_MAC));
  }

  close(): void {
    lbnet.close(this.fd);
  }
}
