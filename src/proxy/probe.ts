/**
 * Frontend health, the built-in form of keepalived's "killall -0 haproxy &&
 * curl the service" track script: the proxy's master process is alive AND a
 * request through the frontend succeeds. The request enters through a unix
 * socket the frontend also listens on, so it is always this node's proxy that
 * answers — a probe sent to the VIP would reach whichever node holds it.
 */
import { EventEmitter } from 'node:events';
import { request } from 'node:http';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { L7Frontend, StatusRanges } from '../config/model.js';

export interface ProbeResult { ok: boolean; detail: string; ms: number; at: string }

/** A tcp frontend that closes a fresh connection this soon found no server to forward it to. */
const TCP_HOLD_MS = 300;

const inRanges = (code: number, r: StatusRanges) => r.some(([a, b]) => code >= a && code <= b);

function probeHttp(socketPath: string, fe: L7Frontend, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'user-agent': 'lbd-probe', connection: 'close', host: fe.probe.host ?? 'lbd-probe' };
    const req = request({ socketPath, path: fe.probe.path, headers, timeout: timeoutMs }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(inRanges(code, fe.probe.status) ? null : `status ${code}`);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => resolve(e.message));
    req.end();
  });
}

function probeTcp(socketPath: string, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const sock = connect(socketPath);
    let settled = false;
    const finish = (err: string | null) => { if (!settled) { settled = true; clearTimeout(t); sock.destroy(); resolve(err); } };
    const t = setTimeout(() => finish(`no connection within ${timeoutMs} ms`), timeoutMs);
    sock.on('connect', () => setTimeout(() => finish(null), Math.min(TCP_HOLD_MS, timeoutMs)));
    sock.on('data', () => finish(null));
    sock.on('end', () => finish('closed by the proxy: no server took the connection'));
    sock.on('error', (e) => finish(e.message));
  });
}

/** TLS pass-through: the handshake with a server completes through the proxy. */
function probeTls(socketPath: string, fe: L7Frontend, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const sock = tlsConnect({ path: socketPath, rejectUnauthorized: false, servername: fe.probe.host });
    let settled = false;
    const finish = (err: string | null) => { if (!settled) { settled = true; clearTimeout(t); sock.destroy(); resolve(err); } };
    const t = setTimeout(() => finish(`no TLS handshake within ${timeoutMs} ms`), timeoutMs);
    sock.on('secureConnect', () => finish(null));
    sock.on('error', (e) => finish(e.message));
    sock.on('close', () => finish('closed by the proxy before the TLS handshake'));
  });
}

export async function probeFrontend(socketPath: string, fe: L7Frontend): Promise<ProbeResult> {
  const start = performance.now();
  const timeoutMs = Math.round(fe.probe.timeout * 1000);
  const err = fe.mode === 'http' ? await probeHttp(socketPath, fe, timeoutMs)
    : fe.probe.tls ? await probeTls(socketPath, fe, timeoutMs) : await probeTcp(socketPath, timeoutMs);
  return { ok: err === null, detail: err ?? 'ok', ms: Math.round(performance.now() - start), at: new Date().toISOString() };
}

export interface FrontendHealthEvents { change: [ok: boolean, detail: string] }

/**
 * Rise/fall over periodic probes. A dead master process counts at once (no
 * waiting for `fall` probes): that is the "killall -0" half of the check.
 */
export class FrontendHealth extends EventEmitter<FrontendHealthEvents> {
  /** Undefined until the first verdict (rise successes or fall failures). */
  ok?: boolean;
  last?: ProbeResult;
  private successes = 0;
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(public frontend: L7Frontend, public socketPath: string, private readonly processAlive: () => boolean) { super(); }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
  }

  /** The proxy process is gone: unhealthy now. */
  processDown(): void {
    this.record({ ok: false, detail: 'proxy process not running', ms: 0, at: new Date().toISOString() }, true);
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    const r = this.processAlive()
      ? await probeFrontend(this.socketPath, this.frontend)
      : { ok: false, detail: 'proxy process not running', ms: 0, at: new Date().toISOString() };
    if (!this.running) return;
    this.record(r, !this.processAlive());
    this.timer = setTimeout(() => void this.tick(), Math.round(this.frontend.probe.interval * 1000));
  }

  private record(r: ProbeResult, immediate: boolean): void {
    this.last = r;
    if (r.ok) { this.successes++; this.failures = 0; } else { this.failures++; this.successes = 0; }
    const { rise, fall } = this.frontend.probe;
    const verdict = r.ok ? (this.successes >= rise ? true : undefined) : (immediate || this.failures >= fall ? false : undefined);
    if (verdict !== undefined && verdict !== this.ok) {
      this.ok = verdict;
      this.emit('change', verdict, r.detail);
    }
  }
}
