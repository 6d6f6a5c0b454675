/** Assemble the status view from the running config and the hub's sections (one mapper per section). */
import { readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Daemon } from '../../lbd/daemon.js';
import type { StatusView } from './schemas.js';
import { vrrpView } from './vrrp.js';
import type { VrrpStatus } from '../../vrrp/status.js';
import { servicesView } from './services.js';
import type { LvsStatus } from '../../lvs/status.js';
import type { HealthStatus } from '../../health/status.js';
import { l7View } from './l7.js';
import type { L7Status } from '../../proxy/status.js';
import { LBD_VERSION } from '../version.js';
import type { Steps } from './steps.js';

const startedAt = new Date(Date.now() - process.uptime() * 1000);

/** The newest revision id in the history, from file names only (cheap enough for every request). */
export function latestRevision(daemon: Daemon): number | null {
  let max = 0;
  for (const f of readdirSync(daemon.store.historyDir)) {
    const m = /^(\d{6})\.json$/.exec(f);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max || null;
}

/** A part of the view and the inputs it was built from (compared by identity). */
interface Part { inputs: unknown[]; value: unknown }

/**
 * Builds the view, reusing each part whose inputs are the very objects it was
 * built from: VRRP publishes every second, and rebuilding thousands of real
 * server rows for it would be most of the cost on a big node.
 */
export class StatusViewBuilder {
  private parts = new Map<string, Part>();

  private reuse<T>(name: string, inputs: unknown[]): T | undefined {
    const p = this.parts.get(name);
    return p && p.inputs.length === inputs.length && p.inputs.every((x, i) => x === inputs[i]) ? p.value as T : undefined;
  }

  private keep<T>(name: string, inputs: unknown[], value: T): T {
    this.parts.set(name, { inputs, value });
    return value;
  }

  /** The view from the config and sections as they are now (read before the first yield). */
  *build(daemon: Daemon): Steps<StatusView> {
    const config = daemon.running;
    const hub = daemon.status;
    const vrrp = hub.get<VrrpStatus>('vrrp');
    const lvs = hub.get<LvsStatus>('lvs');
    const health = hub.get<HealthStatus>('health');
    const l7 = hub.get<L7Status>('l7');
    const vrrpIn = [config?.vrrp_instances, vrrp];
    const servicesIn = [config?.virtual_servers, lvs, health];
    const l7In = [config?.l7, l7];
    const node = {
      router_id: config?.global.router_id ?? '',
      hostname: hostname(),
      lbd_version: LBD_VERSION,
      started_at: startedAt.toISOString(),
      uptime_s: Math.round(process.uptime()),
      config_revision: latestRevision(daemon),
      subsystems: daemon.subsystemNames(),
      maintenance: vrrp?.maintenance ?? null,
    };
    return {
      generated_at: new Date().toISOString(),
      node,
      reported: { vrrp: !!vrrp, lvs: !!lvs, health: !!health, l7: !!l7 },
      vrrp: this.reuse<StatusView['vrrp']>('vrrp', vrrpIn) ?? this.keep('vrrp', vrrpIn, vrrpView(config?.vrrp_instances ?? [], vrrp)),
      virtual_servers: this.reuse<StatusView['virtual_servers']>('services', servicesIn)
        ?? this.keep('services', servicesIn, yield* servicesView(config?.virtual_servers ?? [], lvs, health)),
      l7: this.reuse<StatusView['l7']>('l7', l7In) ?? this.keep('l7', l7In, l7View(config?.l7 ?? { frontends: [], backends: [] }, l7)),
    };
  }
}
