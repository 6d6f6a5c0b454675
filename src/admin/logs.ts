/** Filtering the in-memory log ring for the Logs page, the API and live tails. */
import { Type, type Static } from '@sinclair/typebox';

export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

export const LogQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 200 })),
  level: Type.Optional(Type.Union(LEVELS.map((l) => Type.Literal(l)), { description: 'this level and above' })),
  subsystem: Type.Optional(Type.String({ maxLength: 64 })),
  q: Type.Optional(Type.String({ maxLength: 200, description: 'text the line must contain (case-insensitive)' })),
}, { additionalProperties: false });
export type LogQuery = Static<typeof LogQuerySchema>;

export type LogLine = Record<string, unknown>;

const rank = (level: unknown) => LEVELS.indexOf(level as (typeof LEVELS)[number]);

export function logFilter(q: LogQuery): (l: LogLine) => boolean {
  const min = q.level ? rank(q.level) : -1;
  const needle = q.q?.toLowerCase();
  return (l) => {
    if (min >= 0 && rank(l.level) < min) return false;
    if (q.subsystem && l.subsystem !== q.subsystem) return false;
    if (needle && !JSON.stringify(l).toLowerCase().includes(needle)) return false;
    return true;
  };
}
