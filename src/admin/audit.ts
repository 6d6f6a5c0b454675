/**
 * The audit log: one JSON line per change or security event (config applied or
 * rolled back, operation run, account or token changed, login, lockout), with
 * who, from where and the outcome. STATE_DIR/admin/audit.log, appended with
 * O_APPEND and fsync'd so a line is either whole or absent; rotated to
 * audit.log.1 past 16 MiB. Each entry also goes to lbd's log.
 */
import { appendFileSync, existsSync, openSync, closeSync, fsyncSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import type { Logger } from '../log/logger.js';

export interface AuditEntry {
  time: string;
  user: string;
  via: string;
  ip?: string;
  action: string;
  target?: string;
  result: 'ok' | 'refused' | 'failed';
  detail?: string;
}

const ROTATE_BYTES = 16 << 20;

export class AuditLog {
  constructor(readonly file: string, private readonly log: Logger) {
    if (!existsSync(file)) appendFileSync(file, '', { mode: 0o600 });
  }

  record(e: Omit<AuditEntry, 'time'>): AuditEntry {
    const entry: AuditEntry = { time: new Date().toISOString(), ...e };
    const line = JSON.stringify(entry) + '\n';
    try {
      if (statSync(this.file).size + line.length > ROTATE_BYTES) renameSync(this.file, `${this.file}.1`);
      const fd = openSync(this.file, 'a', 0o600);
      try { writeSync(fd, line); fsyncSync(fd); } finally { closeSync(fd); }
    } catch (err) {
      this.log.error({ err, audit: entry }, 'audit log write failed');
    }
    this.log.info({ audit: entry }, `audit: ${entry.user} ${entry.action}${entry.target ? ` ${entry.target}` : ''}: ${entry.result}`);
    return entry;
  }

  /** The newest `limit` entries, newest first. */
  recent(limit = 200): AuditEntry[] {
    const lines = readFileSync(this.file, 'utf8').split('\n').filter(Boolean);
    return lines.slice(-limit).reverse().map((l) => JSON.parse(l) as AuditEntry);
  }
}
