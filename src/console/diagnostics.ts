/**
 * Reachability checks from this node, run by the console itself (as the
 * unprivileged console user): ping (iputils, which carries its own raw-socket
 * capability), a TCP connect, an HTTP(S) GET. Targets are checked first and
 * passed as arguments, never through a shell. Output arrives line by line.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { isHost, parseEndpoint } from '../util/ip.js';

export type DiagKind = 'ping' | 'tcp' | 'http';
export type Emit = (line: string, bad?: boolean) => void;

export const PING = '/usr/bin/ping';

/** Why `target` is not acceptable for `kind`, or null. */
export function targetProblem(kind: DiagKind, target: string): string | null {
  const t = target.trim();
  if (!t) return 'a target is required';
  if (kind === 'ping') return isHost(t) && !t.startsWith('-') ? null : `"${t}" is not a host name or IP address`;
  if (kind === 'tcp') {
    const e = parseEndpoint(t);
    return e && e.host !== '*' ? null : `"${t}" is not HOST:PORT (IPv6 as [ADDRESS]:PORT, port 1-65535)`;
  }
  let u: URL;
  try { u = new URL(t); } catch { return `"${t}" is not a URL (http://HOST[:PORT]/PATH)`; }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'only http:// and https:// URLs';
  if (!u.hostname) return 'the URL has no host';
  return null;
}

const errText = (e: NodeJS.ErrnoException) => ({
  ECONNREFUSED: 'connection refused (nothing listens there, or a firewall rejects)',
  EHOSTUNREACH: 'host unreachable (no route, or no ARP answer)',
  ENETUNREACH: 'network unreachable (no route)',
  ETIMEDOUT: 'timed out',
  ENOTFOUND: 'name not found (DNS)',
  EAI_AGAIN: 'name lookup failed (DNS not answering)',
} as Record<string, string>)[e.code ?? ''] ?? e.message;

function ping(host: string, emit: Emit, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const p = spawn(PING, ['-c', '4', '-W', '2', '-n', '--', host], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin', LANG: 'C' } });
    const lines = (bad: boolean) => { let buf = ''; return (d: Buffer) => { buf += d.toString(); const parts = buf.split('\n'); buf = parts.pop()!; for (const l of parts) emit(l, bad); }; };
    p.stdout.on('data', lines(false));
    p.stderr.on('data', lines(true));
    const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
    signal.addEventListener('abort', () => p.kill('SIGINT'), { once: true });
    p.on('error', (e) => { clearTimeout(timer); emit(`cannot run ${PING}: ${e.message} (package iputils-ping)`, true); resolve(); });
    p.on('close', (code) => { clearTimeout(timer); emit(code === 0 ? 'ping: the host answered' : `ping: no answer (exit ${code})`, code !== 0); resolve(); });
  });
}

function tcp(target: string, emit: Emit, signal: AbortSignal): Promise<void> {
  const { host, port } = parseEndpoint(target)!;
  return new Promise((resolve) => {
    const t0 = performance.now();
    emit(`connecting to ${host} port ${port} ...`);
    const sock = connect({ host, port, timeout: 5000 });
    const end = (line: string, bad: boolean) => { sock.destroy(); emit(line, bad); resolve(); };
    signal.addEventListener('abort', () => end('cancelled', true), { once: true });
    sock.once('connect', () => end(`connected to ${sock.remoteAddress} port ${sock.remotePort} from ${sock.localAddress}:${sock.localPort} in ${(performance.now() - t0).toFixed(1)} ms`, false));
    sock.once('timeout', () => end('no answer within 5 s (filtered, or the host is down)', true));
    sock.once('error', (e: NodeJS.ErrnoException) => end(`failed: ${errText(e)}`, true));
  });
}

function http(target: string, emit: Emit, signal: AbortSignal): Promise<void> {
  const u = new URL(target);
  return new Promise((resolve) => {
    const t0 = performance.now();
    let finished = false;
    const end = (line?: string, bad = false) => { if (finished) return; finished = true; if (line) emit(line, bad); resolve(); };
    emit(`GET ${u.href}`);
    const opts = { method: 'GET', headers: { 'user-agent': 'lb-appliance-console', accept: '*/*' }, timeout: 10_000, signal };
    // Certificates are checked and reported, not enforced: the point is to see what the server answers.
    const req = u.protocol === 'https:' ? httpsRequest(u, { ...opts, rejectUnauthorized: false }) : httpRequest(u, opts);
    req.on('response', (res: IncomingMessage) => {
      const ms = (performance.now() - t0).toFixed(1);
      emit(`HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage ?? ''} in ${ms} ms from ${res.socket.remoteAddress}`, (res.statusCode ?? 0) >= 400);
      const tls = res.socket as TLSSocket;
      if (u.protocol === 'https:') emit(tls.authorized ? 'certificate: valid for this name' : `certificate: NOT trusted (${tls.authorizationError ?? 'unknown reason'})`, !tls.authorized);
      for (let i = 0; i < res.rawHeaders.length; i += 2) emit(`  ${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { if (body.length < 2048) body += d; else res.destroy(); });
      res.on('close', () => {
        const lines = body.slice(0, 2048).split('\n').slice(0, 15);
        emit(`body (first ${lines.length} lines):`);
        for (const l of lines) emit(`  ${l}`);
        end();
      });
    });
    req.on('timeout', () => { req.destroy(); end('no answer within 10 s', true); });
    req.on('error', (e: NodeJS.ErrnoException) => end(signal.aborted ? 'cancelled' : `failed: ${errText(e)}`, true));
    req.end();
  });
}

export function runDiagnostic(kind: DiagKind, target: string, emit: Emit, signal: AbortSignal): Promise<void> {
  const t = target.trim();
  const problem = targetProblem(kind, t);
  if (problem) { emit(problem, true); return Promise.resolve(); }
  return kind === 'ping' ? ping(t, emit, signal) : kind === 'tcp' ? tcp(t, emit, signal) : http(t, emit, signal);
}
