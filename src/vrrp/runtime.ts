/**
 * One configured instance wired to the world: its state machine (instance.ts),
 * the sockets it sends and receives on, its VIPs and its trackers. The engine
 * owns one per vrrp_instance and drives it from config, packets and events.
 */
import type { VrrpInstance as InstanceModel, Vip } from '../config/model.js';
import type { ReceivedAdvert, VrrpSender } from '../net/vrrp-socket.js';
import { isMulticast } from '../util/ip.js';
import type { Clock } from './clock.js';
import { VrrpInstance, type InstanceHost, type InstanceParams, type Transition } from './instance.js';
import type { NetState } from './netstate.js';
import { decodeAdvert, encodeAdvert } from './packet.js';
import type { VrrpInstanceStatus } from './status.js';
import { evaluate, type TrackedItem } from './trackers.js';
import type { Endpoint, Transport } from './transport.js';
import type { VipManager, VipOwner } from './vips.js';

export function paramsOf(m: InstanceModel): InstanceParams {
  return {
    name: m.name, version: m.version, vrid: m.virtual_router_id, basePriority: m.priority,
    advertIntCs: Math.round(m.advert_int * 100), nopreempt: m.nopreempt, preemptDelayMs: m.preempt_delay * 1000,
    initialState: m.state,
    password: m.authentication?.auth_type === 'PASS' ? m.authentication.auth_pass : undefined,
    addresses: m.virtual_ipaddress.filter((v) => v.family === m.family).map((v) => v.address),
    skipCheckAdvAddr: m.skip_check_adv_addr,
  };
}

/** Fields that make an instance a different virtual router: a change means stop the old one, start a new one. */
export function identityOf(m: InstanceModel): string {
  return `${m.interface}|${m.family}|${m.virtual_router_id}|${m.version}`;
}

/** The VIPs an instance holds as MASTER (excluded ones included: they are added, just not advertised). */
export function vipOwnerOf(m: InstanceModel): VipOwner {
  return { name: m.name, vips: [...m.virtual_ipaddress, ...m.virtual_ipaddress_excluded], garp: m.garp, owner: m.address_owner };
}

export const vipText = (v: Vip, dev: string) => `${v.address}/${v.prefix}${v.dev !== dev ? ` dev ${v.dev}` : ''}`;

/** What a runtime needs from the engine. */
export interface RuntimeContext {
  clock: Clock;
  net: NetState;
  transport: Transport;
  vips: VipManager;
  /** Verdicts of trackers other than interfaces (scripts, external). */
  trackerState(item: TrackedItem): boolean | null;
  transitioned(rt: InstanceRuntime, t: Transition): void;
}

export class InstanceRuntime implements InstanceHost {
  readonly inst: VrrpInstance;
  private source: string | null = null;
  private sender?: VrrpSender;
  private endpoint?: Endpoint;
  private endpointIfindex?: number;
  trackers: TrackedItem[] = [];

  constructor(public model: InstanceModel, private readonly ctx: RuntimeContext) {
    this.inst = new VrrpInstance(paramsOf(model), this);
    this.trackers = this.buildTrackers();
  }

  get clock(): Clock { return this.ctx.clock; }
  get name(): string { return this.model.name; }
  get owner(): VipOwner { return vipOwnerOf(this.model); }
  private get destinations(): string[] {
    return this.model.unicast_peer.length ? this.model.unicast_peer : [this.model.mcast_dst_ip];
  }

  // ------------------------------------------------------------ InstanceHost

  sourceAddress(): string | null { return this.source; }

  sendAdvert(priority: number): boolean {
    if (!this.sender || !this.source) return false;
    const p = this.inst.params;
    let ok = true;
    for (const dst of this.destinations) {
      try {
        this.sender.send(encodeAdvert({
          version: p.version, vrid: p.vrid, priority, intervalCs: p.advertIntCs, addresses: p.addresses,
          password: p.password, source: this.source, destination: dst,
        }), dst);
      } catch { ok = false; }
    }
    return ok;
  }

  takeOver(): void { void this.ctx.vips.take(this.owner); }
  release(): void { void this.ctx.vips.release(this.owner); }
  transitioned(t: Transition): void { this.ctx.transitioned(this, t); }

  // ------------------------------------------------------------ packets

  private onPacket(p: ReceivedAdvert): void {
    const inst = this.inst;
    if (p.ttl !== 255) { inst.countDrop('ttl'); return; }
    const unicast = this.model.unicast_peer.length > 0;
    if (unicast ? isMulticast(p.destination) : p.destination !== this.model.mcast_dst_ip) { inst.countDrop('not_ours'); return; }
    const d = decodeAdvert(p.payload, this.model.family, p.source, p.destination);
    if (!d.ok) { inst.countDrop(d.reason); return; }
    inst.receive(d.advert, p.source);
  }

  // ------------------------------------------------------------ wiring

  private buildTrackers(): TrackedItem[] {
    const m = this.model;
    const items: TrackedItem[] = [];
    if (!m.dont_track_primary && !m.track_interface.some((t) => t.interface === m.interface)) {
      items.push({ key: `interface:${m.interface}`, kind: 'interface', weight: 0, ok: null });
    }
    for (const t of m.track_interface) items.push({ key: `interface:${t.interface}`, kind: 'interface', weight: t.weight, ok: null });
    for (const t of m.track_script) items.push({ key: `script:${t.script}`, kind: 'script', weight: t.weight, ok: null });
    for (const t of m.track_proxy) items.push({ key: `proxy:${t.frontend}`, kind: 'external', weight: t.weight, ok: null });
    return items;
  }

