/** Config: read, validate with a diff preview, apply atomically, history and rollback. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { stringify } from 'yaml';
import { createTwoFilesPatch } from 'diff';
import type { RawConfig } from '../../config/schema.js';
import { HttpError } from '../context.js';
import { applyConfig, propose, rollbackConfig, sha256 } from '../config-service.js';
import { latestRevision } from '../status/view.js';
import { ChangeResultSchema, CONFIG_SCHEMA_ID, DiagnosticSchema, Reason, replies, RevisionSchema } from './schemas.js';
import type { ApiOptions } from './index.js';

const MAX_TEXT = 8 << 20;

const ConfigInput = {
  text: Type.Optional(Type.String({ maxLength: MAX_TEXT, description: 'the whole config as YAML (comments kept)' })),
  config: Type.Optional(Type.Unsafe<RawConfig>({ $ref: `${CONFIG_SCHEMA_ID}#`, description: 'the whole config as a JSON document (schema: Config)' })),
};

const Sha = Type.String({ pattern: '^[0-9a-f]{64}$' });

/** The text to validate/apply: `text`, or `config` (a JSON document) written as YAML. */
function inputText(body: { text?: string; config?: RawConfig }): string {
  if ((body.text === undefined) === (body.config === undefined)) throw new HttpError(400, 'send exactly one of "text" (YAML) or "config" (JSON document)');
  return body.text ?? stringify(body.config);
}

const ProposalSchema = Type.Object({
  valid: Type.Boolean(),
  diagnostics: Type.Array(DiagnosticSchema),
  diff: Type.String({ description: 'unified diff from the running config file' }),
  changes: Type.String(),
  base_sha256: Type.String({ description: 'pass back when applying: the apply is refused if the config changed meanwhile' }),
});

export const configApi: FastifyPluginAsyncTypebox<ApiOptions> = async (app, { ctx }) => {
  const store = ctx.daemon.store;
  const who = (req: { identity: import('../context.js').Identity | null; ip: string }) => ({ identity: req.identity!, ip: req.ip });

  app.get('/config', {
    schema: {
      summary: 'The running config file: text, SHA-256, revision, and the parsed document', tags: ['config'],
      response: replies(Type.Object({
        text: Type.String(), sha256: Sha, revision: Type.Union([Type.Integer(), Type.Null()]),
        read_only: Type.Union([Type.String(), Type.Null()], { description: 'why the config cannot be changed here, if it cannot' }),
        file: Type.String(),
      })),
    },
  }, async () => {
    const text = store.currentText();
    return { text, sha256: sha256(text), revision: latestRevision(ctx.daemon), read_only: store.readOnlyReason() ?? null, file: store.configFile };
  });

  app.post('/config/validate', {
    schema: {
      summary: 'Validate a config and preview the change (nothing is written)', tags: ['config'],
      body: Type.Object(ConfigInput, { additionalProperties: false }),
      response: replies(ProposalSchema),
    },
  }, async (req) => {
    const { text: _t, ...p } = propose(ctx, inputText(req.body));
    return p;
  });

  app.put('/config', {
    schema: {
      summary: 'Validate and apply a config atomically; an invalid one is refused with 400 and changes nothing', tags: ['config'],
      body: Type.Object({ ...ConfigInput, reason: Reason, base_sha256: Type.Optional(Sha) }, { additionalProperties: false }),
      response: replies(ChangeResultSchema),
    },
  }, async (req) => applyConfig(ctx, who(req), { text: inputText(req.body), reason: req.body.reason, base_sha256: req.body.base_sha256 }));

  app.get('/config/history', {
    schema: { summary: 'Revisions, newest first: who, when, why', tags: ['config'], response: replies(Type.Array(RevisionSchema)) },
  }, async () => store.history());

  const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

  app.get('/config/history/:id', {
    schema: {
      summary: 'One revision: its metadata, text, and the diff from it to the running config', tags: ['config'], params: IdParams,
      response: replies(Type.Object({ meta: RevisionSchema, text: Type.String(), diff_to_running: Type.String() })),
    },
  }, async (req) => {
    const rev = store.revision(req.params.id);
    if (!rev) throw new HttpError(404, `no revision ${req.params.id} in the history`);
    return { ...rev, diff_to_running: createTwoFilesPatch(`revision ${rev.meta.id}`, 'running', rev.text, store.currentText()) };
  });

  app.post('/config/history/:id/rollback', {
    schema: {
      summary: 'Restore a revision\'s exact text and apply it (recorded as a new revision)', tags: ['config'], params: IdParams,
      body: Type.Optional(Type.Object({ reason: Reason }, { additionalProperties: false })),
      response: replies(ChangeResultSchema),
    },
  }, async (req) => rollbackConfig(ctx, who(req), req.params.id, req.body?.reason));
};
