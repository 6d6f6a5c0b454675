/** What every screen and dialog of the console is: it draws into an area and takes keys. */
import type { Screen } from '../term/screen.js';
import type { Key } from '../term/terminal.js';

export interface Area { top: number; left: number; width: number; height: number }

export interface View {
  /** Shown in the title line (and the breadcrumb of the views above). */
  readonly title: string;
  /** Drawn over the view below it (dialogs). */
  readonly modal?: boolean;
  /** Key hints for the bottom line. */
  hints(): string;
  render(s: Screen, area: Area): void;
  /** True when the key was used; an unused Esc (or q) closes the view. */
  key(k: Key): boolean | Promise<boolean>;
  /** Called when the view is shown for the first time and when it is closed (start/stop live feeds). */
  opened?(): void;
  closed?(): void;
}

/** A text segment with attributes; a line is a list of them (or plain text). */
export interface Seg { text: string; attr?: number }
export type Line = string | Seg[];

export const segs = (l: Line): Seg[] => (typeof l === 'string' ? [{ text: l }] : l);
export const lineText = (l: Line): string => segs(l).map((s) => s.text).join('');

/** Draw a line of segments at (row, col) within `width` columns; returns columns used. */
export function drawLine(s: Screen, row: number, col: number, line: Line, width: number, extraAttr = 0): number {
  let used = 0;
  for (const seg of segs(line)) {
    if (used >= width) break;
    used += s.put(row, col + used, seg.text, (seg.attr ?? 0) | extraAttr, width - used);
  }
  return used;
}

/** Split a line into pieces of at most `width` columns (wrapping, attributes kept). */
export function wrapLine(line: Line, width: number): Seg[][] {
  const out: Seg[][] = [];
  let cur: Seg[] = [];
  let used = 0;
  for (const seg of segs(line)) {
    let text = [...seg.text];
    while (text.length) {
      const room = width - used;
      if (room <= 0) { out.push(cur); cur = []; used = 0; continue; }
      const piece = text.slice(0, room);
      cur.push({ text: piece.join(''), attr: seg.attr });
      used += piece.length;
      text = text.slice(room);
    }
  }
  out.push(cur);
  return out;
}

/** Pad or cut text to exactly `n` columns. */
export const pad = (text: string, n: number): string => {
  const chars = [...text];
  return chars.length >= n ? chars.slice(0, n).join('') : text + ' '.repeat(n - chars.length);
};
