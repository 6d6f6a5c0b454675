/** Messages between the VRRP subsystem (in lbd) and its engine process (engine-main.ts). */
import type { Config } from '../config/model.js';
import type { VrrpEngineStatus } from './status.js';

export type ToEngine =
  | { t: 'start'; config: Config; maintenance: boolean; external: Record<string, boolean> }
  | { t: 'reload'; config: Config }
  | { t: 'maintenance'; on: boolean }
  | { t: 'tracker'; name: string; ok: boolean }
  | { t: 'stop'; reason: string };

export type FromEngine =
  | { t: 'started' }
  | { t: 'reloaded' }
  | { t: 'failed'; op: 'start' | 'reload'; error: string }
  | { t: 'status'; status: VrrpEngineStatus }
  /** One pino JSON line, re-logged by lbd so it reaches the log ring and the console. */
  | { t: 'log'; line: string }
  | { t: 'stopped' };
