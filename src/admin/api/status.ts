/** Status: the view every client shows, the raw hub sections, and a change stream. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { StatusViewSchema, type StatusView } from '../status/schemas.js';
import { openSse } from '../live.js';
import { redactDeep } from '../redact.js';
import { replies } from './schemas.js';
import type { ApiOptions } from './index.js';

export const statusApi: FastifyPluginAsyncTypebox<ApiOptions> = async (app, { ctx }) => {
  app.get('/status', {
    schema: { summary: 'Node, VRRP instances, virtual services with real servers, L7 frontends/backends', tags: ['status'], response: replies(StatusViewSchema) },
  // Sent as the cache's JSON text (built once per change; test/unit/admin-api checks it against StatusViewSchema).
  // A string payload is sent as it is (the type provider only knows the object form).
  }, async (_req, reply) => reply.type('application/json; charset=utf-8').send(ctx.status.json() as unknown as StatusView));

  app.get('/status/sections', {
    schema: {
      summary: 'The status hub\'s sections exactly as the subsystems publish them (secrets redacted), for debugging',
      tags: ['status'], response: replies(Type.Record(Type.String(), Type.Unknown())),
    },
  }, async () => redactDeep(ctx.daemon.status.snapshot()) as Record<string, unknown>);

  app.get('/events', {
    schema: {
      summary: 'Server-Sent Events: `change` with {sections: [...]} whenever status sections (or "config") changed; re-read /status then',
      tags: ['status'], produces: ['text/event-stream'],
    },
  }, async (req, reply) => {
    const listener = (sections: string[]) => stream.send('change', { sections });
    const session = req.identity?.session;
    const stream = openSse(req, reply, () => !session || !ctx.sessions.expired(session), () => ctx.live.off('sections', listener));
    ctx.live.on('sections', listener);
    stream.send('hello', { generation: ctx.live.generation });
  });
};
