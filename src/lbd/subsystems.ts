/** The engines lbd runs, in start order (stopped in reverse). */
import type { Subsystem, SubsystemContext } from './subsystem.js';
import type { Daemon } from './daemon.js';

export function buildSubsystems(_ctx: SubsystemContext, _daemon: Daemon): Subsystem[] {
  return [];
}
