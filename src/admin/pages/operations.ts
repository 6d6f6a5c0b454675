/** Operations in the browser: the same calls as /api/v1/ops, with the outcome shown as a message. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { l7ServerAction, maintenance, proxyReload, realServerAction } from '../api/operations.js';
import type { ServerAction } from '../operations.js';
import { HttpError } from '../context.js';
import { flash, redirect, sendPage, type PageOptions } from './common.js';

const Action = Type.Union([Type.Literal('drain'), Type.Literal('disable'), Type.Literal('enable'), Type.Literal('weight')]);
const WeightText = Type.Optional(Type.String({ pattern: '^\\d{0,5}$' }));

export const operationsPages: FastifyPluginAsyncTypebox<PageOptions> = async (app, o) => {
  const { ctx } = o;

  const run = async (req: FastifyRequest, reply: FastifyReply, op: () => Promise<{ message: string }>) => {
    try {
      flash(req, (await op()).message);
    } catch (e) {
      flash(req, (e as Error).message, 'bad');
    }
    return redirect(reply, '/operations');
  };
  const weightOf = (action: ServerAction, w?: string) => {
    if (action !== 'weight') return undefined;
    if (!w || Number(w) > 65535) throw new HttpError(400, 'give a weight from 0 to 65535');
    return Number(w);
  };

  app.get('/operations', async (req, reply) => {
    const view = ctx.status.view();
    const has = (name: string) => !!ctx.daemon.get(name);
    return sendPage(reply, o, req, 'operations', 'Operations', 'operations', {
      ...view, vrrpRunning: has('vrrp'), healthRunning: has('health'), proxyRunning: has('proxy'),
    });
  });

  app.post('/operations/maintenance', { schema: { body: Type.Object({ _csrf: Type.String(), on: Type.Union([Type.Literal('true'), Type.Literal('false')]) }) } },
    async (req, reply) => run(req, reply, () => maintenance(ctx, req, req.body.on === 'true')));

  app.post('/operations/real-server', {
    schema: { body: Type.Object({ _csrf: Type.String(), virtual_server: Type.String({ maxLength: 200 }), real_server: Type.String({ maxLength: 100 }), action: Action, weight: WeightText }) },
  }, async (req, reply) => run(req, reply, () => realServerAction(ctx, req, req.body.virtual_server, req.body.real_server, req.body.action, weightOf(req.body.action, req.body.weight))));

  app.post('/operations/l7-server', {
    schema: { body: Type.Object({ _csrf: Type.String(), backend: Type.String({ maxLength: 64 }), server: Type.String({ maxLength: 64 }), action: Action, weight: WeightText }) },
  }, async (req, reply) => run(req, reply, () => l7ServerAction(ctx, req, req.body.backend, req.body.server, req.body.action, weightOf(req.body.action, req.body.weight))));

  app.post('/operations/proxy-reload', { schema: { body: Type.Object({ _csrf: Type.String() }) } },
    async (req, reply) => run(req, reply, () => proxyReload(ctx, req)));
};
