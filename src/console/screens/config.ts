/**
 * Configuration through the API: edit the running config (rnano) → lbd
 * validates it and shows the diff → apply on confirmation (refused if the
 * config changed meanwhile); revisions with who/when/why, each validated
 * against the running config with the diff a rollback would make → roll back
 * on confirmation; view the running file.
 */
import { A, type Screen } from '../term/screen.js';
import type { Key } from '../term/terminal.js';
import type { App } from '../ui/app.js';
import { SelectList } from '../ui/list.js';
import { Pager } from '../ui/pager.js';
import type { Area, Line, View } from '../ui/view.js';
import { editText } from '../editor.js';
import type { ApiDiagnostic } from '../api.js';
import { row, shortTime } from './format.js';

interface RunningConfig { text: string; sha256: string; revision: number | null; read_only: string | null; file: string }
interface Proposal { valid: boolean; diagnostics: ApiDiagnostic[]; diff: string; changes: string; base_sha256: string }
interface Revision { id: number; time: string; user: string; reason: string; sha256: string; restored_from?: number }
interface Change { revision: number; changes: string }

/** The editor over the console's screen, which is repainted whatever happened. */
async function edit(app: App, text: string): Promise<string> {
  try { return await editText(app.term, text, 'config.yaml'); } finally { app.redrawAll(); }
}

export function diffLines(diff: string): Line[] {
  return diff.split('\n').filter((l) => !/^={5,}$/.test(l) && !l.startsWith('Index: ')).map((l): Line => {
    if (l.startsWith('+++') || l.startsWith('---')) return [{ text: l, attr: A.bold }];
    if (l.startsWith('+')) return [{ text: l, attr: A.green }];
    if (l.startsWith('-')) return [{ text: l, attr: A.red }];
    if (l.startsWith('@@')) return [{ text: l, attr: A.cyan }];
    return l;
  });
}

function proposalLines(p: Proposal, what: string): Line[] {
  const lines: Line[] = [];
  const errors = p.diagnostics.filter((d) => d.severity === 'error');
  const warnings = p.diagnostics.filter((d) => d.severity !== 'error');
  if (p.valid) lines.push([{ text: `VALID`, attr: A.green | A.bold }, { text: `  ${what}: ${p.changes || 'no named object changes'}` }]);
  else lines.push([{ text: `INVALID`, attr: A.red | A.bold }, { text: `  ${errors.length} error(s); it cannot be applied` }]);
  for (const d of [...errors, ...warnings]) {
    lines.push([{ text: `  ${d.severity === 'error' ? 'error' : 'warning'}: `, attr: d.severity === 'error' ? A.red | A.bold : A.yellow | A.bold },
      { text: `${d.line ? `line ${d.line}: ` : ''}${d.path?.length ? `${d.path.join('.')}: ` : ''}${d.message}` }]);
  }
  lines.push('');
  const diff = diffLines(p.diff);
  lines.push(...(diff.some((l) => typeof l !== 'string' && /^[+-][^+-]/.test(l[0]!.text)) ? diff : ['(no difference in the text)']));
  return lines;
}

/** Review of an edited config: valid or not, the diff, then apply (a), edit again (e) or discard (Esc). */
class ReviewScreen implements View {
  readonly title = 'Review';
  private readonly pager = new Pager();
  constructor(private readonly app: App, private text: string, private proposal: Proposal, private readonly base: RunningConfig) {
    this.pager.set(proposalLines(proposal, 'this change'));
  }

  hints(): string { return `${this.proposal.valid ? 'a apply  ' : ''}e edit again  Esc discard  Up/Down scroll ${this.pager.position()}`; }

  render(s: Screen, a: Area): void { this.pager.render(s, a); }

  async key(k: Key): Promise<boolean> {
    if (k.name === 'char' && k.ch === 'e') {
      const text = await edit(this.app, this.text);
      const p = await this.app.busy('Validating', () => this.app.api.post<Proposal>('/config/validate', { text }));
      if (p) { this.text = text; this.proposal = p; this.pager.set(proposalLines(p, 'this change')); }
      return true;
    }
    if (k.name === 'char' && k.ch === 'a' && this.proposal.valid) {
      const reason = await this.app.prompt({ title: 'Apply the config', label: 'Reason', value: 'edited from the console', hint: 'kept in the history with your change' });
      if (reason === null) { this.app.info('Not applied.'); return true; }
      const ok = await this.app.confirm([`Apply this config to the running node?`, '', `Changes: ${this.proposal.changes || 'no named object changes'}`], { title: 'Apply', yes: 'Apply', danger: true });
      if (!ok) { this.app.info('Not applied.'); return true; }
      const r = await this.app.busy('Applying the config', () => this.app.api.put<Change>('/config', { text: this.text, reason, base_sha256: this.base.sha256 }, 120_000));
      if (r) { this.app.pop(this); this.app.ok(`Applied as revision ${r.revision}: ${r.changes || 'no named object changed'}.`); }
      return true;
    }
    if (k.name === 'escape') {
      if (await this.app.confirm(['Discard this edit? The running config stays as it is.'], { title: 'Discard', yes: 'Discard' })) {
        this.app.pop(this);
        this.app.info('Edit discarded; nothing changed.');
      }
      return true;
    }
    return this.pager.key(k);
  }
}

