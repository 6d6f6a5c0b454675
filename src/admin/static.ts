/** The UI's two static files (CSS and the live-update script), read once, served with an ETag. Public. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import { assetPath } from './render.js';

const TYPES: Record<string, string> = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8' };
const FILES = ['app.css', 'app.js'];

export const staticAssets: FastifyPluginAsync = async (app) => {
  const files = new Map(FILES.map((f) => {
    const body = readFileSync(assetPath('static', f));
    return [f, { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`, type: TYPES[f.split('.').pop()!]! }];
  }));
  app.get('/static/:file', {
    config: { public: true },
    schema: { params: Type.Object({ file: Type.String({ pattern: '^[a-z]+\\.(css|js)$' }) }) },
  }, async (req, reply) => {
    const f = files.get((req.params as { file: string }).file);
    if (!f) return reply.code(404).type('text/plain').send('not found');
    reply.header('etag', f.etag).header('cache-control', 'private, max-age=300, must-revalidate');
    if (req.headers['if-none-match'] === f.etag) return reply.code(304).send();
    return reply.type(f.type).send(f.body);
  });
};
