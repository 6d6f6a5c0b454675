/**
 * Virtual addresses: added over rtnetlink when an instance becomes MASTER,
 * announced (gratuitous ARP / unsolicited NA: a burst, a second burst after
 * garp_master_delay, then every garp_master_refresh), removed when it leaves.
 *
 * Operations of one instance run in order on a promise chain, so a quick
 * MASTER→BACKUP never removes before the add finished. What lbd holds is
 * recorded in STATE_DIR/vrrp-vips.json, so a restarted lbd (or the supervisor
 * after an engine crash) removes exactly the VIPs it left behind. The record is
 * written asynchronously and without fsync: VIPs do not survive a reboot, and
 * the VRRP loop must never wait on a disk.
 */
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GarpSettings, Vip } from '../config/model.js';
import { Announcer } from '../net/announce.js';
import type { AddressSpec, Rtnl } from '../net/rtnl.js';
import type { NetState } from './netstate.js';

export interface HeldVip { instance: string; address: string; prefix: number; dev: string }

export const VIP_STATE_FILE = 'vrrp-vips.json';

export function readHeldVips(stateDir: string): HeldVip[] {
  try {
    const v = JSON.parse(readFileSync(join(stateDir, VIP_STATE_FILE), 'utf8')) as unknown;
    return Array.isArray(v) ? v.filter((x): x is HeldVip => typeof x?.address === 'string' && typeof x?.dev === 'string') : [];
  } catch {
    return [];
  }
}

export interface VipOwner {
  name: string;
  vips: Vip[];
  garp: GarpSettings;
  /** Address owner: the VIPs are the interface's own addresses, never added or removed. */
  owner: boolean;
}

