/** The engines lbd runs, in start order (stopped in reverse). */
import type { Subsystem, SubsystemContext } from './subsystem.js';
import type { Daemon } from './daemon.js';
import { VrrpSubsystem } from '../vrrp/subsystem.js';

export function buildSubsystems(ctx: SubsystemContext, _daemon: Daemon): Subsystem[] {
  return [new VrrpSubsystem(ctx)];
}
