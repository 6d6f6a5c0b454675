/** System facts and the log viewer (recent lines, filter, live tail through /api/v1/logs/stream). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { systemInfo } from '../system-info.js';
import { LEVELS, logFilter, LogQuerySchema } from '../logs.js';
import { redactLogLine } from '../redact.js';
import { sendPage, type PageOptions } from './common.js';

const STANDARD = new Set(['level', 'time', 'msg', 'pid', 'svc', 'subsystem', 'hostname']);

export const systemPages: FastifyPluginAsyncTypebox<PageOptions> = async (app, o) => {
  const { ctx } = o;

  app.get('/system', async (req, reply) => sendPage(reply, o, req, 'system', 'System', 'system', await systemInfo(ctx)));

  app.get('/logs', { schema: { querystring: LogQuerySchema } }, async (req, reply) => {
    const q = req.query;
    const lines = (ctx.ring?.recent(q.limit ?? 300, logFilter(q)) ?? []).map(redactLogLine).map((l) => ({
      time: l.time, level: l.level, subsystem: l.subsystem ?? l.svc, msg: l.msg,
      extra: Object.entries(l).filter(([k]) => !STANDARD.has(k)).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' '),
    }));
    const params = new URLSearchParams(Object.entries(q).filter(([k, v]) => v !== undefined && k !== 'limit').map(([k, v]) => [k, String(v)] as [string, string]));
    return sendPage(reply, o, req, 'logs', 'Logs', 'logs', {
      lines, q, levels: LEVELS.map((l) => ({ value: l, selected: l === q.level })), stream: `/api/v1/logs/stream?${params}`, ring: !!ctx.ring,
    });
  });
};
