/** System facts, logs (recent and live), audit log, support bundle. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { systemInfo, SystemInfoSchema } from '../system-info.js';
import { logFilter, LogQuerySchema } from '../logs.js';
import { openSse } from '../live.js';
import { supportBundle } from '../bundle.js';
import { actorName } from '../context.js';
import { redactLogLine } from '../redact.js';
import { replies } from './schemas.js';
import type { ApiOptions } from './index.js';

const AuditEntrySchema = Type.Object({
  time: Type.String(), user: Type.String(), via: Type.String(), ip: Type.Optional(Type.String()), action: Type.String(),
  target: Type.Optional(Type.String()), result: Type.String(), detail: Type.Optional(Type.String()),
});

export const systemApi: FastifyPluginAsyncTypebox<ApiOptions> = async (app, { ctx }) => {
  app.get('/system', {
    schema: { summary: 'Host name, OS, kernel, IPVS version, interfaces and addresses, CPU, memory, disks, lbd', tags: ['system'], response: replies(SystemInfoSchema) },
  }, async () => systemInfo(ctx));

  app.get('/logs', {
    schema: {
      summary: 'Recent log lines (JSON, newest last), filtered', tags: ['system'], querystring: LogQuerySchema,
      response: replies(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
    },
  }, async (req) => (ctx.ring?.recent(req.query.limit ?? 200, logFilter(req.query)) ?? []).map(redactLogLine));

  app.get('/logs/stream', {
    schema: {
      summary: 'Server-Sent Events: `line` for each new log line matching the filter', tags: ['system'],
      querystring: LogQuerySchema, produces: ['text/event-stream'],
    },
  }, async (req, reply) => {
    const match = logFilter(req.query);
    const listener = (line: Record<string, unknown>) => { if (match(line)) stream.send('line', redactLogLine(line)); };
    const session = req.identity?.session;
    const stream = openSse(req, reply, () => !session || !ctx.sessions.expired(session), () => ctx.ring?.off('line', listener));
    ctx.ring?.on('line', listener);
  });

  app.get('/audit', {
    schema: {
      summary: 'Audit log: changes and logins, newest first', tags: ['system'],
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 200 })) }, { additionalProperties: false }),
      response: replies(Type.Array(AuditEntrySchema)),
    },
  }, async (req) => ctx.audit.recent(req.query.limit ?? 200));

  app.get('/support-bundle', {
    schema: { summary: 'A .tar.gz of config (secrets redacted), status, recent logs, system facts, history and audit', tags: ['system'], produces: ['application/gzip'] },
  }, async (req, reply) => {
    const b = await supportBundle(ctx);
    ctx.audit.record({ user: actorName(req.identity!), via: req.identity!.via, ip: req.ip, action: 'support-bundle', result: 'ok', detail: b.name });
    return reply.type('application/gzip').header('content-disposition', `attachment; filename="${b.name}"`).send(b.stream);
  });
};