/** One revision: what a rollback to it would change (validated against the running config), then roll back (r). */
class RevisionScreen implements View {
  readonly title: string;
  private readonly pager = new Pager(['Reading ...']);
  private proposal?: Proposal;
  constructor(private readonly app: App, private readonly rev: Revision) { this.title = `Revision ${rev.id}`; }

  opened(): void { void this.load(); }

  private async load(): Promise<void> {
    const r = await this.app.busy(`Reading revision ${this.rev.id}`, async () => {
      const { text } = await this.app.api.get<{ text: string }>(`/config/history/${this.rev.id}`);
      return this.app.api.post<Proposal>('/config/validate', { text });
    });
    if (!r) return;
    this.proposal = r;
    this.pager.set([
      [{ text: `Revision ${this.rev.id}`, attr: A.bold }, { text: `  ${this.rev.time}  by ${this.rev.user}  ${this.rev.reason}` }],
      'Rolling back to it would make these changes to the running config:', '',
      ...proposalLines(r, 'rollback'),
    ]);
  }

  hints(): string { return `${this.proposal?.valid ? 'r roll back  ' : ''}Up/Down scroll  Esc back ${this.pager.position()}`; }

  render(s: Screen, a: Area): void { this.pager.render(s, a); }

  async key(k: Key): Promise<boolean> {
    if (k.name === 'char' && k.ch === 'r' && this.proposal?.valid) {
      const ok = await this.app.confirm([`Roll back to revision ${this.rev.id}?`, '', 'The running config becomes exactly its text (recorded as a new revision).', `Changes: ${this.proposal.changes || 'no named object changes'}`],
        { title: 'Roll back', yes: 'Roll back', danger: true });
      if (!ok) { this.app.info('Nothing rolled back.'); return true; }
      const r = await this.app.busy(`Rolling back to revision ${this.rev.id}`, () => this.app.api.post<Change>(`/config/history/${this.rev.id}/rollback`, { reason: `rollback to revision ${this.rev.id} from the console` }, 120_000));
      if (r) { this.app.pop(this); this.app.ok(`Rolled back: now revision ${r.revision} (${r.changes || 'no named object changed'}).`); }
      return true;
    }
    return this.pager.key(k);
  }
}

class RevisionsScreen implements View {
  readonly title = 'Revisions';
  private readonly list = new SelectList<Revision>([{ line: 'Reading the history ...', selectable: false }], (item) => this.app.push(new RevisionScreen(this.app, item.value!)));
  constructor(private readonly app: App) {}

  opened(): void { void this.load(); }

  private async load(): Promise<void> {
    const h = await this.app.busy('Reading the history', () => this.app.api.get<Revision[]>('/config/history'));
    if (!h) return;
    this.list.setItems([
      { line: row(['   #', 6], ['WHEN', 16], ['WHO', 14], ['WHY', 0]).map((s) => ({ ...s, attr: A.bold })), selectable: false },
      ...h.map((r, i) => ({ line: row([`${String(r.id).padStart(4)}`, 6], [shortTime(r.time), 16], [r.user, 14], [`${i === 0 ? '(running) ' : ''}${r.reason}`, 0]), value: r })),
    ], (a, b) => a?.id === b?.id);
    this.app.render();
  }

  hints(): string { return 'Up/Down select  Enter diff and roll back  Esc back'; }
  render(s: Screen, a: Area): void { this.list.render(s, a); }
  key(k: Key): Promise<boolean> { return this.list.key(k); }
}

class TextScreen implements View {
  private readonly pager: Pager;
  constructor(readonly title: string, lines: Line[]) { this.pager = new Pager(lines); }
  hints(): string { return `Up/Down PgUp/PgDn scroll  Esc back ${this.pager.position()}`; }
  render(s: Screen, a: Area): void { this.pager.render(s, a); }
  key(k: Key): boolean { return this.pager.key(k); }
}

export class ConfigScreen implements View {
  readonly title = 'Configuration';
  private readonly list = new SelectList<() => Promise<void>>([
    { line: '1  Edit, validate and apply the running config', hotkey: '1', value: () => this.edit() },
    { line: '2  Revisions: diff and roll back', hotkey: '2', value: async () => this.app.push(new RevisionsScreen(this.app)) },
    { line: '3  View the running config', hotkey: '3', value: () => this.view() },
  ], (item) => item.value!());

  constructor(private readonly app: App) {}

  private async running(): Promise<RunningConfig | undefined> {
    return this.app.busy('Reading the running config', () => this.app.api.get<RunningConfig>('/config'));
  }

  private async edit(): Promise<void> {
    const cur = await this.running();
    if (!cur) return;
    if (cur.read_only) { this.app.error(`The config cannot be changed here: ${cur.read_only}`); return; }
    const text = await edit(this.app, cur.text);
    if (text === cur.text) { this.app.info('No change made; nothing to apply.'); return; }
    const p = await this.app.busy('Validating', () => this.app.api.post<Proposal>('/config/validate', { text }));
    if (p) this.app.push(new ReviewScreen(this.app, text, p, cur));
  }

  private async view(): Promise<void> {
    const cur = await this.running();
    if (cur) this.app.push(new TextScreen(`${cur.file} (revision ${cur.revision ?? '-'})`, cur.text.split('\n')));
  }

  hints(): string { return 'Up/Down select  Enter/1-3 open  Esc back   (editor: ^X saves and returns)'; }
  render(s: Screen, a: Area): void { this.list.render(s, a); }
  key(k: Key): Promise<boolean> { return this.list.key(k); }
}
