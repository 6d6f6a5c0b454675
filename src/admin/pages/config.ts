/**
 * Config editing in the browser: forms for the common objects and the raw
 * YAML. Every edit ends on a preview (diagnostics, diff, objects changed);
 * only the preview's Apply writes, atomically, and only if nobody changed the
 * config in between.
 */
import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseDocument } from 'yaml';
import type { ConfigPath } from '../../config/diagnostics.js';
import type { RawConfig } from '../../config/schema.js';
import { virtualServerName } from '../../config/resolve.js';
import { HttpError } from '../context.js';
import { applyConfig, propose } from '../config-service.js';
import { applyForm, formView, keepUserLayout, type FormBody as FormValues } from '../forms/form.js';
import { BACKEND_FORM, VIRTUAL_SERVER_FORM, VRRP_INSTANCE_FORM, type FormSpec } from '../forms/spec.js';
import { latestRevision } from '../status/view.js';
import { FormBody, diffView, flash, redirect, sendPage, type PageOptions } from './common.js';

/** How long a preview can wait for its Apply. */
const PENDING_MS = 3600_000;

interface Target { spec: FormSpec; root: ConfigPath; title: string; action: string; obj: unknown; isNew: boolean; newName?: boolean }

export const configPages: FastifyPluginAsyncTypebox<PageOptions> = async (app, o) => {
  const { ctx } = o;
  const store = ctx.daemon.store;
  const raw = () => (parseDocument(store.currentText()).toJS() ?? {}) as RawConfig;

  /**
   * Previewed changes waiting for Apply, kept here rather than round-tripped through the
   * browser (a form submission would rewrite the text's line breaks).
   */
  const pending = new Map<string, { text: string; base: string; user: string; at: number }>();
  const keep = (user: string, text: string, base: string) => {
    const now = Date.now();
    for (const [k, v] of pending) if (now - v.at > PENDING_MS || pending.size > 200) pending.delete(k);
    const id = randomBytes(16).toString('base64url');
    pending.set(id, { text, base, user, at: now });
    return id;
  };

  /** Render the diff preview of `text`, or the editor again with the problems. */
  const previewOrBack = (req: FastifyRequest, reply: FastifyReply, text: string, back: (p: ReturnType<typeof propose>) => FastifyReply) => {
    const p = propose(ctx, text);
    if (!p.valid) return back(p);
    return sendPage(reply, o, req, 'preview', 'Review change', 'config', {
      proposal: keep(req.identity!.user, p.text, p.base_sha256), changes: p.changes, warnings: p.diagnostics.filter((d) => d.severity === 'warning'),
      lines: diffView(p.diff),
      unchanged: p.text === store.currentText(),
    });
  };

  app.get('/config', async (req, reply) => {
    const r = raw();
    return sendPage(reply, o, req, 'config', 'Config', 'config', {
      revision: latestRevision(ctx.daemon), file: store.configFile, readOnly: store.readOnlyReason(),
      instances: Object.entries(r.vrrp_instances ?? {}).map(([name, i]) => ({ name, vrid: i.virtual_router_id, interface: i.interface, vips: i.virtual_ipaddress.map((v) => (typeof v === 'string' ? v : v.address)) })),
      services: (r.virtual_servers ?? []).map((vs, index) => ({ index, name: virtualServerName(vs), algo: vs.lb_algo, kind: vs.lb_kind, count: vs.real_servers.length })),
      backends: Object.entries(r.l7?.backends ?? {}).map(([name, b]) => ({ name, balance: b.balance, count: b.servers.length })),
    });
  });

  // ---- raw YAML
  const rawPage = (req: FastifyRequest, reply: FastifyReply, text: string, p?: ReturnType<typeof propose>) => {
    const errLines = new Map<number, string[]>();
    for (const d of p?.diagnostics ?? []) if (d.severity === 'error' && d.line) errLines.set(d.line, [...(errLines.get(d.line) ?? []), d.message]);
    return sendPage(reply, o, req, 'config-raw', 'Raw config', 'config', {
      text, base: p?.base_sha256,
      errors: p?.diagnostics.filter((d) => d.severity === 'error').map((d) => ({ line: d.line, path: d.path?.join('.'), message: d.message })),
      listing: p ? text.split('\n').map((l, i) => ({ n: i + 1, text: l, errors: errLines.get(i + 1) })) : undefined,
    }, p ? 400 : 200);
  };
  app.get('/config/raw', async (req, reply) => rawPage(req, reply, store.currentText()));
  app.post('/config/raw', { schema: { body: FormBody } }, async (req, reply) => {
    const text = (req.body.text ?? '').replace(/\r\n/g, '\n');
    return previewOrBack(req, reply, text, (p) => rawPage(req, reply, text, p));
  });

  // ---- forms
  const formPage = (req: FastifyRequest, reply: FastifyReply, t: Target, submitted?: FormValues, p?: ReturnType<typeof propose>, origin: number[] = []) =>
    sendPage(reply, o, req, 'config-form', t.title, 'config', {
      title: t.title, action: t.action, isNew: t.isNew, newName: t.newName, nameValue: submitted?._name ?? '',
      form: formView(t.spec, t.obj, submitted, p?.diagnostics, t.root, origin),
      deleteAction: t.isNew ? undefined : `${t.action}/delete`,
    }, p ? 400 : 200);

  const submitForm = (req: FastifyRequest, reply: FastifyReply, t: Target, body: FormValues) => {
    const doc = parseDocument(store.currentText());
    let root = t.root;
    if (t.newName) {
      const name = (body._name ?? '').trim();
      if (!name) return formPage(req, reply, t, body, { ...propose(ctx, store.currentText()), valid: false, diagnostics: [{ severity: 'error', message: 'give the new object a name' }] });
      root = [...t.root.slice(0, -1), name];
      if (doc.hasIn(root)) return formPage(req, reply, t, body, { ...propose(ctx, store.currentText()), valid: false, diagnostics: [{ severity: 'error', message: `"${name}" already exists` }] });
    }
    const origin = applyForm(doc, root, t.spec, body);
    return previewOrBack(req, reply, keepUserLayout(store.currentText(), doc.toString()), (p) => formPage(req, reply, { ...t, root }, body, p, origin));
  };

  const deleteObject = (req: FastifyRequest, reply: FastifyReply, t: Target) => {
    const doc = parseDocument(store.currentText());
    doc.deleteIn(t.root);
    return previewOrBack(req, reply, keepUserLayout(store.currentText(), doc.toString()), (p) => formPage(req, reply, t, undefined, p));
  };

  const vrrpTarget = (name: string): Target => {
    const obj = raw().vrrp_instances?.[name];
    if (!obj) throw new HttpError(404, `no VRRP instance ${name}`);
    return { spec: VRRP_INSTANCE_FORM, root: ['vrrp_instances', name], title: `VRRP instance ${name}`, action: `/config/vrrp/${encodeURIComponent(name)}`, obj, isNew: false };
  };
  const vsTarget = (index: string): Target => {
    const list = raw().virtual_servers ?? [];
    if (index === 'new') return { spec: VIRTUAL_SERVER_FORM, root: ['virtual_servers', list.length], title: 'New virtual service', action: '/config/virtual-servers/new', obj: undefined, isNew: true };
    const i = Number(index);
    const obj = list[i];
    if (!obj) throw new HttpError(404, `no virtual service #${index}`);
    return { spec: VIRTUAL_SERVER_FORM, root: ['virtual_servers', i], title: `Virtual service ${virtualServerName(obj)}`, action: `/config/virtual-servers/${i}`, obj, isNew: false };
  };
  const backendTarget = (name: string): Target => {
    if (name === 'new') return { spec: BACKEND_FORM, root: ['l7', 'backends', ''], title: 'New L7 backend', action: '/config/backends/new', obj: undefined, isNew: true, newName: true };
    const obj = raw().l7?.backends?.[name];
    if (!obj) throw new HttpError(404, `no L7 backend ${name}`);
    return { spec: BACKEND_FORM, root: ['l7', 'backends', name], title: `L7 backend ${name}`, action: `/config/backends/${encodeURIComponent(name)}`, obj, isNew: false };
  };

  const NameParam = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });
  const IndexParam = Type.Object({ index: Type.String({ pattern: '^(new|\\d{1,5})$' }) });

  app.get('/config/vrrp/:name', { schema: { params: NameParam } }, async (req, reply) => formPage(req, reply, vrrpTarget(req.params.name)));
  app.post('/config/vrrp/:name', { schema: { params: NameParam, body: FormBody } }, async (req, reply) => submitForm(req, reply, vrrpTarget(req.params.name), req.body));

  app.get('/config/virtual-servers/:index', { schema: { params: IndexParam } }, async (req, reply) => formPage(req, reply, vsTarget(req.params.index)));
  app.post('/config/virtual-servers/:index', { schema: { params: IndexParam, body: FormBody } }, async (req, reply) => submitForm(req, reply, vsTarget(req.params.index), req.body));
  app.post('/config/virtual-servers/:index/delete', { schema: { params: IndexParam, body: FormBody } }, async (req, reply) => deleteObject(req, reply, vsTarget(req.params.index)));

  app.get('/config/backends/:name', { schema: { params: NameParam } }, async (req, reply) => formPage(req, reply, backendTarget(req.params.name)));
  app.post('/config/backends/:name', { schema: { params: NameParam, body: FormBody } }, async (req, reply) => submitForm(req, reply, backendTarget(req.params.name), req.body));
  app.post('/config/backends/:name/delete', { schema: { params: NameParam, body: FormBody } }, async (req, reply) => deleteObject(req, reply, backendTarget(req.params.name)));

  // ---- apply (from the preview)
  app.post('/config/apply', {
    schema: { body: Type.Object({ _csrf: Type.String(), proposal: Type.String({ pattern: '^[\\w-]{22}$' }), reason: Type.Optional(Type.String({ maxLength: 500 })) }) },
  }, async (req, reply) => {
    const p = pending.get(req.body.proposal);
    if (!p || p.user !== req.identity!.user) throw new HttpError(409, 'this preview has expired or was applied already; make the change again');
    pending.delete(req.body.proposal);
    const r = await applyConfig(ctx, { identity: req.identity!, ip: req.ip }, { text: p.text, reason: req.body.reason, base_sha256: p.base });
    flash(req, `Revision ${r.revision} applied${r.changes ? `: ${r.changes}` : ''}.`);
    return redirect(reply, '/history');
  });
};
