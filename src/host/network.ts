/**
 * The management network of the node, applied by lbd (root) for the console
 * and the API: addresses, link state and the default route over rtnetlink
 * (src/net/rtnl.ts), the host name, and the persisted files (systemd-networkd
 * `.network` file, /etc/hostname, resolv.conf; atomic writes) so the settings
 * survive a reboot. A change is planned as steps with their undo: any failed
 * step undoes the ones before it, so a refused or failed change leaves the
 * node as it was. Nothing is touched for invalid settings.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { dirname } from 'node:path';
import type { Logger } from '../log/logger.js';
import { Rtnl, type AddrInfo, type LinkInfo, type RouteInfo } from '../net/rtnl.js';
import { atomicWriteFileSync } from '../util/atomic-write.js';
import { runCommand } from '../util/command.js';
import { canonicalIp, ipFamily, type Family } from '../util/ip.js';
import { checkNetworkSettings, type FieldError, type NetworkSettings } from './settings.js';
import { parseNetworkFile, parseResolvConf, renderNetworkFile, renderResolvConf } from './networkd.js';

export interface HostFiles { network: string; hostname: string; resolvConf: string }

/** Where the persisted settings live; the environment overrides them (other images, tests). */
export function hostFiles(env: NodeJS.ProcessEnv = process.env): HostFiles {
  return {
    network: env.LBD_MGMT_NETWORK_FILE || '/etc/systemd/network/10-mgmt.network',
    hostname: env.LBD_HOSTNAME_FILE || '/etc/hostname',
    resolvConf: env.LBD_RESOLV_CONF || '/etc/resolv.conf',
  };
}

export interface InterfaceState { name: string; up: boolean; admin_up: boolean; mac: string | null; addresses: string[] }

export interface NetworkState {
  interfaces: InterfaceState[];
  /** What the `.network` file says, or null when there is none (or it was not written by lbd). */
  persisted: NetworkSettings | null;
  hostname: string;
  dns: string[];
  gateway: { address: string; interface: string } | null;
  files: HostFiles;
  /** 'link': resolv.conf is a symlink (systemd-resolved): DNS goes through the .network file only. */
  resolv_conf: 'file' | 'link' | 'absent';
  networkd: boolean;
}

export interface NetworkResult {
  applied: boolean;
  /** What was (or, for a dry run, would be) done, in order. */
  actions: string[];
  /** Addresses removed from the node (a session using one of them will drop). */
  removed_addresses: string[];
  warnings: string[];
}

/** Settings that cannot be applied on this node: per-field reasons. */
export class NetworkSettingsError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
  }
}

/** A step failed while applying; the message says which, and whether the earlier ones were undone. */
export class NetworkApplyError extends Error {}

interface Step { what: string; run(): Promise<void>; undo?(): Promise<void> }

const MAIN_METRIC = 0;
const cidr = (a: { address: string; prefix: number }) => `${a.address}/${a.prefix}`;

function readOr(file: string, fallback: string): string {
  try { return readFileSync(file, 'utf8'); } catch { return fallback; }
}

function resolvKind(file: string): NetworkState['resolv_conf'] {
  try { return lstatSync(file).isSymbolicLink() ? 'link' : 'file'; } catch { return 'absent'; }
}

