/**
 * The running appliance's config: one file (the `--config` of lbd) plus a
 * bounded history of revisions with who/when/why in the state dir. Only a
 * config that validates is ever written; every write is atomic. The web UI,
 * the console and the API all change the config through this store.
 *
 * Layout: STATE_DIR/history/NNNNNN.yaml (the text) and NNNNNN.json (its meta).
 * If the config file was edited by hand since the last revision, the store
 * records that text as a revision ("edited outside lbd") before anything else,
 * so a rollback can always return to it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteFileSync } from '../util/atomic-write.js';
import { parseConfigText, type LoadResult } from './load.js';
import { ConfigError, errorsOf } from './diagnostics.js';

export interface RevisionMeta {
  id: number;
  time: string;
  user: string;
  reason: string;
  sha256: string;
  /** For a rollback: the revision whose text was restored. */
  restored_from?: number;
}

export interface CommitOptions { user: string; reason: string }

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const revName = (id: number) => String(id).padStart(6, '0');

export class ConfigStore {
  readonly historyDir: string;

  constructor(readonly configFile: string, readonly stateDir: string, readonly maxRevisions = 200) {
    this.historyDir = join(stateDir, 'history');
    mkdirSync(this.historyDir, { recursive: true, mode: 0o700 });
  }

  /** Current file text ('' when the file does not exist yet). */
  currentText(): string {
    return existsSync(this.configFile) ? readFileSync(this.configFile, 'utf8') : '';
  }

  load(): LoadResult {
    return parseConfigText(this.currentText(), this.configFile);
  }

  /** Why the config cannot be changed through the store, if it cannot. */
  readOnlyReason(): string | undefined {
    const r = this.load();
    if (r.format === 'keepalived')
      return `${this.configFile} is a keepalived.conf; convert it with "lbctl import keepalived ${this.configFile} -o config.yaml" and run lbd on the YAML to edit it here`;
    return undefined;
  }

  history(): RevisionMeta[] {
    return readdirSync(this.historyDir)
      .filter((f) => /^\d{6}\.json$/.test(f))
      .map((f) => JSON.parse(readFileSync(join(this.historyDir, f), 'utf8')) as RevisionMeta)
      .sort((a, b) => b.id - a.id);
  }

  revision(id: number): { meta: RevisionMeta; text: string } | undefined {
    const base = join(this.historyDir, revName(id));
    if (!existsSync(`${base}.json`)) return undefined;
    return { meta: JSON.parse(readFileSync(`${base}.json`, 'utf8')) as RevisionMeta, text: readFileSync(`${base}.yaml`, 'utf8') };
  }

  /** Make sure the file on disk is the newest revision (records a hand edit or the first start). */
  adoptCurrent(user = 'system'): RevisionMeta | undefined {
    const text = this.currentText();
    if (!text) return undefined;
    const latest = this.history()[0];
    if (latest && latest.sha256 === sha256(text)) return latest;
    return this.record(text, { user, reason: latest ? 'edited outside lbd' : 'initial config' });
  }

  /**
   * Validate and make `text` the config. Throws ConfigError (and writes nothing)
   * when it is invalid. Returns the new revision and the validated result.
   */
  commit(text: string, opts: CommitOptions, restoredFrom?: number): { revision: RevisionMeta; result: LoadResult } {
    const ro = this.readOnlyReason();
    if (ro) throw new ConfigError([{ severity: 'error', message: ro }], this.configFile);
    const result = parseConfigText(text, this.configFile);
    if (result.format !== 'yaml') throw new ConfigError([{ severity: 'error', message: 'the appliance config must be YAML or JSON (import a keepalived.conf with lbctl import keepalived)' }], this.configFile);
    if (errorsOf(result.diagnostics).length) throw new ConfigError(result.diagnostics, this.configFile);
    this.adoptCurrent();
    const revision = this.record(text, opts, restoredFrom);
    atomicWriteFileSync(this.configFile, text, 0o600);
    return { revision, result };
  }

  rollback(id: number, opts: CommitOptions): { revision: RevisionMeta; result: LoadResult } {
    const rev = this.revision(id);
    if (!rev) throw new ConfigError([{ severity: 'error', message: `no revision ${id} in the history` }], this.configFile);
    return this.commit(rev.text, { user: opts.user, reason: opts.reason || `rollback to revision ${id}` }, id);
  }

  private record(text: string, opts: CommitOptions, restoredFrom?: number): RevisionMeta {
    const id = (this.history()[0]?.id ?? 0) + 1;
    const meta: RevisionMeta = { id, time: new Date().toISOString(), user: opts.user, reason: opts.reason, sha256: sha256(text) };
    if (restoredFrom !== undefined) meta.restored_from = restoredFrom;
    const base = join(this.historyDir, revName(id));
    atomicWriteFileSync(`${base}.yaml`, text, 0o600);
    atomicWriteFileSync(`${base}.json`, JSON.stringify(meta, null, 2) + '\n', 0o600);
    this.prune();
    return meta;
  }

  private prune(): void {
    for (const old of this.history().slice(this.maxRevisions)) {
      for (const ext of ['json', 'yaml']) {
        try { unlinkSync(join(this.historyDir, `${revName(old.id)}.${ext}`)); } catch { /* already gone */ }
      }
    }
  }
}