interface Holding {
  chain: Promise<void>;
  held: Vip[];
  timers: NodeJS.Timeout[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class VipManager {
  private holdings = new Map<string, Holding>();
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly rtnl: Rtnl, private readonly net: NetState, private readonly stateDir: string,
    private readonly onError: (instance: string, msg: string) => void, private readonly onChange: () => void) {}

  private holding(name: string): Holding {
    let h = this.holdings.get(name);
    if (!h) { h = { chain: Promise.resolve(), held: [], timers: [] }; this.holdings.set(name, h); }
    return h;
  }

  held(name: string): Vip[] { return this.holdings.get(name)?.held ?? []; }

  private spec(v: Vip): AddressSpec | null {
    const l = this.net.link(v.dev);
    if (!l) return null;
    return { address: v.address, prefix: v.prefix, family: v.family, index: l.index, label: v.label, broadcast: v.broadcast, scope: v.scope };
  }

  private enqueue(name: string, op: (h: Holding) => Promise<void>): Promise<void> {
    const h = this.holding(name);
    h.chain = h.chain.then(() => op(h)).catch((e: Error) => this.onError(name, e.message));
    return h.chain;
  }

  /** Add `vips` (all of them, or the new ones after a reload) and announce them. */
  take(o: VipOwner, vips: Vip[] = o.vips): Promise<void> {
    return this.enqueue(o.name, async (h) => {
      const adds: Promise<void>[] = [];
      for (const v of vips) {
        if (h.held.some((x) => x.address === v.address && x.dev === v.dev)) continue;
        const s = this.spec(v);
        if (!s) { this.onError(o.name, `cannot add ${v.address}: interface ${v.dev} does not exist`); continue; }
        adds.push(o.owner ? Promise.resolve().then(() => { h.held.push(v); }) : this.rtnl.addAddress(s).then(() => { h.held.push(v); }));
      }
      // The kernel applies an rtnetlink request inside sendmsg(): the VIPs exist once the requests
      // are sent, so announce now rather than after the acknowledgements come back.
      this.announce(o.name, vips, o.garp.master_repeat, o.garp);
      for (const r of await Promise.allSettled(adds)) if (r.status === 'rejected') this.onError(o.name, (r.reason as Error).message);
      this.persist();
      this.onChange();
      if (o.garp.master_delay > 0) h.timers.push(setTimeout(() => this.announce(o.name, o.vips, o.garp.master_repeat, o.garp), o.garp.master_delay * 1000));
      if (o.garp.master_refresh > 0) {
        h.timers.push(setInterval(() => this.announce(o.name, o.vips, o.garp.master_refresh_repeat, o.garp), o.garp.master_refresh * 1000));
      }
    });
  }

  /** Remove `vips` (all held ones by default) and stop announcing. */
  release(o: VipOwner, vips?: Vip[]): Promise<void> {
    return this.enqueue(o.name, async (h) => {
      const gone = vips ?? [...h.held];
      if (!vips) { for (const t of h.timers) clearTimeout(t); h.timers = []; }
      for (const v of gone) {
        const s = this.spec(v);
        if (s && !o.owner) await this.rtnl.delAddress(s);
        h.held = h.held.filter((x) => !(x.address === v.address && x.dev === v.dev));
      }
      this.persist();
      this.onChange();
    });
  }

  /** Send `repeat` announcements per VIP, `interval` apart; failures are reported, never thrown. */
  private announce(name: string, vips: Vip[], repeat: number, garp: GarpSettings): void {
    const byDev = new Map<string, Vip[]>();
    for (const v of vips) byDev.set(v.dev, [...(byDev.get(v.dev) ?? []), v]);
    for (const [dev, list] of byDev) {
      const mac = this.net.link(dev)?.mac;
      if (!mac) continue;
      void (async () => {
        let a: Announcer | undefined;
        try {
          a = new Announcer(dev, mac);
          for (let i = 0; i < repeat; i++) {
            for (const v of list) {
              a.announce(v.address);
              const gap = v.family === 4 ? garp.interval : garp.gna_interval;
              if (gap > 0) await sleep(gap * 1000);
            }
          }
        } catch (e) {
          this.onError(name, `announcing VIPs on ${dev}: ${(e as Error).message}`);
        } finally {
          a?.close();
        }
      })();
    }
  }

  /** Remove VIPs left by an earlier run: those recorded in the state file and configured ones present now. */
  async removeStale(configured: VipOwner[]): Promise<string[]> {
    const removed: string[] = [];
    const candidates = [
      ...readHeldVips(this.stateDir).map((h) => ({ address: h.address, prefix: h.prefix, dev: h.dev })),
      ...configured.filter((o) => !o.owner).flatMap((o) => o.vips),
    ];
    const seen = new Set<string>();
    for (const c of candidates) {
      const k = `${c.address}%${c.dev}`;
      if (seen.has(k) || !this.net.has(c.dev, c.address)) continue;
      seen.add(k);
      const l = this.net.link(c.dev)!;
      const fam = c.address.includes(':') ? 6 : 4;
      if (await this.rtnl.delAddress({ address: c.address, prefix: c.prefix, family: fam, index: l.index }) === 'removed') removed.push(`${c.address}/${c.prefix} on ${c.dev}`);
    }
    this.persist();
    return removed;
  }

  /** Wait for every queued operation and the state record (stop). */
  async settle(): Promise<void> {
    await Promise.all([...this.holdings.values()].map((h) => h.chain));
    await this.writing;
  }

  private persist(): void {
    const all: HeldVip[] = [];
    for (const [instance, h] of this.holdings) for (const v of h.held) all.push({ instance, address: v.address, prefix: v.prefix, dev: v.dev });
    const file = join(this.stateDir, VIP_STATE_FILE);
    const tmp = `${file}.${process.pid}.tmp`;
    this.writing = this.writing
      .then(() => writeFile(tmp, JSON.stringify(all) + '\n', { mode: 0o600 }))
      .then(() => rename(tmp, file))
      .catch((e: Error) => this.onError('-', `cannot record held VIPs: ${e.message}`));
  }
}
