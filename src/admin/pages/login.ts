/**
 * Login, logout and first-account setup. Failed logins are throttled per
 * address and lock the account after repeated failures (auth/throttle.ts);
 * every attempt is audited. A successful login gets a new session id.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sessionCookieName } from '../auth/hooks.js';
import { redirect, safeNext, sendPage, type PageOptions } from './common.js';

const Field = (max = 1024) => Type.String({ maxLength: max });

export const loginPages: FastifyPluginAsyncTypebox<PageOptions> = async (app, o) => {
  const { ctx, transport } = o;
  const cookieName = sessionCookieName(transport.secure);

  const startSession = (req: FastifyRequest, reply: FastifyReply, user: string) => {
    const old = req.cookies[cookieName];
    if (old) ctx.sessions.destroy(old);
    const s = ctx.sessions.create(user);
    reply.setCookie(cookieName, s.id, { path: '/', httpOnly: true, secure: transport.secure, sameSite: 'strict' });
  };

  const loginForm = (req: FastifyRequest, reply: FastifyReply, data: object, status = 200) =>
    sendPage(reply, o, req, 'login', 'Log in', '', data, status);

  app.get('/login', {
    config: { public: true },
    schema: { querystring: Type.Object({ next: Type.Optional(Field(2048)) }) },
  }, async (req, reply) => {
    if (!ctx.accounts.hasUsers()) return redirect(reply, '/setup');
    return loginForm(req, reply, { next: safeNext(req.query.next) });
  });

  app.post('/login', {
    config: { public: true },
    schema: { body: Type.Object({ user: Field(64), password: Field(), next: Type.Optional(Field(2048)) }) },
  }, async (req, reply) => {
    const user = req.body.user.trim().toLowerCase();
    const next = safeNext(req.body.next);
    const audit = (result: 'ok' | 'refused', detail?: string) =>
      ctx.audit.record({ user: user || '-', via: 'login', ip: req.ip, action: 'login', result, ...(detail ? { detail } : {}) });
    const wait = ctx.throttle.blockedFor(req.ip, user);
    if (wait > 0) {
      audit('refused', 'throttled');
      reply.header('retry-after', String(Math.ceil(wait / 1000)));
      return loginForm(req, reply, { next, user, error: `Too many failed attempts. Try again in ${Math.ceil(wait / 1000)} s.` }, 429);
    }
    if (user && await ctx.accounts.verify(user, req.body.password)) {
      ctx.throttle.success(user);
      startSession(req, reply, user);
      audit('ok');
      return redirect(reply, next);
    }
    const locked = ctx.throttle.failure(req.ip, user);
    audit('refused', locked ? 'wrong password; account locked' : 'wrong user name or password');
    if (locked) ctx.log.warn({ user, ip: req.ip }, 'admin account locked after repeated failed logins');
    return loginForm(req, reply, { next, user, error: 'Wrong user name or password.' }, 401);
  });

  app.post('/logout', { schema: { body: Type.Object({ _csrf: Field(100) }) } }, async (req, reply) => {
    const s = req.identity?.session;
    if (s) ctx.sessions.destroy(s.id);
    reply.clearCookie(cookieName, { path: '/', httpOnly: true, secure: transport.secure, sameSite: 'strict' });
    ctx.audit.record({ user: req.identity!.user, via: req.identity!.via, ip: req.ip, action: 'logout', result: 'ok' });
    return redirect(reply, '/login');
  });

  app.get('/setup', { config: { public: true } }, async (req, reply) => {
    if (ctx.accounts.hasUsers()) return redirect(reply, '/login');
    return sendPage(reply, o, req, 'setup', 'First account', '', {});
  });

  app.post('/setup', {
    config: { public: true },
    schema: { body: Type.Object({ token: Field(100), user: Field(64), password: Field(), password2: Field() }) },
  }, async (req, reply) => {
    const user = req.body.user.trim().toLowerCase();
    const fail = (error: string, status: number) => sendPage(reply, o, req, 'setup', 'First account', '', { user, error }, status);
    if (ctx.accounts.hasUsers()) return redirect(reply, '/login');
    // The setup token is a password too: guesses count against this address.
    const wait = ctx.throttle.blockedFor(req.ip, '(setup)');
    if (wait > 0) return fail(`Too many failed attempts. Try again in ${Math.ceil(wait / 1000)} s.`, 429);
    if (req.body.password !== req.body.password2) return fail('The two passwords differ.', 400);
    try {
      await ctx.accounts.completeSetup(req.body.token.trim(), user, req.body.password);
    } catch (e) {
      const status = (e as { statusCode?: number }).statusCode ?? 400;
      if (status === 403) ctx.throttle.failure(req.ip, '(setup)');
      ctx.audit.record({ user: user || '-', via: 'setup', ip: req.ip, action: 'account.setup', result: 'refused', detail: (e as Error).message });
      return fail((e as Error).message, status);
    }
    ctx.audit.record({ user, via: 'setup', ip: req.ip, action: 'account.setup', target: user, result: 'ok', detail: 'first account created with the setup token' });
    ctx.log.info({ user }, 'first admin account created; the setup token is spent');
    startSession(req, reply, user);
    return redirect(reply, '/');
  });
};
