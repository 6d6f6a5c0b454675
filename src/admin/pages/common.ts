/** What every page route needs: the layout data, flash messages, and sending a rendered page. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { AdminContext } from '../context.js';
import type { Renderer } from '../render.js';
import type { Transport } from '../auth/hooks.js';

export interface PageOptions { ctx: AdminContext; transport: Transport; renderer: Renderer }

/** A form post: string fields only (the CSRF token among them), bounded. */
export const FormBody = Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.]{1,200}$' }), Type.String({ maxLength: 8 << 20 }));

export function flash(req: FastifyRequest, text: string, kind: 'ok' | 'bad' = 'ok'): void {
  if (req.identity?.session) req.identity.session.flash = { text, kind };
}

export function sendPage(reply: FastifyReply, o: PageOptions, req: FastifyRequest, page: string, title: string, nav: string, data: object, status = 200): FastifyReply {
  const s = req.identity?.session;
  const f = s?.flash;
  if (s) s.flash = undefined;
  const html = o.renderer.page(page, { ...data, csrf: s?.csrf }, {
    title, nav, user: req.identity?.user, csrf: s?.csrf, routerId: o.ctx.daemon.running?.global.router_id,
    flash: f?.text, flashKind: f?.kind,
  });
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

export const redirect = (reply: FastifyReply, to: string) => reply.code(303).header('location', to).send();

/** Only local paths, so a crafted ?next= cannot send a user elsewhere after login. */
export const safeNext = (next: unknown) => (typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : '/');

/** A unified diff as lines to colour, from the first hunk on (the file header says nothing to a reader here). */
export function diffView(patch: string): { text: string; cls: string }[] {
  const lines = patch.replace(/\n$/, '').split('\n');
  const first = lines.findIndex((l) => l.startsWith('@@'));
  return (first < 0 ? [] : lines.slice(first)).map((text) => ({
    text, cls: text.startsWith('+') ? 'add' : text.startsWith('-') ? 'del' : text.startsWith('@@') ? 'hunk' : '',
  }));
}
