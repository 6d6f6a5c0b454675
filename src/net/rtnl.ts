/**
 * rtnetlink for VRRP and the management network: interface and address
 * listing, address add/remove, link up, default routes, and link and address
 * events (no polling). Built on npm `netlink`, around its traps:
 * events are read from the underlying socket so NEWADDR and DELADDR stay
 * apart; ENOBUFS (events lost) triggers a full resync instead of a crash; the
 * event socket does not hold the process open (the owner decides when to close).
 */
import { EventEmitter } from 'node:events';
import { createRtNetlink, rt, type RtNetlinkSocket, type NetlinkMessage } from 'netlink';
import { bytesToIp, ipToBytes, type Family } from '../util/ip.js';

export interface LinkInfo {
  index: number;
  name: string;
  /** Administratively up and carrier present (IFF_UP and IFF_RUNNING). */
  up: boolean;
  /** Administratively up (IFF_UP), carrier or not. */
  adminUp: boolean;
  loopback: boolean;
  mac: Buffer | null;
}

/** A route of the main table (what the management network setup reads and replaces). */
export interface RouteInfo {
  family: Family;
  /** Destination network, null for a default route. */
  dst: string | null;
  dstLen: number;
  gateway: string | null;
  /** Output interface index, null when the route has none (multipath). */
  index: number | null;
  metric: number;
  table: number;
}

const MAIN_TABLE = 254;

export interface AddrInfo {
  index: number;
  family: Family;
  address: string;
  prefix: number;
  label?: string;
  secondary: boolean;
  /** IPv6 duplicate address detection still running or failed: not usable as a source yet. */
  tentative: boolean;
  /** RT_SCOPE_* (0 global, 253 link, 254 host). */
  scope: number;
}

export interface AddressSpec {
  address: string;
  prefix: number;
  family: Family;
  index: number;
  label?: string;
  broadcast?: string;
  scope?: 'global' | 'site' | 'link' | 'host';
}

const SCOPES = { global: 0, site: 200, link: 253, host: 254 } as const;
const AF = { 4: 2, 6: 10 } as const;

export interface RtnlEvents {
  link: [link: LinkInfo, removed: boolean];
  addr: [addr: AddrInfo, removed: boolean];
  /** Events were lost (ENOBUFS): listeners must re-read the state. */
  resync: [];
  error: [err: Error];
}

function toLink(m: rt.LinkMessage): LinkInfo {
  const f = m.data.flags ?? {};
  return {
    index: m.data.index ?? 0, name: m.attrs.ifname ?? '', up: !!f.up && !!f.running, adminUp: !!f.up, loopback: !!f.loopback,
    mac: m.attrs.address ?? null,
  };
}

function toAddr(m: rt.AddressMessage): AddrInfo | null {
  const raw = m.attrs.local ?? m.attrs.address;
  if (!raw || (raw.length !== 4 && raw.length !== 16)) return null;
  const flags = m.attrs.flags ?? m.data.flags ?? {};
  return {
    index: m.data.index ?? 0, family: raw.length === 4 ? 4 : 6, address: bytesToIp(raw), prefix: m.data.prefixlen ?? 0,
    label: m.attrs.label, secondary: !!flags.secondary, tentative: !!flags.tentative || !!flags.dadfailed, scope: m.data.scope ?? 0,
  };
}

function toRoute(m: rt.RouteMessage): RouteInfo | null {
  const family = m.data.family === AF[4] ? 4 : m.data.family === AF[6] ? 6 : 0;
  if (!family) return null;
  return {
    family, dst: m.attrs.dst ? bytesToIp(m.attrs.dst) : null, dstLen: m.data.dstLen ?? 0,
    gateway: m.attrs.gateway ? bytesToIp(m.attrs.gateway) : null, index: m.attrs.oif ?? null,
    metric: m.attrs.priority ?? 0, table: m.attrs.table ?? m.data.table ?? 0,
  };
}

/** "Request rejected: EEXIST" → "EEXIST". */
function errnoOf(e: unknown): string {
  return /Request rejected: (\w+)/.exec((e as Error).message)?.[1] ?? '';
}

export class Rtnl extends EventEmitter<RtnlEvents> {
  private readonly req: RtNetlinkSocket;
  private events?: RtNetlinkSocket;
  /** The dump in flight: the kernel interleaves concurrent dumps on one socket, which `netlink` cannot split. */
  private dumping: Promise<unknown> = Promise.resolve();

  constructor() {
    super();
    this.req = createRtNetlink();
    // A master taking over hundreds of VIPs sends all its requests at once; the acks must not
    // overflow the default receive buffer (the `netlink` package aborts the process when they do).
    this.req.socket.setRecvBufferSize(1 << 22);
    this.req.socket.on('error', (e) => this.emit('error', e));
  }

  /** Start delivering 'link' and 'addr' events. */
  subscribe(): void {
    if (this.events) return;
    const ev = createRtNetlink();
    // A burst of address changes must not overflow the queue (events would be lost).
    ev.socket.setRecvBufferSize(1 << 20);
    for (const g of ['LINK', 'IPV4_IFADDR', 'IPV6_IFADDR'] as const) ev.addMembership(g);
    ev.socket.on('error', (e) => {
      if ((e as { code?: string }).code === 'ENOBUFS') this.emit('resync');
      else this.emit('error', e);
    });
    ev.socket.on('message', (msgs: NetlinkMessage[]) => {
      for (const m of msgs) this.dispatch(m);
    });
    this.events = ev;
  }

