/** The browser UI: server-rendered pages, each group an encapsulated plugin. */
import type { FastifyPluginAsync } from 'fastify';
import type { PageOptions } from './common.js';
import { loginPages } from './login.js';
import { dashboardPages } from './dashboard.js';
import { configPages } from './config.js';
import { historyPages } from './history.js';
import { operationsPages } from './operations.js';
import { systemPages } from './system.js';
import { accountPages } from './accounts.js';

export const pages: FastifyPluginAsync<PageOptions> = async (app, opts) => {
  await app.register(loginPages, opts);
  await app.register(dashboardPages, opts);
  await app.register(configPages, opts);
  await app.register(historyPages, opts);
  await app.register(operationsPages, opts);
  await app.register(systemPages, opts);
  await app.register(accountPages, opts);
};
