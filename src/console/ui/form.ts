/**
 * Forms: labelled text fields (line editing, masked passwords), choices cycled
 * with Left/Right/Space, and buttons. Each field is checked when it is left
 * and all of them again on submit; a bad value keeps the focus on its field
 * with the reason under it, and nothing is submitted.
 */
import { A, type Screen } from '../term/screen.js';
import type { Key } from '../term/terminal.js';
import { pad, type Area } from './view.js';

interface FieldBase { id: string; label: string; hint?: string; visible?: () => boolean }
export interface TextField extends FieldBase {
  kind: 'text';
  value: string;
  secret?: boolean;
  width?: number;
  maxLength?: number;
  /** The reason the value is refused, or null. */
  check?: (value: string) => string | null;
}
export interface ChoiceField extends FieldBase { kind: 'choice'; options: string[]; value: string }
export interface ButtonField extends FieldBase { kind: 'button' }
export type Field = TextField | ChoiceField | ButtonField;

export class Form {
  focus = 0;
  readonly errors = new Map<string, string>();
  private cursor = 0;
  private top = 0;

  constructor(readonly fields: Field[], private readonly submit: (form: Form) => void | Promise<void>, private readonly labelWidth = 16) {
    this.focus = this.visibleIndexes()[0] ?? 0;
    this.cursor = this.textOf(this.fields[this.focus])?.length ?? 0;
  }

  field<F extends Field = Field>(id: string): F {
    const f = this.fields.find((x) => x.id === id);
    if (!f) throw new Error(`no field ${id}`);
    return f as F;
  }

  value(id: string): string {
    const f = this.field(id);
    return f.kind === 'button' ? '' : f.value.trim();
  }

  /** The untrimmed text of a text field (passwords keep their spaces). */
  raw(id: string): string {
    const f = this.field(id);
    return f.kind === 'text' ? f.value : '';
  }

  clear(...ids: string[]): void {
    for (const id of ids) { const f = this.field(id); if (f.kind === 'text') f.value = ''; }
    this.cursor = this.textOf(this.fields[this.focus])?.length ?? 0;
  }

  setError(id: string, message: string): void {
    this.errors.set(id, message);
    const i = this.fields.findIndex((f) => f.id === id);
    if (i >= 0) this.focusOn(i);
  }

  private textOf(f: Field | undefined): string | undefined { return f?.kind === 'text' ? f.value : undefined; }
  private visible(f: Field): boolean { return f.visible?.() ?? true; }
  private visibleIndexes(): number[] { return this.fields.map((f, i) => (this.visible(f) ? i : -1)).filter((i) => i >= 0); }

  private focusOn(i: number): void {
    this.focus = i;
    this.cursor = this.textOf(this.fields[i])?.length ?? 0;
  }

  private step(dir: 1 | -1): void {
    const vis = this.visibleIndexes();
    const at = vis.indexOf(this.focus);
    const next = vis[Math.max(0, Math.min(vis.length - 1, at + dir))];
    if (next !== undefined) this.focusOn(next);
  }

  /** Check one field; returns whether it is acceptable (and records the reason when not). */
  private checkField(f: Field): boolean {
    if (f.kind !== 'text' || !f.check || !this.visible(f)) return true;
    const problem = f.check(f.value);
    if (problem) this.errors.set(f.id, problem);
    else this.errors.delete(f.id);
    return !problem;
  }

  /** Check every visible field; focus the first bad one. */
  validate(): boolean {
    let first = -1;
    this.fields.forEach((f, i) => { if (!this.checkField(f) && first < 0) first = i; });
    if (first >= 0) { this.focusOn(first); return false; }
    return true;
  }

  /** The first error to show in the message line, if any. */
  firstError(): string | undefined {
    for (const f of this.fields) { const e = this.errors.get(f.id); if (e && this.visible(f)) return `${f.label}: ${e}`; }
    return undefined;
  }

