/** /api/v1: every API route, each group an encapsulated plugin sharing the admin context. */
import type { FastifyPluginAsync } from 'fastify';
import type { AdminContext } from '../context.js';
import { statusApi } from './status.js';
import { configApi } from './config.js';
import { operationsApi } from './operations.js';
import { systemApi } from './system.js';
import { accountsApi } from './accounts.js';
import { hostApi } from './host.js';

export interface ApiOptions { ctx: AdminContext }

export const apiV1: FastifyPluginAsync<ApiOptions> = async (app, { ctx }) => {
  // Not the received options object: it carries this plugin's prefix, which must not apply twice.
  const opts = { ctx };
  await app.register(statusApi, opts);
  await app.register(configApi, opts);
  await app.register(operationsApi, opts);
  await app.register(systemApi, opts);
  await app.register(accountsApi, opts);
  await app.register(hostApi, opts);
  app.get('/openapi.json', { schema: { summary: 'This API\'s OpenAPI 3 description', tags: ['meta'] } }, async (_req, reply) =>
    reply.type('application/json').send(JSON.stringify(app.swagger(), null, 2)));
};
