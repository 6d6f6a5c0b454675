/**
 * The kernel's view of links and addresses, kept current from rtnetlink events
 * (a full re-read after lost events). The engine asks it which links are up
 * and which address an instance sends from; it emits 'change' after each event.
 */
import { EventEmitter } from 'node:events';
import type { AddrInfo, LinkInfo, Rtnl } from '../net/rtnl.js';
import { isLinkLocal6, type Family } from '../util/ip.js';

export interface NetStateEvents { change: [what: 'link' | 'addr', ifname: string] }

export class NetState extends EventEmitter<NetStateEvents> {
  private links = new Map<number, LinkInfo>();
  private addrs: AddrInfo[] = [];

  constructor(private readonly rtnl: Rtnl, onError: (e: Error) => void) {
    super();
    rtnl.on('link', (l, removed) => {
      if (removed) this.links.delete(l.index); else this.links.set(l.index, l);
      if (removed) this.addrs = this.addrs.filter((a) => a.index !== l.index);
      this.emit('change', 'link', l.name);
    });
    rtnl.on('addr', (a, removed) => {
      this.addrs = this.addrs.filter((x) => !(x.index === a.index && x.address === a.address));
      if (!removed) this.addrs.push(a);
      this.emit('change', 'addr', this.links.get(a.index)?.name ?? '');
    });
    rtnl.on('resync', () => { void this.load().catch(onError); });
  }

  /** Subscribe, then read the full state (events that race the dump are re-applied by it). */
  async load(): Promise<void> {
    this.rtnl.subscribe();
    // One dump at a time: the netlink package reassembles a single multipart reply per socket.
    const links = await this.rtnl.links();
    const addrs = await this.rtnl.addresses();
    this.links = new Map(links.map((l) => [l.index, l]));
    this.addrs = addrs;
    for (const l of links) this.emit('change', 'link', l.name);
  }

  link(ifname: string): LinkInfo | undefined {
    for (const l of this.links.values()) if (l.name === ifname) return l;
    return undefined;
  }

  addresses(ifname: string, family?: Family): AddrInfo[] {
    const l = this.link(ifname);
    if (!l) return [];
    return this.addrs.filter((a) => a.index === l.index && (!family || a.family === family));
  }

  has(ifname: string, address: string): boolean {
    return this.addresses(ifname).some((a) => a.address === address);
  }

  /**
   * The address adverts go out from: IPv4, the interface's first primary
   * global address that is not a VIP; IPv6, its usable link-local address
   * (RFC 5798 5.1.2.1).
   */
  primaryAddress(ifname: string, family: Family, vips: Set<string>): string | null {
    const cands = this.addresses(ifname, family).filter((a) => !a.tentative && !vips.has(a.address));
    const pick = family === 4
      ? cands.find((a) => !a.secondary && a.scope === 0) ?? cands.find((a) => a.scope === 0)
      : cands.find((a) => isLinkLocal6(a.address));
    return pick?.address ?? null;
  }
}
