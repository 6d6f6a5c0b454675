/**
 * The 'l7' section of the status hub: each engine's process and last apply,
 * each frontend's health, and each server with HAProxy's live state and
 * counters (Nginx open source exposes no per-server state).
 */
import type { L7Engine, L7Settings } from '../config/model.js';
import type { ProbeResult } from './probe.js';
import type { AdminState, StatRow } from './runtime-api.js';
import type { ApplyResult, ProcessState } from './supervisor.js';

export interface L7EngineStatus {
  state: ProcessState;
  pid?: number;
  since?: string;
  restarts: number;
  /** The config generation on disk and serving (see the comment at the top of the rendered file). */
  generation?: string;
  lastApply?: ApplyResult;
  /** Nginx stub_status: connections now and counted since start. */
  connections?: { active: number; accepted: number; handled: number; requests: number; reading: number; writing: number; waiting: number };
}

export interface L7FrontendStatus {
  name: string;
  engine: L7Engine;
  mode: 'http' | 'tcp';
  bind: string[];
  /** Null until the probe reached a verdict. */
  healthy: boolean | null;
  lastProbe?: ProbeResult;
  /** HAProxy: current and total sessions. */
  sessions?: number;
  sessionsTotal?: number;
}

export interface L7ServerLive {
  /** HAProxy's words: UP, DOWN, MAINT, DRAIN, NOLB, "UP 1/3" (going down), "no check". */
  status: string;
  admin: AdminState;
  /** Effective weight now (runtime changes included). */
  weight: number;
  sessions: number;
  sessionsTotal: number;
  bytesIn: number;
  bytesOut: number;
  connectErrors: number;
  responseErrors: number;
  retries: number;
  redispatches: number;
  check?: { status: string; code?: number; durationMs?: number; description?: string };
  /** Seconds since the last UP/DOWN change, and total seconds down. */
  lastChangeSec: number;
  downtimeSec: number;
}

export interface L7ServerStatus {
  name: string;
  address: string;
  port: number;
  weight: number;
  backup: boolean;
  live?: L7ServerLive;
}

export interface L7BackendStatus { name: string; engines: L7Engine[]; servers: L7ServerStatus[] }

export interface L7Status {
  engines: Partial<Record<L7Engine, L7EngineStatus>>;
  frontends: L7FrontendStatus[];
  backends: L7BackendStatus[];
}

const num = (s: string | undefined) => (s === undefined || s === '' ? 0 : Number(s));
const opt = (s: string | undefined) => (s === undefined || s === '' ? undefined : Number(s));

export function serverLive(row: StatRow): L7ServerLive {
  const status = row.status ?? '';
  return {
    status,
    admin: status.startsWith('MAINT') ? 'maint' : status.startsWith('DRAIN') ? 'drain' : 'ready',
    weight: num(row.weight),
    sessions: num(row.scur), sessionsTotal: num(row.stot),
    bytesIn: num(row.bin), bytesOut: num(row.bout),
    connectErrors: num(row.econ), responseErrors: num(row.eresp),
    retries: num(row.wretr), redispatches: num(row.wredis),
    check: row.check_status ? {
      status: row.check_status, code: opt(row.check_code), durationMs: opt(row.check_duration), description: row.check_desc || undefined,
    } : undefined,
    lastChangeSec: num(row.lastchg), downtimeSec: num(row.downtime),
  };
}

/** "Active connections: 1 \n server accepts handled requests\n 2 2 2 \nReading: 0 Writing: 1 Waiting: 0" */
export function parseStubStatus(text: string): L7EngineStatus['connections'] | undefined {
  const m = /Active connections:\s*(\d+)[\s\S]*?\n\s*(\d+)\s+(\d+)\s+(\d+)\s*\n\s*Reading:\s*(\d+)\s+Writing:\s*(\d+)\s+Waiting:\s*(\d+)/.exec(text);
  if (!m) return undefined;
  const [active, accepted, handled, requests, reading, writing, waiting] = m.slice(1).map(Number) as number[];
  return { active: active!, accepted: accepted!, handled: handled!, requests: requests!, reading: reading!, writing: writing!, waiting: waiting! };
}

/** Configured servers, with HAProxy's live row where it has one. */
export function backendStatus(l7: L7Settings, rows: StatRow[]): L7BackendStatus[] {
  const row = (b: string, s: string) => rows.find((r) => r.pxname === b && r.svname === s);
  return l7.backends.map((b) => ({
    name: b.name, engines: b.engines,
    servers: b.servers.map((s) => {
      const r = b.engines.includes('haproxy') ? row(b.name, s.name) : undefined;
      return { name: s.name, address: s.address, port: s.port, weight: s.weight, backup: s.backup, ...(r ? { live: serverLive(r) } : {}) };
    }),
  }));
}
