/**
 * The console application frame: a stack of views (screens, with dialogs
 * drawn over them), the header with the node's state, a title line with the
 * path, a message line and a key-hint line. Keys go to the top view; an
 * unused Esc (or Ctrl-C, or q) goes back. Errors from any action become a
 * message, never a crash. Layout fits 80×24 and follows resizes.
 */
import { A, type Screen } from '../term/screen.js';
import type { Key, Terminal } from '../term/terminal.js';
import type { ApiClient } from '../api.js';
import type { StatusModel } from '../status-model.js';
import { pad, type View } from './view.js';
import { AlertDialog, ChoiceDialog, ConfirmDialog, PromptDialog, type Choice, type ConfirmOptions, type PromptOptions } from './dialogs.js';
import type { Line } from './view.js';

const MIN_COLS = 40, MIN_ROWS = 12;

export class App {
  private stack: View[] = [];
  private msg: { text: string; attr: number } | null = null;
  private busyText: string | null = null;
  private scheduled = false;
  private finish!: () => void;
  readonly finished = new Promise<void>((r) => { this.finish = r; });

  constructor(readonly term: Terminal, readonly screen: Screen, readonly api: ApiClient, readonly status: StatusModel) {
    term.on('key', (k) => { void this.onKey(k); });
    term.on('resize', () => { this.screen.resize(term.cols, term.rows); this.draw(); });
    status.on('change', () => this.render());
  }

  get top(): View | undefined { return this.stack.at(-1); }

  push(v: View): void {
    this.stack.push(v);
    v.opened?.();
    this.render();
  }

  /** Close `v` (default: the top view) and everything above it. */
  pop(v: View | undefined = this.top): void {
    const i = v ? this.stack.lastIndexOf(v) : -1;
    if (i < 0) return;
    for (const closed of this.stack.splice(i).reverse()) closed.closed?.();
    this.render();
  }

  /** Back to the first view (after a wizard finishes). */
  popToRoot(): void { if (this.stack[1]) this.pop(this.stack[1]); }

  quit(): void {
    for (const v of this.stack.splice(0).reverse()) v.closed?.();
    this.finish();
  }

  info(text: string): void { this.msg = { text, attr: 0 }; this.render(); }
  ok(text: string): void { this.msg = { text, attr: A.green | A.bold }; this.render(); }
  error(e: unknown): void {
    this.msg = { text: e instanceof Error ? e.message : String(e), attr: A.red | A.bold };
    this.render();
  }

  /** Run an action with a "working" line, keys held off meanwhile; its error is thrown to the caller. */
  async task<T>(text: string, fn: () => Promise<T>): Promise<T> {
    this.busyText = text;
    this.msg = null;
    this.draw();
    try {
      return await fn();
    } finally {
      this.busyText = null;
      this.render();
    }
  }

  /** Like task(), but the error becomes the message; undefined when it failed. */
  async busy<T>(text: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.task(text, fn);
    } catch (e) {
      this.error(e);
      return undefined;
    }
  }

  private modal<T>(make: (done: (v: T) => void) => View): Promise<T> {
    return new Promise<T>((resolve) => {
      const view = make((v) => { this.pop(view); resolve(v); });
      this.push(view);
    });
  }

  confirm(lines: Line[], opts: ConfirmOptions = {}): Promise<boolean> {
    return this.modal((done) => new ConfirmDialog(lines, opts, done));
  }

  alert(title: string, lines: Line[]): Promise<void> {
    return this.modal((done) => new AlertDialog(title, lines, () => done(undefined)));
  }

  choose<T>(title: string, choices: Choice<T>[]): Promise<T | null> {
    return this.modal((done) => new ChoiceDialog(title, choices, done));
  }

  prompt(opts: PromptOptions): Promise<string | null> {
    return this.modal((done) => new PromptDialog(opts, done));
  }

  /** Redraw soon (coalesces bursts of updates into one frame). */
  render(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => { this.scheduled = false; this.draw(); });
  }

  redrawAll(): void {
    this.screen.invalidate();
    this.draw();
  }

  private draw(): void {
    const s = this.screen;
    s.clear();
    if (s.cols < MIN_COLS || s.rows < MIN_ROWS) {
      s.put(0, 0, `Terminal ${s.cols}x${s.rows} is too small; the console needs 80x24.`, A.bold);
      this.term.write(s.flush());
      return;
    }
    this.header(s);
    const crumbs = this.stack.filter((v) => !v.modal).map((v) => v.title);
    s.putClipped(1, 1, crumbs.join(` ${s.glyphs.arrow} `), A.bold, s.cols - 2);
    const body = { top: 2, left: 1, width: s.cols - 2, height: s.rows - 4 };
    let base = this.stack.length - 1;
    while (base > 0 && this.stack[base]!.modal) base--;
    for (let i = Math.max(0, base); i < this.stack.length; i++) {
      const v = this.stack[i]!;
      if (i > base) s.cursor = null;
      v.render(s, body);
    }
    const msgRow = s.rows - 2;
    if (this.busyText) s.putClipped(msgRow, 1, `${this.busyText} ${s.glyphs.ellipsis}`, A.bold | A.yellow, s.cols - 2);
    else if (this.msg) s.putClipped(msgRow, 1, this.msg.text, this.msg.attr, s.cols - 2);
    const hints = this.top?.hints() ?? '';
    s.put(s.rows - 1, 0, pad(` ${hints}`, s.cols), A.reverse);
    this.term.write(s.flush());
  }

  private header(s: Screen): void {
    const st = this.status;
    const v = st.view;
    s.fill(0, 0, s.cols, ' ', A.reverse);
    const left = ` lb-appliance ${v ? `${s.glyphs.v} ${v.node.router_id || '-'} (${v.node.hostname})` : ''}`;
    s.putClipped(0, 0, left, A.reverse | A.bold, s.cols - 30);
    let right: string, attr = A.reverse;
    if (st.problem) { right = 'lbd NOT REACHABLE'; attr |= A.red | A.bold; }
    else if (!v) right = 'connecting';
    else {
      const states = v.vrrp.map((i) => i.state);
      const count = (x: string) => states.filter((y) => y === x).length;
      right = states.length ? ['MASTER', 'BACKUP', 'FAULT'].filter((x) => count(x)).map((x) => `${x} ${count(x)}`).join(' ') || states.join(' ') : 'no VRRP';
      if (v.node.maintenance) { right = `MAINTENANCE ${s.glyphs.v} ${right}`; attr |= A.yellow | A.bold; }
      else if (count('FAULT')) attr |= A.red | A.bold;
    }
    s.put(0, s.cols - right.length - 1, right, attr);
  }

  private async onKey(k: Key): Promise<void> {
    if (k.ctrl && k.name === 'l') {
      await this.term.measure();
      this.screen.resize(this.term.cols, this.term.rows);
      this.redrawAll();
      return;
    }
    if (this.busyText) return;
    this.msg = null;
    const v = this.top;
    if (!v) return;
    // Ctrl-C is Esc: it cancels, it never kills the console (the login session).
    const key = k.ctrl && k.name === 'c' ? { ...k, name: 'escape', ctrl: false } : k;
    try {
      const used = await v.key(key);
      const back = key.name === 'escape' || (key.name === 'char' && key.ch === 'q');
      if (!used && back && this.stack.length > 1 && this.top === v) this.pop(v);
    } catch (e) {
      this.error(e);
    }
    this.render();
  }
}
