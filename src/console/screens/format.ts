/** Small formatting helpers shared by the screens. */
import { A } from '../term/screen.js';
import { pad, type Seg } from '../ui/view.js';

/** A row of fixed-width columns: [text, width, attr?]; the last column takes the rest. */
export function row(...cells: [string, number, number?][]): Seg[] {
  return cells.map(([text, width, attr], i) => ({ text: i === cells.length - 1 ? text : `${pad(text, width - 1)} `, attr }));
}

export function stateAttr(state: string): number {
  switch (state.toUpperCase()) {
    case 'MASTER': case 'UP': case 'ENABLED': case 'OPEN': return A.green | A.bold;
    case 'FAULT': case 'DOWN': case 'STOPPED': case 'FAILED': return A.red | A.bold;
    case 'DRAIN': case 'DISABLED': case 'MAINT': case 'NOLB': case 'UNKNOWN': case 'STOP': case 'INIT': return A.yellow | A.bold;
    default: return 0;
  }
}

/** "12:01:02" today, "03-14 12:01" otherwise (local time). */
export function shortTime(iso: string, now = new Date()): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return '?';
  const two = (n: number) => String(n).padStart(2, '0');
  if (t.toDateString() === now.toDateString()) return `${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}`;
  return `${two(t.getMonth() + 1)}-${two(t.getDate())} ${two(t.getHours())}:${two(t.getMinutes())}`;
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d${h}h`;
  if (h) return `${h}h${String(m).padStart(2, '0')}m`;
  return `${m}m${String(s % 60).padStart(2, '0')}s`;
}

export const orDash = (v: unknown) => (v === null || v === undefined || v === '' ? '-' : String(v));
