/**
 * What differs between HAProxy and Nginx for lbd: how to check a config with
 * the binary, how to run it in the foreground, which signal reloads or stops
 * it gracefully, how to ask which config generation serves, and which output
 * lines are errors.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { L7Engine } from '../config/model.js';
import { atomicWriteFileSync } from '../util/atomic-write.js';
import { ipFamily } from '../util/ip.js';
import type { HaproxyPaths, NginxPaths, EnginePaths } from './paths.js';
import type { RenderedConfig, ServerIdentity } from './render.js';
import { haproxyCommand, showInfo } from './runtime-api.js';

export type LineLevel = 'error' | 'warn' | 'info' | 'debug';

export interface ProxyDriver {
  readonly engine: L7Engine;
  readonly paths: EnginePaths;
  /** Check a config file with the binary: null when valid, else the binary's error lines. */
  check(file: string): Promise<string | null>;
  /** argv of the proxy running `paths.config` in the foreground (its master process is lbd's child). */
  command(): string[];
  readonly reloadSignal: NodeJS.Signals;
  /** Finish in-flight requests, then exit. */
  readonly gracefulStopSignal: NodeJS.Signals;
  /** The config generation the serving processes run; undefined when none answers. */
  servingGeneration(): Promise<string | undefined>;
  /** A line the master prints when a reload did not take. */
  readonly reloadFailed: RegExp;
  levelOf(line: string): LineLevel;
  /** Before each start of `config`: files the proxy expects, leftovers it would trip on. */
  prepare(config: RenderedConfig): void;
  /** Before a reload to `next` (or, without it, to save runtime state now). */
  beforeReload(next?: RenderedConfig): Promise<void>;
}

function runBinary(file: string, args: string[], timeoutMs = 20_000): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      const spawnError = err && typeof (err as NodeJS.ErrnoException).code === 'string' ? `${file}: ${err.message}` : '';
      resolve({ code, output: [stderr, stdout, spawnError].filter(Boolean).join('\n') });
    });
  });
}

/** The lines of a binary's output that explain a failure (all of it when none is marked). */
function errorText(output: string, marker: RegExp): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const marked = lines.filter((l) => marker.test(l));
  return (marked.length ? marked : lines).join('\n') || 'failed without a message';
}

const HAPROXY_ERROR = /\[ALERT\]/;
/** Warnings HAProxy prints on every reload and stop: worth a log line, not a warning. */
const HAPROXY_ROUTINE = /Proxy \S+ stopped|(Former|Current) worker .* exited with code 0|Exiting Master process|All workers exited|Stopping (proxy|frontend|backend)/;

export class HaproxyDriver implements ProxyDriver {
  readonly engine = 'haproxy';
  readonly reloadSignal = 'SIGUSR2';
  readonly gracefulStopSignal = 'SIGUSR1';
  readonly reloadFailed = /Loading failure!/;

  constructor(readonly paths: HaproxyPaths, private readonly binary = 'haproxy') {}

  async check(file: string): Promise<string | null> {
    const r = await runBinary(this.binary, ['-c', '-f', file]);
    return r.code === 0 ? null : errorText(r.output, HAPROXY_ERROR);
  }

  // -W master-worker: SIGUSR2 re-executes the master on the same file, the new worker takes the
  // listeners over from the old one (expose-fd), and old workers finish their connections.
  command(): string[] { return [this.binary, '-W', '-db', '-f', this.paths.config, '-p', this.paths.pid]; }

  async servingGeneration(): Promise<string | undefined> {
    try {
      const d = (await showInfo(this.paths.adminSock, 1000)).description;
      return d?.startsWith('lbd:') ? d.slice(4) : undefined;
    } catch { return undefined; }
  }

  levelOf(line: string): LineLevel {
    if (HAPROXY_ERROR.test(line)) return 'error';
    if (/\[WARNING\]/.test(line)) return HAPROXY_ROUTINE.test(line) ? 'info' : 'warn';
    return /\[NOTICE\]/.test(line) ? 'info' : 'debug';
  }

