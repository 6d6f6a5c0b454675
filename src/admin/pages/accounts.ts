/** Accounts and API tokens in the browser (same rules as /api/v1/users and /api/v1/tokens). */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { actorName } from '../context.js';
import { setPassword } from '../api/accounts.js';
import { flash, redirect, sendPage, type PageOptions } from './common.js';

const S = (max = 1024) => Type.String({ maxLength: max });

export const accountPages: FastifyPluginAsyncTypebox<PageOptions> = async (app, o) => {
  const { ctx } = o;
  const page = (req: FastifyRequest, reply: FastifyReply, extra: object = {}) =>
    sendPage(reply, o, req, 'accounts', 'Accounts', 'accounts', { users: ctx.accounts.users(), tokens: ctx.accounts.tokens(), me: req.identity!.user, ...extra });
  const attempt = async (req: FastifyRequest, reply: FastifyReply, op: () => Promise<string> | string) => {
    try { flash(req, await op()); } catch (e) { flash(req, (e as Error).message, 'bad'); }
    return redirect(reply, '/accounts');
  };

  app.get('/accounts', async (req, reply) => page(req, reply));

  app.post('/accounts/password', { schema: { body: Type.Object({ _csrf: S(100), name: S(64), password: S(), password2: S(), current_password: Type.Optional(S()) }) } },
    async (req, reply) => attempt(req, reply, async () => {
      if (req.body.password !== req.body.password2) throw new Error('The two passwords differ.');
      const name = req.body.name.trim().toLowerCase();
      const r = await setPassword(ctx, req, name, req.body.password, req.body.current_password);
      return r === 'created' ? `Account ${name} created.` : `Password of ${name} changed; its other sessions were ended.`;
    }));

  app.post('/accounts/delete', { schema: { body: Type.Object({ _csrf: S(100), name: S(64) }) } }, async (req, reply) => attempt(req, reply, () => {
    ctx.accounts.deleteUser(req.body.name);
    ctx.sessions.destroyUser(req.body.name);
    ctx.audit.record({ user: actorName(req.identity!), via: req.identity!.via, ip: req.ip, action: 'account.delete', target: req.body.name, result: 'ok' });
    return `Account ${req.body.name} removed.`;
  }));

  app.post('/accounts/tokens', { schema: { body: Type.Object({ _csrf: S(100), name: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }), expires_days: Type.Optional(Type.String({ pattern: '^\\d{0,4}$' })) }) } },
    async (req, reply) => {
      try {
        const t = ctx.accounts.createToken(req.identity!.user, req.body.name, req.body.expires_days ? Number(req.body.expires_days) : undefined);
        ctx.audit.record({ user: actorName(req.identity!), via: req.identity!.via, ip: req.ip, action: 'token.create', target: `${req.identity!.user}/${req.body.name}`, result: 'ok', detail: `id ${t.id}` });
        // Shown once, on this response only; never stored in clear.
        return page(req, reply, { newToken: t.token, newTokenName: req.body.name });
      } catch (e) {
        flash(req, (e as Error).message, 'bad');
        return redirect(reply, '/accounts');
      }
    });

  app.post('/accounts/tokens/revoke', { schema: { body: Type.Object({ _csrf: S(100), id: Type.String({ pattern: '^[0-9a-f]{12}$' }) }) } }, async (req, reply) => attempt(req, reply, () => {
    const t = ctx.accounts.revokeToken(req.body.id);
    ctx.audit.record({ user: actorName(req.identity!), via: req.identity!.via, ip: req.ip, action: 'token.revoke', target: `${t.user}/${t.name}`, result: 'ok', detail: `id ${t.id}` });
    return `Token ${t.name} revoked.`;
  }));
};
