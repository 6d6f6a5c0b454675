/** The engines lbd runs, in start order (stopped in reverse). */
import type { Subsystem, SubsystemContext } from './subsystem.js';
import type { Daemon } from './daemon.js';
import { VrrpSubsystem } from '../vrrp/subsystem.js';
import { HealthSubsystem } from '../health/health-subsystem.js';
import { LvsSubsystem } from '../lvs/subsystem.js';
import { ProxySubsystem } from '../proxy/subsystem.js';
import { AdminSubsystem } from '../admin/subsystem.js';
import { FirewallSubsystem } from '../firewall/subsystem.js';

export function buildSubsystems(ctx: SubsystemContext, daemon: Daemon): Subsystem[] {
  const vrrp = new VrrpSubsystem(ctx);
  const health = new HealthSubsystem(ctx);
  const proxy = new ProxySubsystem(ctx);
  // The built-in "is the local proxy serving?" tracker: track_proxy entries follow each frontend's probe.
  proxy.on('health', (frontend, ok) => vrrp.setExternalTracker(`proxy:${frontend}`, ok));
  return [
    vrrp,
    health, // before lvs: it is the PoolSource lvs programs the kernel from
    new LvsSubsystem(ctx, { pool: health }),
    proxy,
    new FirewallSubsystem(ctx, { dir: daemon.opts.firewallDir }),
    new AdminSubsystem(ctx, daemon), // last: it serves what the others publish
  ];
}