  /** Server states saved by an earlier run apply only to servers still where they were. */
  prepare(config: RenderedConfig): void {
    const saved = existsSync(this.paths.stateFile) ? readFileSync(this.paths.stateFile, 'utf8') : '1\n';
    // Without the file HAProxy warns; an empty one with the format version is silent.
    atomicWriteFileSync(this.paths.stateFile, keepServerStates(saved, config.servers), 0o600);
  }

  /** Save drain/maint/weights set at runtime so the next worker starts with them (`next`: only servers that stay where they are). */
  async beforeReload(next?: RenderedConfig): Promise<void> {
    const state = await haproxyCommand(this.paths.adminSock, 'show servers state');
    if (state.startsWith('1\n')) atomicWriteFileSync(this.paths.stateFile, next ? keepServerStates(state, next.servers) : state, 0o600);
  }
}

/**
 * The lines of a `show servers state` dump for servers that keep their address and ports in the
 * next config. HAProxy would otherwise restore a saved address over a changed one.
 */
export function keepServerStates(dump: string, servers: Record<string, ServerIdentity>): string {
  const lines = dump.split('\n');
  const header = lines.find((l) => l.startsWith('# be_id'));
  if (!header) return '1\n';
  const col = (name: string) => header.slice(2).split(' ').indexOf(name);
  const [be, srv, addr, port, checkPort] = ['be_name', 'srv_name', 'srv_addr', 'srv_port', 'srv_check_port'].map(col) as number[];
  const kept = lines.filter((l) => {
    if (!l || l.startsWith('#') || l === '1') return true;
    const f = l.split(' ');
    const want = servers[`${f[be!]}/${f[srv!]}`];
    return want !== undefined && Number(f[port!]) === want.port && Number(f[checkPort!]) === want.checkPort
      && (!ipFamily(want.address) || f[addr!] === want.address);
  });
  return kept.join('\n');
}

const NGINX_ERROR = /\[(emerg|alert|crit)\]/;

export class NginxDriver implements ProxyDriver {
  readonly engine = 'nginx';
  readonly reloadSignal = 'SIGHUP';
  readonly gracefulStopSignal = 'SIGQUIT';
  readonly reloadFailed = NGINX_ERROR;

  constructor(readonly paths: NginxPaths, private readonly binary = 'nginx') {}

  async check(file: string): Promise<string | null> {
    const r = await runBinary(this.binary, ['-q', '-t', '-c', file]);
    return r.code === 0 ? null : errorText(r.output, NGINX_ERROR);
  }

  // The master stays lbd's child (daemon off in the config); SIGHUP makes it re-read the file,
  // start new workers on the same listening sockets and let the old ones finish.
  command(): string[] { return [this.binary, '-c', this.paths.config]; }

  servingGeneration(): Promise<string | undefined> {
    return new Promise((resolve) => {
      const req = request({ socketPath: this.paths.ctlSock, path: '/lbd/generation', timeout: 1000, headers: { connection: 'close' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { body += d; });
        res.on('end', () => resolve(res.statusCode === 200 ? body.trim() : undefined));
        res.on('error', () => resolve(undefined));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(undefined));
      req.end();
    });
  }

  levelOf(line: string): LineLevel {
    return NGINX_ERROR.test(line) ? 'error' : /\[(error|warn)\]/.test(line) ? 'warn' : 'debug';
  }

  /** Nginx does not replace a unix socket file left by a killed master: bind would fail. */
  prepare(_config: RenderedConfig): void {
    if (!existsSync(this.paths.dir)) return;
    for (const f of readdirSync(this.paths.dir)) if (f.endsWith('.sock')) rmSync(join(this.paths.dir, f), { force: true });
  }

  async beforeReload(_next?: RenderedConfig): Promise<void> { /* nothing to carry over */ }
}
