/**
 * The running demo lab as seen from outside: a state file in the demo's run
 * directory that `lbctl demo ...` reads from another terminal, and what each
 * namespace is running right now.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteFileSync } from '../util/atomic-write.js';
import { alive, namespacePids } from './netns.js';
import type { NodeName, Variant, WebName } from './topology.js';

export interface DemoOptions {
  /** Run directory: state file, configs, lbd state dirs, logs, relay sockets. */
  dir: string;
  /** Namespace names are PREFIX-lb1, PREFIX-rs1, ... */
  prefix: string;
  /** Host loopback port of lb1's admin UI (lb2's is the next one); 0 picks free ports. */
  adminPort: number;
  /** Force a variant instead of detecting IPVS. */
  variant?: Variant;
}

/** Defaults, overridable by environment (the test runs its own lab beside a user's). */
export function demoOptions(env: NodeJS.ProcessEnv = process.env): DemoOptions {
  const variant = env.LB_DEMO_VARIANT;
  if (variant !== undefined && variant !== 'l4' && variant !== 'l7') throw new Error(`LB_DEMO_VARIANT must be l4 or l7, not "${variant}"`);
  const port = Number(env.LB_DEMO_ADMIN_PORT ?? 8441);
  if (!Number.isInteger(port) || port < 0 || port > 65534) throw new Error(`LB_DEMO_ADMIN_PORT must be a port number, not "${env.LB_DEMO_ADMIN_PORT}"`);
  const prefix = env.LB_DEMO_PREFIX ?? 'lbdemo';
  if (!/^[a-z][a-z0-9]{0,9}$/.test(prefix)) throw new Error(`LB_DEMO_PREFIX must be 1-10 lower-case letters and digits, not "${prefix}"`);
  return { dir: env.LB_DEMO_DIR ?? '/run/lb-appliance-demo', prefix, adminPort: port, variant };
}

export interface NodeState { ns: string; address: string; argv: string[]; log: string; admin?: string; token?: string }
export interface WebState { ns: string; address: string; argv: string[]; log: string }

export interface DemoState {
  /** The `npm run demo` process that owns the lab. */
  pid: number;
  variant: Variant;
  /** Why this variant (shown to the user). */
  reason: string;
  vip: string;
  /** The client's requests go to VIP:port. */
  port: number;
  /** Every namespace of the lab, recorded before it is created so any leftover can be removed. */
  namespaces: string[];
  client?: string;
  nodes: Partial<Record<NodeName, NodeState>>;
  web: Partial<Record<WebName, WebState>>;
}

export const stateFile = (dir: string) => join(dir, 'state.json');

export function readState(dir: string): DemoState | undefined {
  const f = stateFile(dir);
  if (!existsSync(f)) return undefined;
  try { return JSON.parse(readFileSync(f, 'utf8')) as DemoState; } catch { return undefined; }
}

export function writeState(dir: string, s: DemoState): void {
  atomicWriteFileSync(stateFile(dir), JSON.stringify(s, null, 2) + '\n', 0o600);
}

export const demoRunning = (s: DemoState | undefined) => !!s && alive(s.pid);

/** The processes in a namespace with their command lines (to tell lbd from the admin relay). */
export async function processesIn(ns: string): Promise<{ pid: number; cmdline: string }[]> {
  const out: { pid: number; cmdline: string }[] = [];
  for (const pid of await namespacePids(ns)) {
    try { out.push({ pid, cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ') }); } catch { /* exited */ }
  }
  return out;
}

export const isRelay = (cmdline: string) => /demo\/relay\.js/.test(cmdline);
export const isLbd = (cmdline: string) => /cli\/lbd\.js/.test(cmdline);
