/** The engines lbd runs, in start order (stopped in reverse). */
import type { Subsystem, SubsystemContext } from './subsystem.js';
import type { Daemon } from './daemon.js';
import { LvsSubsystem } from '../lvs/subsystem.js';

export function buildSubsystems(ctx: SubsystemContext, _daemon: Daemon): Subsystem[] {
  return [
    new LvsSubsystem(ctx),
  ];
}
