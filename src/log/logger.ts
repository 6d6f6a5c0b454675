/**
 * JSON-lines logging (pino) to stdout, with a bounded in-memory ring of recent
 * lines that the admin UI and console read. Secrets are redacted by key name
 * wherever they appear in a logged object.
 */
import { EventEmitter } from 'node:events';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

const SECRET_KEYS = ['auth_pass', 'smtp_password', 'password', 'token', 'secret', 'authorization', 'cookie', 'passwordHash'];
export const REDACT_PATHS = [
  ...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`), ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]',
];

/** The last N log lines, parsed, with an event per new line for live tails. */
export class LogRing extends EventEmitter {
  private lines: Record<string, unknown>[] = [];
  constructor(private readonly size = 5000) { super(); }

  write(chunk: string): void {
    for (const text of chunk.split('\n')) {
      if (!text) continue;
      let line: Record<string, unknown>;
      try { line = JSON.parse(text) as Record<string, unknown>; } catch { line = { msg: text }; }
      this.lines.push(line);
      if (this.lines.length > this.size) this.lines.splice(0, this.lines.length - this.size);
      this.emit('line', line);
    }
  }

  recent(limit = 200, filter?: (l: Record<string, unknown>) => boolean): Record<string, unknown>[] {
    const src = filter ? this.lines.filter(filter) : this.lines;
    return src.slice(-limit);
  }
}

export interface LoggerOptions {
  level?: LevelWithSilent;
  ring?: LogRing;
  /** Where JSON lines go; stdout by default. */
  stream?: { write(s: string): void };
  base?: Record<string, unknown>;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const streams: { stream: { write(s: string): void }; level?: 'trace' }[] = [{ stream: opts.stream ?? process.stdout, level: 'trace' }];
  if (opts.ring) streams.push({ stream: opts.ring, level: 'trace' });
  return pino(
    {
      level: opts.level ?? 'info',
      base: opts.base ?? { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.multistream(streams),
  );
}