  render(s: Screen, a: Area): void {
    const rows: { field: Field; index: number }[] = [];
    this.fields.forEach((field, index) => { if (this.visible(field)) rows.push({ field, index }); });
    // Each field takes two rows: itself, then its error or (when focused) its hint.
    const focusRow = rows.findIndex((r) => r.index === this.focus) * 2;
    if (focusRow < this.top) this.top = focusRow;
    if (focusRow + 2 > this.top + a.height) this.top = focusRow + 2 - a.height;
    s.cursor = null;
    const boxLeft = a.left + this.labelWidth + 2;
    const boxMax = Math.max(4, a.width - this.labelWidth - 4);
    rows.forEach(({ field, index }, n) => {
      const row = a.top + n * 2 - this.top;
      if (row < a.top || row >= a.top + a.height) return;
      const focused = index === this.focus;
      const err = this.errors.get(field.id);
      if (field.kind === 'button') {
        s.put(row, boxLeft, `[ ${field.label} ]`, focused ? A.reverse | A.bold : A.bold);
      } else {
        s.put(row, a.left, pad(field.label, this.labelWidth), focused ? A.bold : 0);
        const w = Math.min(field.kind === 'text' ? field.width ?? 40 : Math.max(...field.options.map((o) => o.length)) + 4, boxMax);
        if (field.kind === 'text') {
          const shown = field.secret ? '*'.repeat(field.value.length) : field.value;
          const off = focused ? Math.max(0, this.cursor - (w - 1)) : 0;
          s.put(row, boxLeft - 1, '[', 0);
          s.put(row, boxLeft, pad(shown.slice(off), w), A.underline | (focused ? A.bold : 0));
          s.put(row, boxLeft + w, ']', 0);
          if (focused) s.cursor = { row, col: boxLeft + this.cursor - off };
        } else {
          s.put(row, boxLeft - 1, '<', 0);
          s.put(row, boxLeft, pad(` ${field.value}`, w), focused ? A.reverse : A.underline);
          s.put(row, boxLeft + w, '>', 0);
        }
      }
      const note = err ?? (focused ? field.hint : undefined);
      if (note && row + 1 < a.top + a.height) s.putClipped(row + 1, boxLeft, note, err ? A.red | A.bold : 0, a.left + a.width - boxLeft);
    });
  }

  async key(k: Key): Promise<boolean> {
    const f = this.fields[this.focus];
    if (!f) return false;
    switch (k.name) {
      case 'up': case 'backtab': this.step(-1); return true;
      case 'down': case 'tab': this.checkField(f); this.step(1); return true;
      case 'enter':
        if (f.kind === 'button') {
          if (this.validate()) await this.submit(this);
          return true;
        }
        if (this.checkField(f)) this.step(1);
        return true;
      default:
    }
    if (f.kind === 'choice') {
      const i = f.options.indexOf(f.value);
      if (k.name === 'left') f.value = f.options[(i + f.options.length - 1) % f.options.length]!;
      else if (k.name === 'right' || (k.name === 'char' && k.ch === ' ')) f.value = f.options[(i + 1) % f.options.length]!;
      else return false;
      return true;
    }
    if (f.kind !== 'text') return false;
    return this.edit(f, k);
  }

  private edit(f: TextField, k: Key): boolean {
    const v = [...f.value];
    const set = (chars: string[], cursor: number) => { f.value = chars.join(''); this.cursor = cursor; this.errors.delete(f.id); };
    if (k.name === 'char' && k.ch) {
      if (f.maxLength !== undefined && v.length >= f.maxLength) return true;
      v.splice(this.cursor, 0, k.ch);
      set(v, this.cursor + 1);
      return true;
    }
    if (k.ctrl) {
      switch (k.name) {
        case 'a': this.cursor = 0; return true;
        case 'e': this.cursor = v.length; return true;
        case 'u': set([], 0); return true;
        case 'k': set(v.slice(0, this.cursor), this.cursor); return true;
        default: return false;
      }
    }
    switch (k.name) {
      case 'left': this.cursor = Math.max(0, this.cursor - 1); return true;
      case 'right': this.cursor = Math.min(v.length, this.cursor + 1); return true;
      case 'home': this.cursor = 0; return true;
      case 'end': this.cursor = v.length; return true;
      case 'backspace':
        if (this.cursor > 0) { v.splice(this.cursor - 1, 1); set(v, this.cursor - 1); }
        return true;
      case 'delete':
        if (this.cursor < v.length) { v.splice(this.cursor, 1); set(v, this.cursor); }
        return true;
      default: return false;
    }
  }
}
