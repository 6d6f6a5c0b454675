/**
 * The admin app: one Fastify instance serving two listeners with the same
 * routes — HTTPS (or loopback HTTP) on the management address, and the local
 * Unix socket, whose requests are marked before Fastify sees them (auth/hooks.ts).
 * Routes live in encapsulated plugins (api/, pages/, metrics); each declares
 * TypeBox schemas that validate its input, serialize its output and describe
 * it in /api/v1/openapi.json.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import { Ajv } from 'ajv';
import { createAjv, validateStructure } from '../config/validate.js';
import { SharedConfigSchema } from './api/schemas.js';
import { ConfigError, pathText, type Diagnostic } from '../config/diagnostics.js';
import { AccountError } from './auth/accounts.js';
import { installAuth, isApiPath, markSocketRequest, type Transport } from './auth/hooks.js';
import { HttpError, type AdminContext } from './context.js';
import { Renderer } from './render.js';
import { staticAssets } from './static.js';
import { apiV1 } from './api/index.js';
import { metricsRoutes } from './metrics.js';
import { pages } from './pages/index.js';
import { LBD_VERSION } from './version.js';

export interface RouteEntry { method: string; url: string; public: boolean }

export interface AdminApp {
  app: FastifyInstance;
  routes: RouteEntry[];
  /** The server for the Unix socket: same app, every request marked as the console's. */
  socketServer: Server;
  /** The server for the management address (HTTPS when `https` was given). */
  networkServer: Server;
}

export interface BuildOptions { https?: { key: string; cert: string } }

const bodyAjv = createAjv().addSchema(SharedConfigSchema);
const paramAjv = new Ajv({ coerceTypes: 'array', allErrors: true, strict: true });

/** "body.virtual_servers[0].port" from Ajv's "/virtual_servers/0/port". */
const pointerText = (part: string, ptr: string) =>
  `${part}${ptr.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s.replace(/~1/g, '/').replace(/~0/g, '~')}`)).join('')}`;

function validationDetails(err: FastifyError, req: FastifyRequest): Diagnostic[] {
  const part = err.validationContext ?? 'body';
  const body = req.body as { config?: unknown } | undefined;
  // A config document gets the config validator's own messages (closest key, expected values...).
  if (part === 'body' && body && typeof body.config === 'object' && err.validation?.some((v) => v.instancePath.startsWith('/config'))) {
    const ds = validateStructure(body.config);
    if (ds.length) return ds.map((d) => ({ ...d, path: ['config', ...(d.path ?? [])] }));
  }
  return (err.validation ?? []).map((v) => {
    const extra = (v.params as { additionalProperty?: string }).additionalProperty;
    const allowed = (v.params as { allowedValues?: unknown[] }).allowedValues;
    let message = v.message ?? 'is not valid';
    if (extra) message = `unknown field "${extra}"`;
    else if (allowed) message = `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
    else if (v.keyword === 'required') message = `"${(v.params as { missingProperty: string }).missingProperty}" is required`;
    return { severity: 'error' as const, message: `${pointerText(part, v.instancePath)}: ${message}` };
  });
}

export async function buildAdminApp(ctx: AdminContext, opts: BuildOptions = {}): Promise<AdminApp> {
  const transport: Transport = { secure: !!opts.https };
  let handler!: (req: IncomingMessage, res: ServerResponse) => void;
  let networkServer!: Server;
  const app = Fastify({
    serverFactory: (h) => {
      handler = h;
      networkServer = (opts.https ? createHttpsServer(opts.https, h) : createHttpServer(h)) as Server;
      return networkServer;
    },
    loggerInstance: ctx.log,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 24 << 20,
    return503OnClosing: true,
    forceCloseConnections: true,
  }) as unknown as FastifyInstance;
  const socketServer = createHttpServer((req, res) => { markSocketRequest(req); handler(req, res); });
  const renderer = new Renderer();
  const routes: RouteEntry[] = [];

  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : paramAjv).compile(schema));
  app.addSchema(SharedConfigSchema);

  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods) if (m !== 'HEAD') routes.push({ method: m, url: r.url, public: !!r.config?.public });
    // The OpenAPI document describes the API; pages are for browsers.
    if (!isApiPath(r.url)) r.schema = { ...r.schema, hide: true };
  });

  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    let status = 500;
    let message = err.message;
    let diagnostics: Diagnostic[] | undefined;
    if (err.validation) {
      status = 400;
      diagnostics = validationDetails(err, req);
      message = diagnostics.map((d) => (d.path ? `${pathText(d.path)}: ${d.message}` : d.message)).join('; ');
    } else if (err instanceof ConfigError) {
      status = 400;
      diagnostics = err.diagnostics;
    } else if (err instanceof HttpError || err instanceof AccountError) {
      status = err.statusCode;
    } else if (err.statusCode && err.statusCode < 500) {
      status = err.statusCode;
    } else {
      req.log.error({ err, url: req.url }, 'admin request failed');
      message = `internal error: ${err.message}`;
    }
    if (isApiPath(req.url) || !req.identity) {
      return reply.code(status).type('application/json').send({ statusCode: status, error: statusText(status), message, ...(diagnostics ? { diagnostics } : {}) });
    }
    return reply.code(status).type('text/html; charset=utf-8').send(renderer.page('error', { status, message, diagnostics }, {
      title: `Error ${status}`, nav: '', user: req.identity.user, csrf: req.identity.session?.csrf,
    }));
  });

  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'same-origin');
    reply.header('content-security-policy', "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
    if (!req.url.startsWith('/static/')) reply.header('cache-control', 'no-store');
    return payload;
  });

  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 24 << 20 });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'lb-appliance lbd API', version: LBD_VERSION, description: 'The API the web UI, the SSH console and scripts use. Authenticate with an API token (Authorization: Bearer lbd_...) or, on the local Unix socket, by its file permissions.' },
      components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'lbd_session' } } },
      security: [{ token: [] }, { session: [] }],
    },
  });
  installAuth(app, ctx, transport);
  await app.register(staticAssets);
  await app.register(apiV1, { prefix: '/api/v1', ctx });
  await app.register(metricsRoutes, { ctx, metrics: ctx.metrics });
  await app.register(pages, { ctx, transport, renderer });
  await app.ready();
  return { app, routes, socketServer, networkServer };
}

function statusText(code: number): string {
  return ({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 501: 'Not Implemented', 503: 'Service Unavailable' } as Record<number, string>)[code] ?? 'Internal Server Error';
}
