/** The contract every engine under lbd (VRRP, LVS, health, proxies, admin) fulfils. */
import type { Logger } from '../log/logger.js';
import type { Config } from '../config/model.js';
import type { ConfigDiff } from '../config/diff.js';
import type { StatusHub } from '../status/hub.js';

export interface SubsystemContext {
  log: Logger;
  status: StatusHub;
  stateDir: string;
}

export interface Subsystem {
  readonly name: string;
  /** Bring the subsystem up on a validated config. */
  start(config: Config): Promise<void>;
  /** Apply a new validated config, touching only what `diff` names as changed. */
  reload(next: Config, diff: ConfigDiff): Promise<void>;
  /** Release everything the subsystem holds (VIPs, kernel objects, child processes). */
  stop(): Promise<void>;
}
