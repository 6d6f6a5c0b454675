/**
 * Typed status sections as the subsystems publish them, for tests and
 * benchmarks of the readers (API, UI, console, metrics). Typed against the
 * subsystems' own status types, so a renamed field breaks the build here
 * instead of silently rendering "unknown".
 */
import type { VrrpInstanceStatus, VrrpStatus } from '../../src/vrrp/status.js';
import type { HealthStatus, RealServerStatus, VirtualServerHealthStatus } from '../../src/health/status.js';
import type { LvsDestinationStatus, LvsServiceStatus, LvsStatus } from '../../src/lvs/status.js';
import type { Stats } from '../../src/ipvs/index.js';

export function vrrpInstance(name: string, o: Partial<VrrpInstanceStatus> = {}): VrrpInstanceStatus {
  return {
    name, interface: 'eth0', family: 4, vrid: 51, version: 2, state: 'BACKUP', basePriority: 100, effectivePriority: 100,
    advertInt: 1, masterAdvertInt: 1, masterDownInterval: 3.61, masterAddress: null, sourceAddress: '198.18.0.2',
    destinations: ['224.0.0.18'], vips: [], vipsHeld: [], syncGroup: null, faults: [], lastTransition: null,
    counters: { advertsSent: 0, advertsReceived: 0, priorityZeroSent: 0, priorityZeroReceived: 0, sendErrors: 0, becameMaster: 0, releasedMaster: 0, dropped: {} },
    jitter: { samples: 0, meanMs: 0, p99Ms: 0, maxMs: 0, maxEverMs: 0 }, trackers: [],
    ...o,
  };
}

export function vrrpStatus(instances: VrrpInstanceStatus[], maintenance = false): VrrpStatus {
  return {
    maintenance, instances, syncGroups: [], sockets: [], externalTrackers: {}, scheduling: 'SCHED_RR 10',
    engine: { running: true, pid: 1, restarts: 0, startedAt: new Date(0).toISOString(), lastExit: null },
  };
}

export function realServer(key: string, up: boolean, o: Partial<RealServerStatus> = {}): RealServerStatus {
  const [address, port] = key.startsWith('[') ? [key.slice(1, key.indexOf(']')), key.slice(key.indexOf(']') + 2)] : key.split(':');
  const message = up ? 'HTTP status 200 on /' : 'connection refused';
  return {
    key, address: address!, port: Number(port), state: up ? 'up' : 'down', since: new Date(0).toISOString(), reason: message,
    in_pool: up, weight: up ? 1 : null, configured_weight: 1, inhibit_on_failure: false, drain: false, disabled: false, weight_override: null,
    checks: [{ type: 'HTTP_GET', target: key, up, retries_used: 0, consecutive_failures: up ? 0 : 2, delay_loop: 5,
      last: { ok: up, message, latency_ms: 1, at: new Date(0).toISOString() } }],
    ...o,
  };
}

export function healthStatus(virtual_servers: VirtualServerHealthStatus[]): HealthStatus {
  return { virtual_servers, scheduler: { in_flight: 0, scripts_running: 0, queued: 0, limits: { sockets: 2048, processes: 32 }, max_lag_ms: 0 }, updated_at: new Date(0).toISOString() };
}

export function healthService(name: string, real_servers: RealServerStatus[]): VirtualServerHealthStatus {
  const live = real_servers.filter((r) => r.state === 'up').length;
  return { name, quorum: { up: live > 0, live_weight: live, quorum: 1, hysteresis: 0 }, sorry_server: null, real_servers };
}

export function stats(o: Partial<Stats> = {}): Stats {
  return { conns: 0, inPackets: 0, outPackets: 0, inBytes: 0, outBytes: 0, cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0, ...o };
}

export function lvsDestination(address: string, port: number, o: Partial<LvsDestinationStatus> = {}): LvsDestinationStatus {
  return {
    id: address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`, address, port, forward: 'dr', weight: 1,
    upperThreshold: 0, lowerThreshold: 0, activeConns: 0, inactiveConns: 0, persistentConns: 0, stats: stats(), ...o,
  };
}

export function lvsService(virtualServer: string, id: string, destinations: LvsDestinationStatus[], o: Partial<LvsServiceStatus> = {}): LvsServiceStatus {
  return { virtualServer, id, present: true, scheduler: 'wlc', stats: stats(), destinations, ...o };
}

export function lvsStatus(services: LvsServiceStatus[]): LvsStatus {
  return {
    available: true, ipvsVersion: '1.2.1', updatedAt: new Date(0).toISOString(), pollIntervalMs: 5000, services,
    markRules: { table: 'inet lbd', rules: 0 },
  };
}
