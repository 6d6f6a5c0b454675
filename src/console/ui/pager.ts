/** Scrollable text (diffs, logs, command output), wrapped to the width; `follow` keeps the end in view as lines arrive. */
import { A, type Screen } from '../term/screen.js';
import type { Key } from '../term/terminal.js';
import { drawLine, wrapLine, type Area, type Line, type Seg } from './view.js';

export class Pager {
  lines: Line[] = [];
  /** Stay at the end when new lines come (log tail). */
  follow = false;
  private top = 0;
  private height = 1;
  private wrapped: Seg[][] = [];

  constructor(lines: Line[] = [], readonly maxLines = 5000) { this.lines = lines; }

  set(lines: Line[]): void { this.lines = lines.slice(-this.maxLines); }

  append(lines: Line[]): void {
    this.lines.push(...lines);
    if (this.lines.length > this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines);
  }

  render(s: Screen, a: Area): void {
    this.height = a.height;
    this.wrapped = this.lines.flatMap((l) => wrapLine(l, Math.max(1, a.width - 1)));
    const maxTop = Math.max(0, this.wrapped.length - a.height);
    if (this.follow || this.top > maxTop) this.top = maxTop;
    for (let r = 0; r < a.height; r++) {
      const l = this.wrapped[this.top + r];
      if (l) drawLine(s, a.top + r, a.left, l, a.width - 1);
    }
    if (this.top > 0) s.put(a.top, a.left + a.width - 1, s.glyphs.up, A.bold);
    if (this.top < maxTop) s.put(a.top + a.height - 1, a.left + a.width - 1, s.glyphs.down, A.bold);
  }

  /** "lines 1-20 of 57" for the hints. */
  position(): string {
    const total = this.wrapped.length;
    if (total <= this.height) return '';
    return `${this.top + 1}-${Math.min(total, this.top + this.height)}/${total}`;
  }

  key(k: Key): boolean {
    const page = Math.max(1, this.height - 1);
    const maxTop = Math.max(0, this.wrapped.length - this.height);
    const go = (t: number) => { this.top = Math.max(0, Math.min(maxTop, t)); if (this.top < maxTop) this.follow = false; };
    const name = k.name === 'char' ? ({ ' ': 'pagedown', j: 'down', k: 'up', g: 'home', G: 'end' } as Record<string, string>)[k.ch!] : k.name;
    switch (name) {
      case 'up': go(this.top - 1); return true;
      case 'down': go(this.top + 1); return true;
      case 'pageup': go(this.top - page); return true;
      case 'pagedown': go(this.top + page); return true;
      case 'home': go(0); return true;
      case 'end': go(maxTop); return true;
      default: return false;
    }
  }
}