  private dispatch(m: NetlinkMessage): void {
    try {
      switch (m.type) {
        case rt.MessageType.NEWLINK: case rt.MessageType.DELLINK:
          this.emit('link', toLink(rt.parseLinkMessage(m.data)), m.type === rt.MessageType.DELLINK);
          break;
        case rt.MessageType.NEWADDR: case rt.MessageType.DELADDR: {
          const a = toAddr(rt.parseAddressMessage(m.data));
          if (a) this.emit('addr', a, m.type === rt.MessageType.DELADDR);
          break;
        }
        default:
      }
    } catch (e) {
      this.emit('error', new Error(`undecodable rtnetlink event (type ${m.type}): ${(e as Error).message}`));
    }
  }

  /** One dump at a time on the request socket. */
  private dump<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.dumping.then(fn);
    this.dumping = p.catch(() => undefined);
    return p;
  }

  async links(): Promise<LinkInfo[]> {
    return (await this.dump(() => this.req.getLinks())).map(toLink);
  }

  async addresses(): Promise<AddrInfo[]> {
    return (await this.dump(() => this.req.getAddresses())).map(toAddr).filter((a): a is AddrInfo => a !== null);
  }

  private addrMessage(a: AddressSpec): [rt.Address, rt.AddressAttrs] {
    const bytes = ipToBytes(a.address);
    const attrs: rt.AddressAttrs = { local: bytes, address: bytes };
    if (a.family === 6) delete attrs.local;
    if (a.label) attrs.label = a.label;
    if (a.broadcast) attrs.broadcast = ipToBytes(a.broadcast);
    // IPv6 VIPs skip DAD: the address is ours by election, and tentative addresses cannot serve traffic.
    if (a.family === 6) attrs.flags = { nodad: true };
    return [{ family: AF[a.family], prefixlen: a.prefix, index: a.index, scope: a.scope ? SCOPES[a.scope] : 0 }, attrs];
  }

  /** Add an address; 'exists' when it is already there (not an error for an idempotent reconciler). */
  async addAddress(a: AddressSpec): Promise<'added' | 'exists'> {
    const [data, attrs] = this.addrMessage(a);
    try {
      await this.req.newAddress(data, attrs, { flags: 0x400 | 0x200 /* CREATE | EXCL */ });
      return 'added';
    } catch (e) {
      if (errnoOf(e) === 'EEXIST') return 'exists';
      throw new Error(`adding ${a.address}/${a.prefix}: ${errnoOf(e) || (e as Error).message}`);
    }
  }

  async delAddress(a: AddressSpec): Promise<'removed' | 'absent'> {
    const [data, attrs] = this.addrMessage(a);
    try {
      await this.req.delAddress(data, attrs);
      return 'removed';
    } catch (e) {
      const code = errnoOf(e);
      if (code === 'EADDRNOTAVAIL' || code === 'ENODEV') return 'absent';
      throw new Error(`removing ${a.address}/${a.prefix}: ${code || (e as Error).message}`);
    }
  }

  /** Bring a link administratively up (IFF_UP), leaving its other flags alone. */
  async setLinkUp(index: number): Promise<void> {
    try {
      await this.req.setLink({ index, flags: { up: true }, change: { up: true } });
    } catch (e) {
      throw new Error(`setting link ${index} up: ${errnoOf(e) || (e as Error).message}`);
    }
  }

  /** Routes of the main table. */
  async routes(): Promise<RouteInfo[]> {
    return (await this.dump(() => this.req.getRoutes())).map(toRoute).filter((r): r is RouteInfo => r !== null && r.table === MAIN_TABLE);
  }

  private routeMessage(r: { family: Family; dst?: string | null; dstLen?: number; gateway?: string | null; index?: number | null; metric?: number }): [rt.Route, rt.RouteAttrs] {
    const attrs: rt.RouteAttrs = {};
    if (r.dst) attrs.dst = ipToBytes(r.dst);
    if (r.gateway) attrs.gateway = ipToBytes(r.gateway);
    if (r.index) attrs.oif = r.index;
    if (r.metric) attrs.priority = r.metric;
    return [{ family: AF[r.family], dstLen: r.dst ? r.dstLen ?? 0 : 0, table: MAIN_TABLE, protocol: 'STATIC', scope: 'UNIVERSE', type: 'UNICAST' }, attrs];
  }

  /** Add or replace the default route (metric `metric`) of a family: via `gateway` on link `index`. */
  async replaceDefaultRoute(r: { family: Family; gateway: string; index: number; metric?: number }): Promise<void> {
    const [data, attrs] = this.routeMessage(r);
    try {
      await this.req.newRoute(data, attrs, { flags: 0x400 | 0x100 /* CREATE | REPLACE */ });
    } catch (e) {
      throw new Error(`setting the default route via ${r.gateway}: ${errnoOf(e) || (e as Error).message}`);
    }
  }

  async delRoute(r: RouteInfo): Promise<'removed' | 'absent'> {
    const [data, attrs] = this.routeMessage(r);
    try {
      await this.req.delRoute(data, attrs);
      return 'removed';
    } catch (e) {
      if (errnoOf(e) === 'ESRCH') return 'absent';
      throw new Error(`removing the route to ${r.dst ?? 'default'}: ${errnoOf(e) || (e as Error).message}`);
    }
  }

  close(): void {
    this.req.socket.close();
    this.events?.socket.close();
    this.events = undefined;
  }
}
