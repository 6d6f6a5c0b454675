/**
 * Shared VRRP sockets. Instances on one interface and family share a receiver
 * (demultiplexed by VRID); instances sending from one address share a sender.
 * Packets for no configured VRID are counted per socket.
 */
import { VrrpReceiver, VrrpSender, type ReceivedAdvert } from '../net/vrrp-socket.js';
import type { Family } from '../util/ip.js';
import type { DropReason } from './packet.js';

export interface Endpoint {
  ifname: string;
  family: Family;
  vrid: number;
  /** Multicast group to join; null for unicast instances. */
  group: string | null;
  onPacket(p: ReceivedAdvert): void;
}

interface ReceiverEntry { rx: VrrpReceiver; byVrid: Map<number, Endpoint>; dropped: Partial<Record<DropReason, number>> }

export interface SocketDrops { interface: string; family: Family; dropped: Partial<Record<DropReason, number>> }

export class Transport {
  private receivers = new Map<string, ReceiverEntry>();
  private senders = new Map<string, { tx: VrrpSender; users: number }>();

  private rxKey(ifname: string, family: Family): string { return `${ifname}/${family}`; }

  /** Start receiving for `ep` (opens the interface's socket on first use). Throws on socket errors. */
  register(ep: Endpoint): void {
    const k = this.rxKey(ep.ifname, ep.family);
    let e = this.receivers.get(k);
    if (!e) {
      const byVrid = new Map<number, Endpoint>();
      const dropped: Partial<Record<DropReason, number>> = {};
      const count = (r: DropReason) => { dropped[r] = (dropped[r] ?? 0) + 1; };
      const rx = new VrrpReceiver(ep.ifname, ep.family, (p) => {
        if (p.payload.length < 8) { count('length'); return; }
        const target = byVrid.get(p.payload[1]!);
        if (target) target.onPacket(p); else count('vrid');
      }, () => count('length'));
      e = { rx, byVrid, dropped };
      this.receivers.set(k, e);
    }
    e.byVrid.set(ep.vrid, ep);
    if (ep.group) e.rx.join(ep.group);
  }

  unregister(ep: Endpoint): void {
    const k = this.rxKey(ep.ifname, ep.family);
    const e = this.receivers.get(k);
    if (!e || e.byVrid.get(ep.vrid) !== ep) return;
    e.byVrid.delete(ep.vrid);
    if (ep.group) e.rx.leave(ep.group);
    if (e.byVrid.size === 0) { e.rx.close(); this.receivers.delete(k); }
  }

  /** The receiver's interface index (to notice a re-created interface). */
  receiverIfindex(ifname: string, family: Family): number | undefined {
    return this.receivers.get(this.rxKey(ifname, family))?.rx.ifindex;
  }

  /** Close and forget every socket of an interface that disappeared or was re-created. */
  dropInterface(ifname: string): void {
    for (const [k, e] of this.receivers) {
      if (e.rx.ifname !== ifname) continue;
      e.rx.close();
      this.receivers.delete(k);
    }
    for (const [k, s] of this.senders) if (s.tx.ifname === ifname) { s.tx.close(); this.senders.delete(k); }
  }

  acquireSender(ifname: string, family: Family, source: string): VrrpSender {
    const k = `${ifname}/${source}`;
    let s = this.senders.get(k);
    if (!s) { s = { tx: new VrrpSender(ifname, family, source), users: 0 }; this.senders.set(k, s); }
    s.users++;
    return s.tx;
  }

  releaseSender(tx: VrrpSender): void {
    const k = `${tx.ifname}/${tx.source}`;
    const s = this.senders.get(k);
    if (!s || s.tx !== tx) return;
    if (--s.users <= 0) { s.tx.close(); this.senders.delete(k); }
  }

  socketDrops(): SocketDrops[] {
    return [...this.receivers.values()].map((e) => ({ interface: e.rx.ifname, family: e.rx.family, dropped: { ...e.dropped } }));
  }

  close(): void {
    for (const e of this.receivers.values()) e.rx.close();
    for (const s of this.senders.values()) s.tx.close();
    this.receivers.clear();
    this.senders.clear();
  }
}
