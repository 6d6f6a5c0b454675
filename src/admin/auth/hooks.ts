/**
 * Who is asking, and may they: installed on the root of the admin app.
 * - Unix socket: everyone who can open it is "console" (the file mode is the authentication).
 * - TCP: `Authorization: Bearer <API token>`, else the session cookie.
 * Every route not marked `config.public` refuses an anonymous request: 401 for
 * the API and /metrics, a redirect to the login page for pages. Requests that
 * change state with a session (a browser) must carry the session's CSRF token
 * (form field `_csrf` or header `x-csrf-token`) and, when the browser sends an
 * Origin, come from this origin.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdminContext } from '../context.js';
import { csrfMatches } from './sessions.js';

import type { IncomingMessage } from 'node:http';

/** How the app is served: `secure` when the network listener is HTTPS (cookie flags, Origin check). */
export interface Transport { secure: boolean }

/** Marks requests that arrived on the local Unix socket (set by its server before Fastify sees them). */
const viaSocket = new WeakSet<IncomingMessage>();
export const markSocketRequest = (req: IncomingMessage) => { viaSocket.add(req); };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const sessionCookieName = (secure: boolean) => (secure ? '__Host-lbd_session' : 'lbd_session');

export const isApiPath = (url: string) => url.startsWith('/api/') || url === '/metrics' || url.startsWith('/metrics?');

function refuse(req: FastifyRequest, reply: FastifyReply, status: number, message: string): FastifyReply {
  if (isApiPath(req.url) || req.headers.accept?.includes('application/json') || req.headers.accept === 'text/event-stream')
    return reply.code(status).type('application/json').send({ statusCode: status, error: status === 401 ? 'Unauthorized' : 'Forbidden', message });
  if (status === 401) {
    const next = req.method === 'GET' ? `?next=${encodeURIComponent(req.url)}` : '';
    return reply.code(303).header('location', `/login${next}`).send();
  }
  return reply.code(status).type('text/plain; charset=utf-8').send(message);
}

export function installAuth(app: FastifyInstance, ctx: AdminContext, transport: Transport): void {
  const cookieName = sessionCookieName(transport.secure);
  app.decorateRequest('identity', null);

  app.addHook('onRequest', async (req, reply) => {
    if (viaSocket.has(req.raw)) {
      req.identity = { user: 'console', via: 'socket' };
      return;
    }
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth);
      const t = m ? ctx.accounts.checkToken(m[1]!) : undefined;
      if (!t) return refuse(req, reply, 401, 'invalid, revoked or expired API token');
      req.identity = { user: t.user, via: 'token', token: t.name };
    } else {
      const s = ctx.sessions.get(req.cookies[cookieName]);
      if (s) req.identity = { user: s.user, via: 'session', session: s };
    }
    if (req.routeOptions.config?.public) return;
    if (!req.identity) return refuse(req, reply, 401, 'log in first (session cookie) or send an API token (Authorization: Bearer ...)');
  });

  // After body parsing, so a form's hidden _csrf field can be read.
  app.addHook('preValidation', async (req, reply) => {
    if (viaSocket.has(req.raw) || SAFE_METHODS.has(req.method)) return;
    const origin = req.headers.origin;
    if (origin !== undefined && req.identity?.via !== 'token' && origin !== `${transport.secure ? 'https' : 'http'}://${req.headers.host}`)
      return refuse(req, reply, 403, `cross-site request refused (Origin ${origin})`);
    const s = req.identity?.session;
    if (!s || req.routeOptions.config?.public) return;
    const presented = req.headers['x-csrf-token'] ?? (req.body as Record<string, unknown> | undefined)?._csrf;
    if (!csrfMatches(s, presented)) return refuse(req, reply, 403, 'missing or wrong CSRF token: reload the page and try again');
  });
}
