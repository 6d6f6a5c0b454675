/**
 * Accounts and API tokens. Every account is an administrator (the appliance
 * has one role). The console (Unix socket) can set any password, which is how
 * a forgotten one is reset.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { USER_PATTERN } from '../auth/accounts.js';
import { PASSWORD_MAX } from '../auth/passwords.js';
import { actorName, HttpError, type AdminContext, type Identity } from '../context.js';
import { OkSchema, replies } from './schemas.js';
import type { ApiOptions } from './index.js';

const UserName = Type.String({ pattern: USER_PATTERN });
interface Who { identity: Identity | null; ip: string }

export async function setPassword(ctx: AdminContext, req: Who, name: string, password: string, current?: string): Promise<string> {
  const id = req.identity!;
  const base = { user: actorName(id), via: id.via, ip: req.ip, action: 'account.password', target: name };
  // Someone holding only a browser session must prove they know the password they replace.
  if (id.via === 'session' && id.user === name && !(current !== undefined && await ctx.accounts.verify(name, current))) {
    ctx.audit.record({ ...base, result: 'refused', detail: 'current password missing or wrong' });
    throw new HttpError(403, 'to change your own password, give your current password');
  }
  try {
    const r = await ctx.accounts.setPassword(name, password);
    ctx.sessions.destroyUser(name, id.session?.id);
    ctx.throttle.unlock(name);
    ctx.audit.record({ ...base, result: 'ok', detail: r === 'created' ? 'account created' : 'password changed; other sessions ended' });
    return r;
  } catch (e) {
    ctx.audit.record({ ...base, result: 'refused', detail: (e as Error).message });
    throw e;
  }
}

export const accountsApi: FastifyPluginAsyncTypebox<ApiOptions> = async (app, { ctx }) => {
  const audit = (req: Who, action: string, target: string, detail?: string) =>
    ctx.audit.record({ user: actorName(req.identity!), via: req.identity!.via, ip: req.ip, action, target, result: 'ok', ...(detail ? { detail } : {}) });

  app.get('/session', {
    schema: { summary: 'Who you are authenticated as', tags: ['accounts'], response: replies(Type.Object({ user: Type.String(), via: Type.String() })) },
  }, async (req) => ({ user: req.identity!.user, via: req.identity!.via }));

  app.get('/users', {
    schema: {
      summary: 'Local accounts', tags: ['accounts'],
      response: replies(Type.Array(Type.Object({ name: Type.String(), created: Type.String(), password_changed: Type.String() }))),
    },
  }, async () => ctx.accounts.users());

  app.put('/users/:name/password', {
    schema: {
      summary: 'Create an account or set its password (ends its other sessions, lifts a lockout)', tags: ['accounts'],
      params: Type.Object({ name: UserName }),
      body: Type.Object({
        password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
        current_password: Type.Optional(Type.String({ maxLength: PASSWORD_MAX, description: 'required when changing your own password from a browser session' })),
      }, { additionalProperties: false }),
      response: replies(OkSchema),
    },
  }, async (req) => {
    const r = await setPassword(ctx, req, req.params.name, req.body.password, req.body.current_password);
    return { ok: true, message: r === 'created' ? `account ${req.params.name} created` : `password of ${req.params.name} changed` };
  });

  app.delete('/users/:name', {
    schema: { summary: 'Remove an account and its API tokens', tags: ['accounts'], params: Type.Object({ name: UserName }), response: replies(OkSchema) },
  }, async (req) => {
    ctx.accounts.deleteUser(req.params.name);
    ctx.sessions.destroyUser(req.params.name);
    audit(req, 'account.delete', req.params.name);
    return { ok: true, message: `account ${req.params.name} removed` };
  });

  const TokenInfo = Type.Object({ id: Type.String(), name: Type.String(), user: Type.String(), created: Type.String(), expires: Type.Union([Type.String(), Type.Null()]) });

  app.get('/tokens', {
    schema: { summary: 'API tokens (never their secrets)', tags: ['accounts'], response: replies(Type.Array(TokenInfo)) },
  }, async () => ctx.accounts.tokens());

  app.post('/tokens', {
    schema: {
      summary: 'Create an API token for yourself; the secret is shown only in this response', tags: ['accounts'],
      body: Type.Object({
        name: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
        expires_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
      }, { additionalProperties: false }),
      response: replies(Type.Object({ id: Type.String(), token: Type.String(), expires: Type.Union([Type.String(), Type.Null()]) }), 201),
    },
  }, async (req, reply) => {
    const t = ctx.accounts.createToken(req.identity!.user, req.body.name, req.body.expires_days);
    audit(req, 'token.create', `${req.identity!.user}/${req.body.name}`, `id ${t.id}`);
    return reply.code(201).send(t);
  });

  app.delete('/tokens/:id', {
    schema: { summary: 'Revoke an API token', tags: ['accounts'], params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{12}$' }) }), response: replies(OkSchema) },
  }, async (req) => {
    const t = ctx.accounts.revokeToken(req.params.id);
    audit(req, 'token.revoke', `${t.user}/${t.name}`, `id ${t.id}`);
    return { ok: true, message: `token ${t.name} of ${t.user} revoked` };
  });
};
