/** Operations: maintenance (force BACKUP), real-server and L7-server drain/disable/enable/weight, proxy reload. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actorName, type AdminContext, type Identity } from '../context.js';
import {
  findL7Server, findRealServer, operationTarget, runServerAction,
  type HealthOperations, type ProxyOperations, type ServerAction, type VrrpOperations,
} from '../operations.js';
import { OkSchema, Reason, replies } from './schemas.js';
import type { ApiOptions } from './index.js';

const Action = Type.Union([Type.Literal('drain'), Type.Literal('disable'), Type.Literal('enable'), Type.Literal('weight')], {
  description: 'drain: no new connections (weight 0), existing ones finish; disable: out of service; enable: back in service; weight: set the runtime weight',
});
const Weight = Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'for action "weight"' }));
const METHOD: Record<ServerAction, 'drain' | 'disable' | 'enable' | 'setWeight'> = { drain: 'drain', disable: 'disable', enable: 'enable', weight: 'setWeight' };

interface Who { identity: Identity | null; ip: string }

/** Run an operation with its audit record, whatever the outcome. */
export async function audited(ctx: AdminContext, req: Who, action: string, target: string, run: () => Promise<void>, detail?: string): Promise<{ ok: true; message: string }> {
  const base = { user: actorName(req.identity!), via: req.identity!.via, ip: req.ip, action, target };
  try {
    await run();
  } catch (e) {
    ctx.audit.record({ ...base, result: (e as { statusCode?: number }).statusCode ? 'refused' : 'failed', detail: (e as Error).message });
    throw e;
  }
  ctx.audit.record({ ...base, result: 'ok', ...(detail ? { detail } : {}) });
  ctx.live.mark('operations');
  return { ok: true, message: `${action} ${target}: done` };
}

export function maintenance(ctx: AdminContext, req: Who, on: boolean, reason?: string) {
  return audited(ctx, req, on ? 'maintenance.on' : 'maintenance.off', 'node', async () => {
    await operationTarget<VrrpOperations>(ctx.daemon, 'vrrp', 'setMaintenance').setMaintenance(on);
  }, reason);
}

export function realServerAction(ctx: AdminContext, req: Who, vs: string, rs: string, action: ServerAction, weight?: number) {
  return audited(ctx, req, `real-server.${action}`, `${vs} ${rs}`, async () => {
    findRealServer(ctx.daemon, vs, rs);
    await runServerAction(operationTarget<HealthOperations>(ctx.daemon, 'health', METHOD[action]), action, vs, rs, weight);
  }, weight !== undefined ? `weight ${weight}` : undefined);
}

export function l7ServerAction(ctx: AdminContext, req: Who, backend: string, server: string, action: ServerAction, weight?: number) {
  return audited(ctx, req, `l7-server.${action}`, `${backend}/${server}`, async () => {
    findL7Server(ctx.daemon, backend, server);
    await runServerAction(operationTarget<ProxyOperations>(ctx.daemon, 'proxy', METHOD[action]), action, backend, server, weight);
  }, weight !== undefined ? `weight ${weight}` : undefined);
}

export function proxyReload(ctx: AdminContext, req: Who) {
  return audited(ctx, req, 'proxy.reload', 'haproxy/nginx', async () => {
    await operationTarget<ProxyOperations>(ctx.daemon, 'proxy', 'reload').reload();
  });
}

export const operationsApi: FastifyPluginAsyncTypebox<ApiOptions> = async (app, { ctx }) => {
  app.post('/ops/maintenance', {
    schema: {
      summary: 'Force this node to BACKUP (on: true) or release it (on: false)', tags: ['operations'],
      body: Type.Object({ on: Type.Boolean(), reason: Reason }, { additionalProperties: false }), response: replies(OkSchema),
    },
  }, async (req) => maintenance(ctx, req, req.body.on, req.body.reason));

  app.post('/ops/real-server', {
    schema: {
      summary: 'Drain, disable, enable or re-weight a real server of a virtual service (runtime; the config is unchanged)', tags: ['operations'],
      body: Type.Object({
        virtual_server: Type.String({ minLength: 1, maxLength: 200, description: 'virtual server name as in /status' }),
        real_server: Type.String({ minLength: 1, maxLength: 100, description: 'ADDRESS:PORT ([v6]:PORT)' }),
        action: Action, weight: Weight,
      }, { additionalProperties: false }),
      response: replies(OkSchema),
    },
  }, async (req) => realServerAction(ctx, req, req.body.virtual_server, req.body.real_server, req.body.action, req.body.weight));

  app.post('/ops/l7-server', {
    schema: {
      summary: 'Drain, disable, enable or re-weight a server of an L7 backend (runtime)', tags: ['operations'],
      body: Type.Object({
        backend: Type.String({ minLength: 1, maxLength: 64 }), server: Type.String({ minLength: 1, maxLength: 64 }), action: Action, weight: Weight,
      }, { additionalProperties: false }),
      response: replies(OkSchema),
    },
  }, async (req) => l7ServerAction(ctx, req, req.body.backend, req.body.server, req.body.action, req.body.weight));

  app.post('/ops/proxy/reload', {
    schema: { summary: 'Reload HAProxy/Nginx with the running config', tags: ['operations'], response: replies(OkSchema) },
  }, async (req) => proxyReload(ctx, req));
};
