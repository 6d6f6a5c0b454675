/**
 * The terminal the console runs on: raw mode, the alternate screen, keys
 * (decoded by node:readline, which also times out a lone Esc), the size and
 * its changes. A serial console reports no size (0×0): the terminal is asked
 * with a cursor-position report, else 80×24 is assumed; Ctrl-L asks again.
 * Whatever happens, the terminal is given back in the state it was found.
 */
import { EventEmitter } from 'node:events';
import { writeSync } from 'node:fs';
import { emitKeypressEvents } from 'node:readline';
import type { ReadStream, WriteStream } from 'node:tty';
import type { TermCaps } from './screen.js';

export interface Key {
  /** 'char' for a printable character (in `ch`), else up/down/left/right/enter/escape/tab/backspace/delete/home/end/pageup/pagedown/f1... or a letter with ctrl. */
  name: string;
  ch?: string;
  ctrl: boolean;
  meta: boolean;
  shift: boolean;
}

/** Terminals that take neither UTF-8 nor colour: serial consoles (vt100/vt220), dumb terminals. */
const PLAIN_TERM = /^(dumb|vt\d+|ansi|unknown)$/;

export function detectCaps(env: NodeJS.ProcessEnv, force: { ascii?: boolean; noColor?: boolean } = {}): TermCaps {
  const term = (env.TERM ?? 'dumb').toLowerCase();
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return {
    unicode: !force.ascii && /utf-?8/i.test(locale) && !PLAIN_TERM.test(term),
    color: !force.noColor && env.NO_COLOR === undefined && !PLAIN_TERM.test(term),
  };
}

interface RawKey { name?: string; ctrl?: boolean; meta?: boolean; shift?: boolean; sequence?: string }

export function toKey(str: string | undefined, k: RawKey | undefined): Key | null {
  const base = { ctrl: !!k?.ctrl, meta: !!k?.meta, shift: !!k?.shift };
  if (str && [...str].length === 1 && !base.ctrl && !base.meta) {
    const cp = str.codePointAt(0)!;
    if (cp >= 0x20 && cp !== 0x7f && !(cp >= 0x80 && cp < 0xa0)) return { name: 'char', ch: str, ...base };
  }
  let name = k?.name;
  if (!name) return null;
  if (name === 'return') name = 'enter';
  if (name === 'tab' && base.shift) name = 'backtab';
  return { name, ...base };
}

const ENTER = '\x1b[?1049h\x1b[?7l\x1b[?25l';
const LEAVE = '\x1b[0m\x1b[?25h\x1b[?7h\x1b[?1049l';

export class Terminal extends EventEmitter<{ key: [Key]; resize: [] }> {
  cols = 80;
  rows = 24;
  private active = false;
  private readonly onKeypress = (str: string | undefined, k: RawKey | undefined) => {
    const key = toKey(str, k);
    if (key) this.emit('key', key);
  };
  private readonly onResize = () => { void this.measure().then(() => this.emit('resize')); };
  private readonly restoreSync = () => { if (this.active) { try { writeSync((this.output as unknown as { fd: number }).fd, LEAVE); } catch { /* gone */ } } };

  constructor(readonly input: ReadStream, readonly output: WriteStream) {
    super();
  }

  write(s: string): void {
    if (s) this.output.write(s);
  }

  async start(): Promise<void> {
    this.input.setRawMode(true);
    this.input.setEncoding('utf8');
    this.input.resume();
    this.active = true;
    process.on('exit', this.restoreSync);
    this.write(ENTER);
    await this.measure();
    emitKeypressEvents(this.input);
    this.input.on('keypress', this.onKeypress);
    this.output.on('resize', this.onResize);
  }

  /** The size from the kernel, else $COLUMNS/$LINES, else asked from the terminal, else 80×24. */
  async measure(): Promise<void> {
    const c = this.output.columns, r = this.output.rows;
    if (c > 0 && r > 0) { this.cols = c; this.rows = r; return; }
    const ec = Number(process.env.COLUMNS), er = Number(process.env.LINES);
    if (ec > 0 && er > 0) { this.cols = ec; this.rows = er; return; }
    const asked = await this.askSize();
    [this.cols, this.rows] = asked ?? [80, 24];
  }

  /** Cursor to the far corner, then a cursor-position report (ESC[row;colR): the answer is the size. */
  private askSize(): Promise<[number, number] | null> {
    return new Promise((resolve) => {
      let got = '';
      const listening = this.input.listeners('keypress') as ((...a: unknown[]) => void)[];
      for (const l of listening) this.input.off('keypress', l);
      const done = (v: [number, number] | null) => {
        clearTimeout(timer);
        this.input.off('data', onData);
        for (const l of listening) this.input.on('keypress', l);
        resolve(v);
      };
      const onData = (d: string) => {
        got += d;
        const m = /\x1b\[(\d+);(\d+)R/.exec(got);
        if (m) done([Number(m[2]), Number(m[1])]);
      };
      const timer = setTimeout(() => done(null), 700);
      this.input.on('data', onData);
      this.write('\x1b7\x1b[999;999H\x1b[6n\x1b8');
    });
  }

  /** Hand the terminal to another program (the config editor); resume() takes it back. */
  suspend(): void {
    this.input.off('keypress', this.onKeypress);
    this.input.pause();
    this.write(LEAVE);
    this.input.setRawMode(false);
  }

  resume(): void {
    this.input.setRawMode(true);
    this.input.resume();
    this.write(ENTER);
    this.input.on('keypress', this.onKeypress);
  }

  stop(): void {
    if (!this.active) return;
    this.input.off('keypress', this.onKeypress);
    this.output.off('resize', this.onResize);
    this.write(LEAVE);
    this.active = false;
    process.off('exit', this.restoreSync);
    try { this.input.setRawMode(false); } catch { /* input already closed (hang-up) */ }
    this.input.pause();
  }
}