  /** Re-read every tracker and apply the verdict: effective priority and tracker faults. */
  evaluate(): void {
    for (const t of this.trackers) {
      t.ok = t.kind === 'interface' ? this.ctx.net.link(t.key.slice('interface:'.length))?.up ?? false : this.ctx.trackerState(t);
    }
    const r = evaluate(this.model.priority, this.trackers);
    this.inst.setEffectivePriority(r.priority);
    for (const t of this.trackers) this.inst.setFault(t.key, r.faults.get(t.key) ?? null);
  }

  /**
   * Make sockets and source address match the config and the interface as it
   * is now. Problems become the 'transport' fault rather than exceptions.
   */
  connect(): void {
    const m = this.model;
    const link = this.ctx.net.link(m.interface);
    if (!link) { this.disconnect(); this.inst.setFault('transport', `interface ${m.interface} does not exist`); return; }
    if (this.endpointIfindex !== undefined && this.endpointIfindex !== link.index) this.disconnect();

    const vipSet = new Set([...m.virtual_ipaddress, ...m.virtual_ipaddress_excluded].map((v) => v.address));
    const configured = m.unicast_peer.length ? m.unicast_src_ip : m.mcast_src_ip;
    let source: string | null;
    if (configured) {
      source = this.ctx.net.has(m.interface, configured) ? configured : null;
      this.inst.setFault('address', source ? null : `configured source ${configured} is not an address of ${m.interface}`);
    } else {
      source = this.ctx.net.primaryAddress(m.interface, m.family, vipSet);
      this.inst.setFault('address', source ? null : m.family === 6 ? `no IPv6 link-local address on ${m.interface}` : `no IPv4 address on ${m.interface}`);
    }
    try {
      if (source !== this.source || !this.sender) {
        if (this.sender) this.ctx.transport.releaseSender(this.sender);
        this.sender = undefined;
        this.source = source;
        if (source) this.sender = this.ctx.transport.acquireSender(m.interface, m.family, source);
      }
      const group = m.unicast_peer.length ? null : m.mcast_dst_ip;
      if (!this.endpoint || this.endpoint.group !== group) {
        if (this.endpoint) this.ctx.transport.unregister(this.endpoint);
        this.endpoint = undefined;
        const ep: Endpoint = { ifname: m.interface, family: m.family, vrid: m.virtual_router_id, group, onPacket: (p) => this.onPacket(p) };
        this.ctx.transport.register(ep);
        this.endpoint = ep;
        this.endpointIfindex = link.index;
      }
      this.inst.setFault('transport', null);
    } catch (e) {
      this.inst.setFault('transport', `sockets on ${m.interface}: ${(e as Error).message}`);
    }
  }

  /** Forget sockets (the interface went away); connect() opens them again. */
  disconnect(): void {
    if (this.endpoint) this.ctx.transport.unregister(this.endpoint);
    if (this.sender) this.ctx.transport.releaseSender(this.sender);
    this.endpoint = undefined;
    this.sender = undefined;
    this.endpointIfindex = undefined;
    this.source = null;
  }

  start(): void {
    this.connect();
    this.evaluate();
    this.inst.start();
  }

  /** Apply a changed config of the same virtual router in place. */
  update(next: InstanceModel): void {
    const prev = this.model;
    const before = new Map(this.trackers.map((t) => [t.key, t]));
    this.model = next;
    this.trackers = this.buildTrackers();
    for (const t of this.trackers) if (before.has(t.key)) t.ok = before.get(t.key)!.ok;
    for (const k of before.keys()) if (!this.trackers.some((t) => t.key === k)) this.inst.setFault(k, null);
    this.inst.update(paramsOf(next));
    this.connect();
    this.evaluate();
    if (this.inst.state === 'MASTER') {
      const key = (v: Vip) => `${v.address}%${v.dev}`;
      const all = (m: InstanceModel) => [...m.virtual_ipaddress, ...m.virtual_ipaddress_excluded];
      const old = new Set(all(prev).map(key));
      const now = new Set(all(next).map(key));
      const gone = all(prev).filter((v) => !now.has(key(v)));
      const added = all(next).filter((v) => !old.has(key(v)));
      if (gone.length) void this.ctx.vips.release(this.owner, gone);
      if (added.length) void this.ctx.vips.take(this.owner, added);
    }
  }

  stop(reason: string): void {
    this.inst.stop(reason);
    this.disconnect();
  }

  status(): VrrpInstanceStatus {
    const m = this.model;
    const i = this.inst;
    return {
      name: m.name, interface: m.interface, family: m.family, vrid: m.virtual_router_id, version: m.version,
      state: i.state, basePriority: m.priority, effectivePriority: i.effectivePriority,
      advertInt: m.advert_int, masterAdvertInt: i.masterAdvertIntCs / 100, masterDownInterval: Math.round(i.masterDownMs()) / 1000,
      masterAddress: i.masterAddress, sourceAddress: this.source, destinations: this.destinations,
      vips: this.owner.vips.map((v) => vipText(v, m.interface)),
      vipsHeld: this.ctx.vips.held(m.name).map((v) => vipText(v, m.interface)),
      syncGroup: m.sync_group ?? null,
      faults: i.faultReasons(),
      lastTransition: i.lastTransition,
      counters: { ...i.counters, dropped: { ...i.counters.dropped } },
      jitter: i.jitter.stats(),
      trackers: this.trackers.map((t) => ({ ...t })),
    };
  }
}
