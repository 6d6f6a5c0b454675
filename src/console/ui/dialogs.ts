/**
 * Dialogs drawn in a box over the current screen: confirmation (the safe
 * answer is the default, Esc says no), a message, a choice, a one-field prompt.
 */
import { A, type Screen } from '../term/screen.js';
import type { Key } from '../term/terminal.js';
import { SelectList, type ListItem } from './list.js';
import { Form } from './form.js';
import { Pager } from './pager.js';
import { drawLine, lineText, wrapLine, type Area, type Line, type View } from './view.js';

/** The box for content of `w`×`h` centred in the body area; returns its inner area. */
function frame(s: Screen, a: Area, title: string, w: number, h: number, attr = 0): Area {
  const width = Math.min(a.width, Math.max(w + 4, title.length + 8));
  const height = Math.min(a.height, h + 2);
  const top = a.top + Math.max(0, Math.floor((a.height - height) / 2));
  const left = a.left + Math.floor((a.width - width) / 2);
  s.box(top, left, height, width, title, attr);
  return { top: top + 1, left: left + 2, width: width - 4, height: height - 2 };
}

const widest = (lines: Line[], max: number) => Math.min(max, Math.max(20, ...lines.map((l) => lineText(l).length)));

export interface ConfirmOptions { title?: string; yes?: string; no?: string; danger?: boolean }

export class ConfirmDialog implements View {
  readonly modal = true;
  readonly title: string;
  private yes = false;

  constructor(private readonly lines: Line[], private readonly opts: ConfirmOptions, private readonly done: (yes: boolean) => void) {
    this.title = opts.title ?? 'Confirm';
  }

  hints(): string { return 'y yes   n/Esc no   Left/Right choose   Enter confirm'; }

  render(s: Screen, a: Area): void {
    const w = widest(this.lines, a.width - 6);
    const body = this.lines.flatMap((l) => wrapLine(l, w));
    const inner = frame(s, a, this.title, w, body.length + 2, this.opts.danger ? A.red | A.bold : A.bold);
    body.slice(0, inner.height - 2).forEach((l, i) => drawLine(s, inner.top + i, inner.left, l, inner.width));
    const yes = `[ ${this.opts.yes ?? 'Yes'} ]`, no = `[ ${this.opts.no ?? 'No'} ]`;
    const row = inner.top + inner.height - 1;
    const start = inner.left + Math.max(0, Math.floor((inner.width - yes.length - no.length - 4) / 2));
    s.put(row, start, yes, this.yes ? A.reverse | A.bold : 0);
    s.put(row, start + yes.length + 4, no, this.yes ? 0 : A.reverse | A.bold);
  }

  key(k: Key): boolean {
    if (k.name === 'char' && (k.ch === 'y' || k.ch === 'Y')) { this.done(true); return true; }
    if (k.name === 'escape' || (k.name === 'char' && (k.ch === 'n' || k.ch === 'N' || k.ch === 'q'))) { this.done(false); return true; }
    if (['left', 'right', 'tab', 'backtab'].includes(k.name)) { this.yes = !this.yes; return true; }
    if (k.name === 'enter') { this.done(this.yes); return true; }
    return true;
  }
}

export class AlertDialog implements View {
  readonly modal = true;
  private readonly pager: Pager;
  constructor(readonly title: string, private readonly lines: Line[], private readonly done: () => void) {
    this.pager = new Pager(lines);
  }

  hints(): string { return `Enter/Esc close   Up/Down scroll ${this.pager.position()}`; }

  render(s: Screen, a: Area): void {
    const w = widest(this.lines, a.width - 6);
    const h = this.lines.reduce((n, l) => n + wrapLine(l, w).length, 0);
    this.pager.render(s, frame(s, a, this.title, w + 1, h, A.bold));
  }

  key(k: Key): boolean {
    if (k.name === 'enter' || k.name === 'escape' || (k.name === 'char' && k.ch === 'q')) { this.done(); return true; }
    this.pager.key(k);
    return true;
  }
}

export interface Choice<T> { hotkey?: string; label: string; value: T }

export class ChoiceDialog<T> implements View {
  readonly modal = true;
  private readonly list: SelectList<T>;
  constructor(readonly title: string, private readonly choices: Choice<T>[], private readonly done: (v: T | null) => void) {
    const items: ListItem<T>[] = choices.map((c) => ({ line: `${c.hotkey ? `${c.hotkey}  ` : ''}${c.label}`, hotkey: c.hotkey, value: c.value }));
    this.list = new SelectList(items, (item) => this.done(item.value ?? null));
  }

  hints(): string { return 'Up/Down move   Enter choose   Esc cancel'; }

  render(s: Screen, a: Area): void {
    const w = widest(this.choices.map((c) => `${c.hotkey ?? ''}  ${c.label}`), a.width - 6);
    this.list.render(s, frame(s, a, this.title, w, this.choices.length, A.bold));
  }

  async key(k: Key): Promise<boolean> {
    if (k.name === 'escape') { this.done(null); return true; }
    await this.list.key(k);
    return true;
  }
}

export interface PromptOptions { title: string; label: string; value?: string; hint?: string; check?: (v: string) => string | null; secret?: boolean }

export class PromptDialog implements View {
  readonly modal = true;
  readonly title: string;
  private readonly form: Form;

  constructor(opts: PromptOptions, private readonly done: (v: string | null) => void) {
    this.title = opts.title;
    this.form = new Form([
      { kind: 'text', id: 'v', label: opts.label, value: opts.value ?? '', hint: opts.hint, check: opts.check, secret: opts.secret, width: 24 },
      { kind: 'button', id: 'ok', label: 'OK' },
    ], (f) => this.done(f.value('v')), Math.max(8, opts.label.length + 1));
  }

  hints(): string { return 'Enter next/OK   Esc cancel'; }

  render(s: Screen, a: Area): void {
    this.form.render(s, frame(s, a, this.title, Math.min(a.width - 6, 60), 4, A.bold));
  }

  async key(k: Key): Promise<boolean> {
    if (k.name === 'escape') { this.done(null); return true; }
    await this.form.key(k);
    return true;
  }
}
