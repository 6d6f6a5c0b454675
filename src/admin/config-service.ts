/**
 * Config changes as the UI, API and console make them: propose (validate +
 * diff against the running text, nothing written), apply (atomic, through the
 * daemon, refused when the config changed since the proposal was made) and
 * rollback. Every outcome goes to the audit log.
 */
import { createHash } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import { parseConfigText } from '../config/load.js';
import { ConfigError, errorsOf, type Diagnostic } from '../config/diagnostics.js';
import { diffConfig, summarizeDiff } from '../config/diff.js';
import { actorName, HttpError, type AdminContext, type Identity } from './context.js';

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export interface Proposal {
  text: string;
  base_sha256: string;
  valid: boolean;
  diagnostics: Diagnostic[];
  /** Unified diff from the running config file to `text`. */
  diff: string;
  /** Named objects added/removed/changed ("virtual_servers ~web"); '' when none or invalid. */
  changes: string;
}

export function propose(ctx: AdminContext, text: string): Proposal {
  const current = ctx.daemon.store.currentText();
  const file = ctx.daemon.store.configFile;
  const r = parseConfigText(text, file);
  const valid = !errorsOf(r.diagnostics).length && !!r.config;
  const ro = ctx.daemon.store.readOnlyReason();
  const diagnostics = ro ? [{ severity: 'error' as const, message: ro }, ...r.diagnostics] : r.diagnostics;
  const running = ctx.daemon.running;
  return {
    text,
    base_sha256: sha256(current),
    valid: valid && !ro,
    diagnostics,
    diff: createTwoFilesPatch('running', 'proposed', current, text, undefined, undefined, { context: 3 }),
    changes: valid && running && r.config ? summarizeDiff(diffConfig(running, r.config)) : '',
  };
}

interface Who { identity: Identity; ip?: string }

export async function applyConfig(ctx: AdminContext, who: Who, req: { text: string; reason?: string; base_sha256?: string }): Promise<{ revision: number; changes: string }> {
  const user = actorName(who.identity);
  const audit = (result: 'ok' | 'refused' | 'failed', detail: string) =>
    ctx.audit.record({ user, via: who.identity.via, ip: who.ip, action: 'config.apply', result, detail });
  if (req.base_sha256 && req.base_sha256 !== sha256(ctx.daemon.store.currentText())) {
    audit('refused', 'the config changed since the change was prepared');
    throw new HttpError(409, 'the config was changed by someone else since you prepared this change; review the new config and make your change again');
  }
  try {
    const r = await ctx.daemon.applyText(req.text, { user, reason: req.reason?.trim() || 'changed through the admin API' });
    audit('ok', `revision ${r.revision}: ${r.changes || 'no object changed'}`);
    ctx.live.mark('config');
    return r;
  } catch (e) {
    audit(e instanceof ConfigError ? 'refused' : 'failed', (e as Error).message.split('\n')[0]!);
    throw e;
  }
}

export async function rollbackConfig(ctx: AdminContext, who: Who, id: number, reason?: string): Promise<{ revision: number; changes: string }> {
  const user = actorName(who.identity);
  if (!ctx.daemon.store.revision(id)) throw new HttpError(404, `no revision ${id} in the history`);
  try {
    const r = await ctx.daemon.rollback(id, { user, reason: reason?.trim() || `rollback to revision ${id}` });
    ctx.audit.record({ user, via: who.identity.via, ip: who.ip, action: 'config.rollback', target: `revision ${id}`, result: 'ok', detail: `new revision ${r.revision}: ${r.changes || 'no object changed'}` });
    ctx.live.mark('config');
    return r;
  } catch (e) {
    ctx.audit.record({ user, via: who.identity.via, ip: who.ip, action: 'config.rollback', target: `revision ${id}`, result: 'failed', detail: (e as Error).message.split('\n')[0]! });
    throw e;
  }
}
