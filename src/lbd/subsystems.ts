/** The engines lbd runs, in start order (stopped in reverse). */
import type { Subsystem, SubsystemContext } from './subsystem.js';
import type { Daemon } from './daemon.js';
import { HealthSubsystem } from '../health/health-subsystem.js';

export function buildSubsystems(ctx: SubsystemContext, _daemon: Daemon): Subsystem[] {
  return [
    new HealthSubsystem(ctx), // before lvs: it is the PoolSource lvs programs from
  ];
}
