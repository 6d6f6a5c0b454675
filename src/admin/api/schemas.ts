/** Request/response schemas shared by the API routes (TypeBox: validation, serialization and OpenAPI from one definition). */
import { Type, type TSchema } from '@sinclair/typebox';
import { ConfigSchema } from '../../config/schema.js';

/** The config schema is shared by reference, so its large validator is compiled once for every route that takes a config. */
export const CONFIG_SCHEMA_ID = 'Config';
export const SharedConfigSchema = { ...ConfigSchema, $id: CONFIG_SCHEMA_ID };

export const DiagnosticSchema = Type.Object({
  severity: Type.Union([Type.Literal('error'), Type.Literal('warning')]),
  message: Type.String(),
  path: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Integer()]), { description: 'location in the config, e.g. ["virtual_servers", 0, "port"]' })),
  file: Type.Optional(Type.String()),
  line: Type.Optional(Type.Integer()),
  column: Type.Optional(Type.Integer()),
});

export const ErrorSchema = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String(),
  diagnostics: Type.Optional(Type.Array(DiagnosticSchema)),
}, { description: 'every error: a human-readable message, and for config problems each one located by path and line' });

/** Response map: the given success body, and the error body for any 4xx/5xx. */
export const replies = <T extends TSchema>(ok: T, code = 200) => ({ [code]: ok, '4xx': ErrorSchema, '5xx': ErrorSchema });

export const RevisionSchema = Type.Object({
  id: Type.Integer(),
  time: Type.String(),
  user: Type.String(),
  reason: Type.String(),
  sha256: Type.String(),
  restored_from: Type.Optional(Type.Integer()),
});

export const ChangeResultSchema = Type.Object({
  revision: Type.Integer({ description: 'the new revision' }),
  changes: Type.String({ description: 'named objects added (+), removed (-) or changed (~)' }),
});

export const Reason = Type.Optional(Type.String({ maxLength: 500, description: 'why (kept in the history)' }));

export const OkSchema = Type.Object({ ok: Type.Boolean(), message: Type.String() });