async function sh(cmd: string, args: string[]): Promise<void> {
  const r = await runCommand(cmd, { args, timeoutMs: 15_000 });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.error ?? (r.stderr.trim() || (r.timedOut ? 'timed out' : `exit ${r.code}`))}`);
}

async function networkdActive(): Promise<boolean> {
  if (!existsSync('/run/systemd/netif')) return false;
  const r = await runCommand('systemctl', { args: ['is-active', '--quiet', 'systemd-networkd'], timeoutMs: 5000 });
  return r.code === 0;
}

/** A file write whose undo restores the previous content (or absence). */
function fileStep(what: string, file: string, content: string): Step {
  const before = existsSync(file) ? readFileSync(file) : null;
  return {
    what,
    run: async () => {
      mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
      atomicWriteFileSync(file, content, 0o644);
    },
    undo: async () => {
      if (before) atomicWriteFileSync(file, before, 0o644);
      else unlinkSync(file);
    },
  };
}

export class ManagementNetwork {
  private queue: Promise<unknown> = Promise.resolve();

  /** `reserved`: addresses that must never be the management address or be removed (VRRP VIPs), with their owner. */
  constructor(readonly files: HostFiles, private readonly log: Logger, private readonly reserved: () => Map<string, string>) {}

  private async withRtnl<T>(fn: (r: Rtnl) => Promise<T>): Promise<T> {
    const rtnl = new Rtnl();
    try { return await fn(rtnl); } finally { rtnl.close(); }
  }

  /** The settings the files hold (the host name from the hostname file, else the running one). */
  private persisted(): NetworkSettings | null {
    const text = readOr(this.files.network, '');
    return text ? parseNetworkFile(text, readOr(this.files.hostname, '').trim() || osHostname()) : null;
  }

  async state(): Promise<NetworkState> {
    return this.withRtnl(async (rtnl) => {
      const [links, addrs, routes] = await Promise.all([rtnl.links(), rtnl.addresses(), rtnl.routes()]);
      const host = osHostname();
      const def = routes.find((r) => r.family === 4 && r.dst === null && r.gateway) ?? routes.find((r) => r.dst === null && r.gateway);
      return {
        interfaces: links.filter((l) => !l.loopback).map((l) => ({
          name: l.name, up: l.up, admin_up: l.adminUp, mac: l.mac ? [...l.mac].map((b) => b.toString(16).padStart(2, '0')).join(':') : null,
          addresses: addrs.filter((a) => a.index === l.index && a.scope === 0).map(cidr),
        })),
        persisted: this.persisted(),
        hostname: host,
        dns: parseResolvConf(readOr(this.files.resolvConf, '')),
        gateway: def?.gateway ? { address: def.gateway, interface: links.find((l) => l.index === def.index)?.name ?? '?' } : null,
        files: this.files,
        resolv_conf: resolvKind(this.files.resolvConf),
        networkd: await networkdActive(),
      };
    });
  }

  /** Check, plan and (unless `dryRun`) apply; one change at a time. Throws NetworkSettingsError when the settings cannot apply. */
  apply(input: NetworkSettings, dryRun: boolean): Promise<NetworkResult> {
    const p = this.queue.then(() => this.withRtnl((rtnl) => this.applyWith(rtnl, input, dryRun)));
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async applyWith(rtnl: Rtnl, input: NetworkSettings, dryRun: boolean): Promise<NetworkResult> {
    const [links, addrs, routes] = await Promise.all([rtnl.links(), rtnl.addresses(), rtnl.routes()]);
    const s = this.normalize(input);
    this.check(s, links, addrs);
    const link = links.find((l) => l.name === s.interface)!;
    const result: NetworkResult = { applied: false, actions: [], removed_addresses: [], warnings: [] };
    const networkd = await networkdActive();
    const steps = this.plan(rtnl, s, link, links, addrs, routes, networkd, result);
    result.actions = steps.map((st) => st.what);
    if (dryRun) return result;

    const done: Step[] = [];
    for (const step of steps) {
      try {
        await step.run();
        done.push(step);
      } catch (e) {
        const undoErrors: string[] = [];
        for (const d of done.reverse()) {
          try { await d.undo?.(); } catch (u) { undoErrors.push(`${d.what}: ${(u as Error).message}`); }
        }
        this.log.error({ step: step.what, err: (e as Error).message, undo_errors: undoErrors }, 'management network change failed and was undone');
        throw new NetworkApplyError(`${step.what} failed: ${(e as Error).message}. ` +
          (undoErrors.length ? `Undoing the earlier steps failed too: ${undoErrors.join('; ')}` : `The ${done.length} earlier step(s) were undone; nothing changed.`));
      }
    }
    if (networkd) {
      try {
        await sh('networkctl', ['reload']);
        await sh('networkctl', ['reconfigure', s.interface]);
        result.actions.push(`systemd-networkd reloaded and ${s.interface} reconfigured from the file`);
      } catch (e) {
        result.warnings.push(`systemd-networkd did not take the new file (${(e as Error).message}); it will at the next boot`);
      }
    }
    result.applied = true;
    this.log.info({ settings: s, actions: result.actions, warnings: result.warnings }, 'management network changed');
    return result;
  }

  private normalize(s: NetworkSettings): NetworkSettings {
    const canon = (a: string) => (ipFamily(a.trim()) ? canonicalIp(a.trim()) : a.trim());
    return {
      interface: s.interface.trim(), mode: s.mode,
      ...(s.address !== undefined ? { address: canon(s.address) } : {}),
      ...(s.prefix !== undefined ? { prefix: s.prefix } : {}),
      ...(s.gateway !== undefined && s.gateway.trim() ? { gateway: canon(s.gateway) } : {}),
      dns: s.dns.map(canon), hostname: s.hostname.trim(),
    };
  }

  private check(s: NetworkSettings, links: LinkInfo[], addrs: AddrInfo[]): void {
    const errors = checkNetworkSettings(s);
    const link = links.find((l) => l.name === s.interface);
    if (!errors.some((e) => e.field === 'interface')) {
      if (!link) errors.push({ field: 'interface', message: `no interface "${s.interface}" on this node (there are: ${links.filter((l) => !l.loopback).map((l) => l.name).join(', ') || 'none'})` });
      else if (link.loopback) errors.push({ field: 'interface', message: `${s.interface} is the loopback interface` });
    }
    if (s.mode === 'static' && s.address && !errors.some((e) => e.field === 'address')) {
      const owner = this.reserved().get(s.address);
      if (owner) errors.push({ field: 'address', message: `${s.address} is a virtual address of VRRP instance ${owner}; the management address must be the node's own` });
      const elsewhere = addrs.find((a) => a.address === s.address && a.index !== link?.index);
      if (elsewhere) errors.push({ field: 'address', message: `${s.address} is already on ${links.find((l) => l.index === elsewhere.index)?.name ?? 'another interface'}` });
    }
    if (errors.length) throw new NetworkSettingsError(errors);
  }

  private plan(rtnl: Rtnl, s: NetworkSettings, link: LinkInfo, links: LinkInfo[], addrs: AddrInfo[], routes: RouteInfo[], networkd: boolean, result: NetworkResult): Step[] {
    const steps: Step[] = [];
    const host = osHostname();
    const previous = this.persisted();
    const reserved = this.reserved();
    const nameOf = (index: number) => links.find((l) => l.index === index)?.name ?? `#${index}`;

    if (!link.adminUp) {
      steps.push({ what: `bring ${link.name} up`, run: () => rtnl.setLinkUp(link.index) });
    }
    if (s.mode === 'static') {
      const family = ipFamily(s.address!) as Family;
      const spec = { address: s.address!, prefix: s.prefix!, family, index: link.index };
      if (!addrs.some((a) => a.index === link.index && a.address === spec.address && a.prefix === spec.prefix)) {
        let added = false;
        steps.push({
          what: `add ${cidr(spec)} to ${link.name}`,
          run: async () => { added = (await rtnl.addAddress(spec)) === 'added'; },
          undo: async () => { if (added) await rtnl.delAddress(spec); },
        });
      }
      // The address the previous setup made goes (never a VRRP address, never the one just set).
      const old = previous?.mode === 'static' ? addrs.find((a) => a.address === previous.address && a.prefix === previous.prefix) : undefined;
      if (old && !(old.index === link.index && old.address === spec.address && old.prefix === spec.prefix) && !reserved.has(old.address)) {
        const oldSpec = { address: old.address, prefix: old.prefix, family: old.family, index: old.index };
        steps.push({
          what: `remove the previous management address ${cidr(old)} from ${nameOf(old.index)}`,
          run: async () => { await rtnl.delAddress(oldSpec); },
          undo: async () => { await rtnl.addAddress(oldSpec); },
        });
        result.removed_addresses.push(old.address);
      }
      const current = routes.filter((r) => r.family === family && r.dst === null && r.metric === MAIN_METRIC);
      if (s.gateway) {
        const same = current.length === 1 && current[0]!.gateway === s.gateway && current[0]!.index === link.index;
        if (!same) {
          steps.push({
            what: `set the default route via ${s.gateway} dev ${link.name}${current.length ? ` (was ${current.map((r) => `via ${r.gateway ?? '-'} dev ${r.index ? nameOf(r.index) : '-'}`).join(', ')})` : ''}`,
            run: () => rtnl.replaceDefaultRoute({ family, gateway: s.gateway!, index: link.index }),
            undo: async () => {
              if (current[0]?.gateway && current[0].index) await rtnl.replaceDefaultRoute({ family, gateway: current[0].gateway, index: current[0].index });
              else await rtnl.delRoute({ family, dst: null, dstLen: 0, gateway: s.gateway!, index: link.index, metric: MAIN_METRIC, table: 254 });
            },
          });
        }
      } else if (previous?.mode === 'static' && previous.gateway) {
        const stale = current.find((r) => r.gateway === previous.gateway);
        if (stale) {
          steps.push({
            what: `remove the previous default route via ${previous.gateway}`,
            run: async () => { await rtnl.delRoute(stale); },
            undo: () => rtnl.replaceDefaultRoute({ family, gateway: stale.gateway!, index: stale.index! }),
          });
        }
      }
    } else if (!networkd) {
      result.warnings.push('systemd-networkd is not running here: DHCP starts when it runs (at the next boot); the current addresses stay until then');
    }

    if (s.hostname !== host) {
      steps.push({ what: `set the host name to ${s.hostname} (was ${host})`, run: () => sh('hostname', [s.hostname]), undo: () => sh('hostname', [host]) });
    }
    if (readOr(this.files.hostname, '').trim() !== s.hostname) steps.push(fileStep(`write ${this.files.hostname}`, this.files.hostname, `${s.hostname}\n`));

    const kind = resolvKind(this.files.resolvConf);
    if (kind === 'link') {
      if (s.dns.length) result.warnings.push(`${this.files.resolvConf} is a symbolic link (systemd-resolved): the name servers reach it through the .network file`);
    } else if (s.dns.length) {
      const prev = readOr(this.files.resolvConf, '');
      const next = renderResolvConf(prev, s.dns);
      if (next !== prev) steps.push(fileStep(`write ${this.files.resolvConf} (nameserver ${s.dns.join(', ')})`, this.files.resolvConf, next));
    }
    const networkFile = renderNetworkFile(s);
    if (readOr(this.files.network, '') !== networkFile) steps.push(fileStep(`write ${this.files.network}`, this.files.network, networkFile));
    if (!steps.length) result.warnings.push('nothing to change: the node already has these settings');
    return steps;
  }
}
