/** Config history: who/when/why per revision, its text and diff, one-click rollback; recent audit entries. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createTwoFilesPatch } from 'diff';
import { HttpError } from '../context.js';
import { rollbackConfig, sha256 } from '../config-service.js';
import { diffView, flash, redirect, sendPage, type PageOptions } from './common.js';

export const historyPages: FastifyPluginAsyncTypebox<PageOptions> = async (app, o) => {
  const { ctx } = o;
  const store = ctx.daemon.store;
  const Id = Type.Object({ id: Type.Integer({ minimum: 1 }) });

  app.get('/history', async (req, reply) => {
    const running = sha256(store.currentText());
    const revisions = store.history().map((r) => ({ ...r, running: r.sha256 === running }));
    return sendPage(reply, o, req, 'history', 'History', 'history', { revisions, audit: ctx.audit.recent(50), readOnly: store.readOnlyReason() });
  });

  app.get('/history/:id', { schema: { params: Id } }, async (req, reply) => {
    const rev = store.revision(req.params.id);
    if (!rev) throw new HttpError(404, `no revision ${req.params.id}`);
    const patch = createTwoFilesPatch(`revision ${rev.meta.id}`, 'running', rev.text, store.currentText());
    return sendPage(reply, o, req, 'revision', `Revision ${rev.meta.id}`, 'history', { ...rev, lines: diffView(patch), same: rev.text === store.currentText() });
  });

  app.post('/history/:id/rollback', { schema: { params: Id, body: Type.Object({ _csrf: Type.String(), reason: Type.Optional(Type.String({ maxLength: 500 })) }) } }, async (req, reply) => {
    const r = await rollbackConfig(ctx, { identity: req.identity!, ip: req.ip }, req.params.id, req.body.reason);
    flash(req, `Rolled back to revision ${req.params.id} (now revision ${r.revision})${r.changes ? `: ${r.changes}` : ''}.`);
    return redirect(reply, '/history');
  });
};
