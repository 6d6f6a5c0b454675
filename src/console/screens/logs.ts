/** lbd's log: recent lines (GET /logs) filtered by level and text, and a live tail (GET /logs/stream). */
import { A, type Screen } from '../term/screen.js';
import type { Key } from '../term/terminal.js';
import type { App } from '../ui/app.js';
import { Pager } from '../ui/pager.js';
import type { Area, Line, View } from '../ui/view.js';
import type { SseStream } from '../api.js';
import { shortTime } from './format.js';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
const SKIP = new Set(['time', 'level', 'msg', 'pid', 'svc', 'hostname', 'subsystem']);

export function logLine(l: Record<string, unknown>): Line {
  const level = String(l.level ?? '');
  const attr = level === 'error' || level === 'fatal' ? A.red | A.bold : level === 'warn' ? A.yellow | A.bold : 0;
  const extra = Object.entries(l).filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
  return [
    { text: `${typeof l.time === 'string' ? shortTime(l.time) : '--:--:--'} ` },
    { text: `${level.toUpperCase().padEnd(5)} `, attr },
    { text: l.subsystem ? `[${String(l.subsystem)}] ` : '', attr: A.cyan },
    { text: String(l.msg ?? '') },
    { text: extra ? `  ${extra.length > 300 ? `${extra.slice(0, 300)}...` : extra}` : '' },
  ];
}

export class LogsScreen implements View {
  readonly title = 'Logs';
  private readonly pager = new Pager([], 2000);
  private level: (typeof LEVELS)[number] = 'info';
  private text = '';
  private tail?: SseStream;

  constructor(private readonly app: App) {}

  opened(): void { void this.load(); }
  closed(): void { this.stopTail(); }

  private query(limit?: number): string {
    const q = new URLSearchParams({ level: this.level, ...(this.text ? { q: this.text } : {}), ...(limit ? { limit: String(limit) } : {}) });
    return q.toString();
  }

  private async load(): Promise<void> {
    const lines = await this.app.busy('Reading the log', () => this.app.api.get<Record<string, unknown>[]>(`/logs?${this.query(1000)}`));
    if (!lines) return;
    this.pager.set(lines.length ? lines.map(logLine) : ['(no log lines match)']);
    this.pager.follow = true;
    if (this.tail) { this.stopTail(); this.startTail(); }
    this.app.render();
  }

  private startTail(): void {
    this.pager.follow = true;
    this.tail = this.app.api.stream(`/logs/stream?${this.query()}`, {
      event: (name, data) => { if (name === 'line') { this.pager.append([logLine(data as Record<string, unknown>)]); this.app.render(); } },
      state: (up, problem) => { if (!up) this.app.error(`log tail: ${problem}`); },
    });
  }

  private stopTail(): void {
    this.tail?.close();
    this.tail = undefined;
  }

  hints(): string {
    return `f ${this.tail ? 'stop following' : 'follow'}  l level (${this.level}+)  / filter${this.text ? ` "${this.text}"` : ''}  Up/Down/PgUp/PgDn  Esc back ${this.pager.position()}`;
  }

  render(s: Screen, a: Area): void {
    if (this.tail) s.put(a.top + a.height - 1, a.left + a.width - 12, '[following]', A.reverse);
    this.pager.render(s, { ...a, height: a.height - (this.tail ? 1 : 0) });
  }

  async key(k: Key): Promise<boolean> {
    if (k.name === 'char' && k.ch === 'f') {
      if (this.tail) this.stopTail(); else this.startTail();
      return true;
    }
    if (k.name === 'char' && k.ch === 'l') {
      this.level = LEVELS[(LEVELS.indexOf(this.level) + 1) % LEVELS.length]!;
      await this.load();
      return true;
    }
    if (k.name === 'char' && k.ch === '/') {
      const t = await this.app.prompt({ title: 'Filter the log', label: 'Text', value: this.text, hint: 'lines containing this text (empty: all)', check: (v) => (v.length > 200 ? 'at most 200 characters' : null) });
      if (t !== null) { this.text = t; await this.load(); }
      return true;
    }
    return this.pager.key(k);
  }
}
