/**
 * A terminal for console tests: a private tmux server (its own socket name,
 * no user config) with one pane of a given size running a command; keys are
 * sent with send-keys and the screen read back with capture-pane. Servers
 * still running at exit are killed, and their socket files removed (tmux
 * leaves them behind after kill-server).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { run, must } from './netns.js';

const live = new Set<string>();
/** Where tmux puts the socket of `-L name`. */
const socketFile = (name: string) => join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid?.() ?? 0}`, name);
process.on('exit', () => {
  for (const s of live) {
    try { execFileSync('tmux', ['-L', s, 'kill-server'], { stdio: 'ignore', timeout: 5000 }); } catch { /* gone */ }
    rmSync(socketFile(s), { force: true });
  }
});

export class Tmux {
  private constructor(readonly socket: string) {}

  /** Start `argv` (no shell) in an 80×24 (or given) pane; `env` is set for it. */
  static async start(argv: string[], opts: { cols?: number; rows?: number; env?: Record<string, string> } = {}): Promise<Tmux> {
    const t = new Tmux(`lbcon-${randomBytes(4).toString('hex')}`);
    live.add(t.socket);
    const env = Object.entries(opts.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    await must('tmux', ['-L', t.socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'main', '-x', String(opts.cols ?? 80), '-y', String(opts.rows ?? 24), ...env, '--', ...argv]);
    // Keep the pane after the program exits, to read its last words and exit status.
    await must('tmux', ['-L', t.socket, 'set-option', '-t', 'main', 'remain-on-exit', 'on']);
    return t;
  }

  private tmux(args: string[]): Promise<string> { return must('tmux', ['-L', this.socket, ...args], 10_000); }

  /** Keys by tmux name (Enter, Escape, Up, Down, Tab, BTab, C-c, Space, PageDown, ...). */
  async keys(...keys: string[]): Promise<void> {
    for (const k of keys) {
      await this.tmux(['send-keys', '-t', 'main', k]);
      // One key at a time, as typed: Escape needs its own moment to be read as a lone Esc.
      await new Promise((r) => setTimeout(r, k === 'Escape' ? 700 : 60));
    }
  }

  /** Literal text. */
  async type(text: string): Promise<void> {
    await this.tmux(['send-keys', '-t', 'main', '-l', text]);
    await new Promise((r) => setTimeout(r, 100));
  }

  /** Text of the visible screen. */
  screen(): Promise<string> { return this.tmux(['capture-pane', '-p', '-t', 'main']); }

  async resize(cols: number, rows: number): Promise<void> {
    await this.tmux(['resize-window', '-t', 'main', '-x', String(cols), '-y', String(rows)]);
  }

  /** Whether the program in the pane has exited. */
  async dead(): Promise<boolean> {
    return (await this.tmux(['display-message', '-p', '-t', 'main', '#{pane_dead}'])).trim() === '1';
  }

  /** Wait until the screen matches; the error shows the screen as it was. */
  async waitFor(re: RegExp, timeoutMs = 10_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = await this.screen();
      if (re.test(last)) return last;
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${re} on the console; screen:\n${last}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async kill(): Promise<void> {
    await run('tmux', ['-L', this.socket, 'kill-server']);
    rmSync(socketFile(this.socket), { force: true });
    live.delete(this.socket);
  }
}
