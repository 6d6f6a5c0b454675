/** The engines lbd runs, in start order (stopped in reverse). */
import type { Subsystem, SubsystemContext } from './subsystem.js';
import type { Daemon } from './daemon.js';
import { HealthSubsystem } from '../health/health-subsystem.js';
import { ProxySubsystem } from '../proxy/subsystem.js';
import { AdminSubsystem } from '../admin/subsystem.js';

export function buildSubsystems(ctx: SubsystemContext, daemon: Daemon): Subsystem[] {
  return [
    new HealthSubsystem(ctx), // before lvs: it is the PoolSource lvs programs from
    new ProxySubsystem(ctx),
    new AdminSubsystem(ctx, daemon), // last: it serves what the others publish
  ];
}
