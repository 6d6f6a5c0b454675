/**
 * Runtime operations (not config changes) routed to the subsystem that owns
 * them. These interfaces are the contract the admin API and the console rely
 * on; the subsystems implement them:
 *   'vrrp'   setMaintenance(on)                 force every instance to BACKUP / release
 *   'health' drain / disable / enable / setWeight (virtual server name, real server key ADDRESS:PORT)
 *   'proxy'  reload(); drain / disable / enable / setWeight (backend name, server name)
 * A subsystem that is not running gives 503; one without the method gives 501.
 */
import type { Daemon } from '../lbd/daemon.js';
import type { Subsystem } from '../lbd/subsystem.js';
import { HttpError } from './context.js';

export interface VrrpOperations extends Subsystem {
  setMaintenance(on: boolean): Promise<void> | void;
}

export type ServerAction = 'drain' | 'disable' | 'enable' | 'weight';

export interface HealthOperations extends Subsystem {
  drain(virtualServer: string, realServer: string): Promise<void> | void;
  disable(virtualServer: string, realServer: string): Promise<void> | void;
  enable(virtualServer: string, realServer: string): Promise<void> | void;
  setWeight(virtualServer: string, realServer: string, weight: number): Promise<void> | void;
}

export interface ProxyOperations extends Subsystem {
  reload(): Promise<void>;
  drain(backend: string, server: string): Promise<void> | void;
  disable(backend: string, server: string): Promise<void> | void;
  enable(backend: string, server: string): Promise<void> | void;
  setWeight(backend: string, server: string, weight: number): Promise<void> | void;
}

/** The running subsystem `name` with method `method`, or the HTTP error saying why not. */
export function operationTarget<T extends Subsystem>(daemon: Daemon, name: string, method: keyof T & string): T {
  const s = daemon.get<T>(name);
  if (!s) throw new HttpError(503, `the ${name} subsystem is not running in this lbd, so this operation is unavailable`);
  if (typeof (s as unknown as Record<string, unknown>)[method] !== 'function') throw new HttpError(501, `the ${name} subsystem does not support ${method}`);
  return s;
}

/** Check the target exists in the running config before asking a subsystem (clear 404s). */
export function findRealServer(daemon: Daemon, vsName: string, rsKey: string): void {
  const vs = daemon.running?.virtual_servers.find((v) => v.name === vsName);
  if (!vs) throw new HttpError(404, `no virtual server "${vsName}" in the running config`);
  if (!vs.real_servers.some((r) => r.key === rsKey))
    throw new HttpError(404, `virtual server "${vsName}" has no real server ${rsKey} (known: ${vs.real_servers.map((r) => r.key).join(', ') || 'none'})`);
}

export function findL7Server(daemon: Daemon, backend: string, server: string): void {
  const b = daemon.running?.l7.backends.find((x) => x.name === backend);
  if (!b) throw new HttpError(404, `no L7 backend "${backend}" in the running config`);
  if (!b.servers.some((s) => s.name === server)) throw new HttpError(404, `backend "${backend}" has no server "${server}"`);
}

export async function runServerAction(target: HealthOperations | ProxyOperations, action: ServerAction, a: string, b: string, weight?: number): Promise<void> {
  switch (action) {
    case 'drain': return void (await target.drain(a, b));
    case 'disable': return void (await target.disable(a, b));
    case 'enable': return void (await target.enable(a, b));
    case 'weight':
      if (weight === undefined) throw new HttpError(400, 'action "weight" needs a weight');
      return void (await target.setWeight(a, b, weight));
  }
}
