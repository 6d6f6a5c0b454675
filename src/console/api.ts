/**
 * The console's only way to lbd: the admin API (/api/v1) over lbd's local
 * Unix socket, where opening the socket is the authentication (identity
 * "console"). JSON requests with timeouts, errors carrying lbd's message, and
 * Server-Sent Event streams that reconnect on their own.
 */
import { request, type IncomingMessage, type ClientRequest } from 'node:http';

export const DEFAULT_SOCKET = '/run/lb-appliance/lbd.sock';

export interface ApiDiagnostic { severity: string; message: string; path?: (string | number)[]; line?: number }

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly diagnostics: ApiDiagnostic[] = []) { super(message); }
}

/** Why the socket could not be used, in words an operator can act on. */
function connectionProblem(socket: string, e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT': return `lbd is not running (no socket ${socket})`;
    case 'ECONNREFUSED': return `lbd is not answering on ${socket}`;
    case 'EACCES': return `permission denied on ${socket}: this user must be in lbd's socket group (lbadmin)`;
    default: return `cannot reach lbd on ${socket}: ${e.message}`;
  }
}

export interface SseHandlers {
  event(name: string, data: unknown): void;
  /** The stream is up (true) or lost (false, with the reason); it reconnects by itself. */
  state?(up: boolean, problem?: string): void;
}

export interface SseStream { close(): void }

export class ApiClient {
  constructor(readonly socket = DEFAULT_SOCKET) {}

  call<T>(method: string, path: string, body?: unknown, timeoutMs = 20_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request({
        socketPath: this.socket, method, path: `/api/v1${path}`,
        headers: { accept: 'application/json', ...(data ? { 'content-type': 'application/json' } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(json as T);
          const err = json as { message?: string; diagnostics?: ApiDiagnostic[] } | undefined;
          reject(new ApiError(status, err?.message ?? `lbd answered ${status}`, err?.diagnostics ?? []));
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`lbd did not answer ${method} ${path} within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })));
      req.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ETIMEDOUT' ? new ApiError(0, e.message) : new ApiError(0, connectionProblem(this.socket, e))));
      req.end(data);
    });
  }

  get<T>(path: string): Promise<T> { return this.call<T>('GET', path); }
  post<T>(path: string, body: unknown = {}, timeoutMs?: number): Promise<T> { return this.call<T>('POST', path, body, timeoutMs); }
  put<T>(path: string, body: unknown, timeoutMs?: number): Promise<T> { return this.call<T>('PUT', path, body, timeoutMs); }

  /** Follow an SSE endpoint until close(); reconnects after a loss (every `retryMs`). */
  stream(path: string, h: SseHandlers, retryMs = 2000): SseStream {
    let closed = false;
    let req: ClientRequest | undefined;
    let retry: NodeJS.Timeout | undefined;
    const again = (problem: string) => {
      if (closed) return;
      h.state?.(false, problem);
      retry = setTimeout(connect, retryMs);
    };
    const connect = () => {
      if (closed) return;
      let buf = '';
      let lost = false;
      const lose = (problem: string) => { if (!lost) { lost = true; again(problem); } };
      req = request({ socketPath: this.socket, path: `/api/v1${path}`, headers: { accept: 'text/event-stream' } }, (res: IncomingMessage) => {
        if (res.statusCode !== 200) { res.resume(); lose(`lbd answered ${res.statusCode} to ${path}`); return; }
        h.state?.(true);
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let name = 'message', data = '';
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) name = line.slice(6).trim();
              else if (line.startsWith('data:')) data += line.slice(5).trim();
            }
            if (!data) continue;
            try { h.event(name, JSON.parse(data)); } catch { /* not JSON: ignore */ }
          }
        });
        res.on('close', () => lose('lbd closed the event stream'));
        res.on('error', () => undefined);
      });
      req.on('error', (e: NodeJS.ErrnoException) => lose(connectionProblem(this.socket, e)));
      req.end();
    };
    connect();
    return {
      close: () => {
        closed = true;
        if (retry) clearTimeout(retry);
        req?.destroy();
      },
    };
  }
}
