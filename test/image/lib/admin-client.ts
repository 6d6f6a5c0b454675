/**
 * The admin UI of a booted appliance over HTTPS on a forwarded port, as a browser would
 * use it: the certificate (self-signed, checked against the fingerprint the console
 * printed), /setup with the one-time token, then the session cookie for /api/v1.
 */
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string; fingerprint256: string }

export function httpsRequest(port: number, method: string, path: string, opts: { body?: string; cookie?: string; timeoutMs?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port, method, path, rejectUnauthorized: false, timeout: opts.timeoutMs ?? 15_000,
      headers: {
        ...(opts.body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(opts.body) } : {}),
        ...(opts.cookie ? { cookie: opts.cookie } : {}),
        origin: `https://127.0.0.1:${port}`,
      },
    }, (res) => {
      const fingerprint256 = (res.socket as TLSSocket).getPeerCertificate().fingerprint256 ?? '';
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, fingerprint256 }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** Create the first account with the setup token; returns the session cookie. */
export async function setupFirstAccount(port: number, token: string, user: string, password: string): Promise<string> {
  const body = new URLSearchParams({ token, user, password, password2: password }).toString();
  const r = await httpsRequest(port, 'POST', '/setup', { body });
  if (r.status !== 302 && r.status !== 303) throw new Error(`POST /setup: ${r.status} ${r.body.slice(0, 300)}`);
  const set = ([] as string[]).concat(r.headers['set-cookie'] ?? []);
  const cookie = set.map((c) => c.split(';')[0]).find((c) => c.includes('session'));
  if (!cookie) throw new Error(`POST /setup set no session cookie: ${set.join(' | ')}`);
  return cookie;
}

export interface VrrpView { name: string; state: string; vips: string[] }

export async function vrrpStatus(port: number, cookie: string): Promise<VrrpView[]> {
  const r = await httpsRequest(port, 'GET', '/api/v1/status', { cookie, timeoutMs: 8_000 });
  if (r.status !== 200) throw new Error(`GET /api/v1/status: ${r.status} ${r.body.slice(0, 300)}`);
  return (JSON.parse(r.body) as { vrrp: VrrpView[] }).vrrp;
}
