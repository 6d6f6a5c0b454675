/**
 * What every checker type provides, and the pieces the socket-based ones share.
 * A checker runs one attempt at a time; retries, timing and state belong to
 * CheckState and the scheduler, so a checker only says what it saw.
 */
import type { NetConnectOpts } from 'node:net';
import type { Check } from '../config/model.js';
import { ipFamily } from '../util/ip.js';

export interface CheckResult {
  ok: boolean;
  /** What was observed, in words for logs and status: "HTTP 200 on /", "connection refused", ... */
  message: string;
  latencyMs: number;
  /** misc_dynamic: the weight the script's exit code asked for. */
  weight?: number;
  /** A script's first output line, for status only (scripts may print anything; it is never logged). */
  output?: string;
}

export interface Checker {
  /** Scripts count against their own, smaller concurrency bound. */
  readonly usesProcess: boolean;
  /** One attempt; never rejects. */
  run(): Promise<CheckResult>;
  /** End an attempt in flight (stop, reload): its promise resolves promptly as failed. */
  abort(): void;
}

/** "1 s", "0.5 s": timeouts in messages. */
export const secs = (ms: number) => `${Math.round(ms) / 1000} s`;

/** Where a socket checker connects from and to. */
export function connectOptions(c: Check): NetConnectOpts & { host: string; port: number } {
  // A link-local IPv6 address needs its interface as scope: that is what bind_if is for.
  const host = c.bind_if && ipFamily(c.connect_ip) === 6 ? `${c.connect_ip}%${c.bind_if}` : c.connect_ip;
  return {
    host, port: c.connect_port,
    ...(c.bindto ? { localAddress: c.bindto } : {}),
    ...(c.bind_port ? { localPort: c.bind_port } : {}),
  };
}

/** The words for a socket error; `during` names the phase when that adds meaning. */
export function describeSocketError(e: NodeJS.ErrnoException, during?: string): string {
  const where = during ? ` ${during}` : '';
  switch (e.code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'ECONNRESET': return `connection reset${where}`;
    case 'EPIPE': return `connection closed by the server${where}`;
    case 'EHOSTUNREACH': return 'host unreachable';
    case 'ENETUNREACH': return 'network unreachable';
    case 'EADDRNOTAVAIL': return `cannot use the source address (${e.message})`;
    case 'EADDRINUSE': return `source port in use (${e.message})`;
    case 'ETIMEDOUT': return `connect timed out in the kernel${where}`;
    default: return e.code ? `${e.code}${where}: ${e.message}` : e.message;
  }
}
