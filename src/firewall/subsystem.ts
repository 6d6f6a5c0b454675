/**
 * Keeps the appliance firewall's lbd-owned sets (elements.ts) equal to the running
 * config, so that a unicast VRRP peer or a new virtual service is let in by the
 * same apply that configures it. Only where the appliance firewall is loaded
 * (table inet lb_filter with lbd's sets); anywhere else it does nothing and says so.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/model.js';
import type { Logger } from '../log/logger.js';
import type { Subsystem, SubsystemContext } from '../lbd/subsystem.js';
import { atomicWriteFileSync } from '../util/atomic-write.js';
import { applyNftScript, nft } from '../util/nft.js';
import { FILTER_TABLE, SETS, elementsFile, firewallElements, syncScript } from './elements.js';

/** Where the base firewall includes `*.elements.nft` from (appliance/firewall/nftables.conf). */
export const FIREWALL_DIR = '/etc/lb-appliance/firewall.d';

export interface FirewallStatus {
  /** False where the appliance firewall is not loaded: nothing is managed. */
  managed: boolean;
  table: string;
  elements: Record<string, number>;
  /** The file a firewall reload reads lbd's elements from (null: not written, or its directory does not exist). */
  file: string | null;
  updatedAt: string;
  error?: string;
}

export class FirewallSubsystem implements Subsystem {
  readonly name = 'firewall';
  private readonly log: Logger;
  private readonly scriptFile: string;

  constructor(private readonly ctx: SubsystemContext, private readonly opts: { dir?: string } = {}) {
    this.log = ctx.log.child({ subsystem: 'firewall' });
    this.scriptFile = join(ctx.stateDir, 'firewall-sets.nft');
  }

  async start(config: Config): Promise<void> { await this.sync(config); }

  async reload(next: Config): Promise<void> { await this.sync(next); }

  /** The elements stay: they only let in traffic for addresses this node holds while it serves. */
  async stop(): Promise<void> {}

  private async sync(config: Config): Promise<void> {
    const e = firewallElements(config);
    const dir = this.opts.dir ?? FIREWALL_DIR;
    const file = existsSync(dir) ? join(dir, 'lbd.elements.nft') : null;
    const base = { table: FILTER_TABLE, elements: Object.fromEntries(SETS.map((s) => [s, e[s].length])), file, updatedAt: new Date().toISOString() };
    const missing = await this.missingSets();
    if (missing) {
      this.log.info({ reason: missing }, 'appliance firewall not loaded: its sets are not managed');
      this.publish({ managed: false, ...base, file: null, error: missing });
      return;
    }
    // Applied every time (start and reloads are rare): a reload also repairs sets someone flushed.
    try {
      await applyNftScript(syncScript(e), this.scriptFile);
      // Saved for firewall reloads only once the kernel took them: an include nft refuses
      // would make the whole base firewall fail to load.
      if (file) atomicWriteFileSync(file, elementsFile(e), 0o644);
      this.log.info({ elements: base.elements }, 'firewall sets updated');
      this.publish({ managed: true, ...base });
    } catch (err) {
      const message = (err as Error).message;
      this.log.error({ err }, 'cannot update the firewall sets: the new peers and services may be dropped');
      this.publish({ managed: true, ...base, error: message });
    }
  }

  /** Why the sets cannot be managed here, or null when they all exist. */
  private async missingSets(): Promise<string | null> {
    try {
      const out = await nft(['-t', '-j', 'list', 'sets', 'table', ...FILTER_TABLE.split(' ')]);
      const names = new Set((JSON.parse(out) as { nftables: { set?: { name: string } }[] }).nftables.flatMap((o) => (o.set ? [o.set.name] : [])));
      const absent = SETS.filter((s) => !names.has(s));
      return absent.length ? `table ${FILTER_TABLE} has no set ${absent.join(', ')}` : null;
    } catch (err) {
      return `no table ${FILTER_TABLE}: ${(err as Error).message}`;
    }
  }

  private publish(s: FirewallStatus): void { this.ctx.status.publish('firewall', s); }
}
