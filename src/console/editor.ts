/**
 * Editing a config text with nano in restricted mode (rnano): it can write
 * only the file it was given and has no shell, no command execution, no
 * suspend, no spell checker, no other files — so the editor is no way out of
 * the console. The file lives in a private temporary directory that is
 * removed afterwards; the console's terminal is handed over and taken back.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Terminal } from './term/terminal.js';

export const EDITOR = '/usr/bin/nano';

/** Edit `text` as file `name`; resolves with the saved text (unchanged when the editor quit without saving). */
export async function editText(term: Terminal, text: string, name: string): Promise<string> {
  if (!existsSync(EDITOR)) throw new Error(`no editor on this node (${EDITOR}; package "nano")`);
  const dir = mkdtempSync(join(tmpdir(), 'lbconsole-'));
  const file = join(dir, name);
  writeFileSync(file, text, { mode: 0o600 });
  term.suspend();
  try {
    const env: NodeJS.ProcessEnv = { TERM: process.env.TERM ?? 'vt100', HOME: dir, PATH: '/usr/bin:/bin' };
    for (const k of ['LANG', 'LC_ALL', 'LC_CTYPE']) if (process.env[k]) env[k] = process.env[k];
    const status = await new Promise<number | null>((resolve, reject) => {
      const p = spawn(EDITOR, ['--restricted', '--ignorercfiles', '--saveonexit', file], { stdio: 'inherit', env });
      p.on('error', reject);
      p.on('exit', (code) => resolve(code));
    });
    if (status !== 0) throw new Error(`the editor exited with status ${status}; nothing was changed`);
    return readFileSync(file, 'utf8');
  } finally {
    term.resume();
    rmSync(dir, { recursive: true, force: true });
  }
}
