/**
 * Running user scripts (track scripts, notify hooks, MISC_CHECK, quorum hooks):
 * no shell unless the line uses shell syntax, a hard timeout that kills the
 * whole process group, bounded output capture, optional user:group.
 * Never throws for a failing script: the result says what happened.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Characters that mean "this line needs /bin/sh" when they appear outside quotes. */
const SHELL_SYNTAX = /[|&;<>()$`*?[\]{}~\n]/;

/**
 * Split a command line into argv with shell-like quoting ('...', "...", \x).
 * Returns null when the line needs a real shell (pipes, redirections, globs, variables...).
 */
export function splitCommand(line: string): string[] | null {
  const argv: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return null;
      cur += line.slice(i + 1, end); i = end; inWord = true; continue;
    }
    if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1]!)) { cur += line[++j]; continue; }
        if (line[j] === '$' || line[j] === '`') return null;
        cur += line[j];
      }
      if (j >= line.length) return null;
      i = j; inWord = true; continue;
    }
    if (c === '\\') { if (i + 1 >= line.length) return null; cur += line[++i]; inWord = true; continue; }
    if (c === ' ' || c === '\t') { if (inWord) { argv.push(cur); cur = ''; inWord = false; } continue; }
    if (SHELL_SYNTAX.test(c) || (c === '#' && !inWord)) return null;
    cur += c; inWord = true;
  }
  if (inWord) argv.push(cur);
  return argv.length ? argv : null;
}

export interface RunOptions {
  timeoutMs: number;
  /** Extra arguments appended (notify hooks get TYPE NAME STATE PRIORITY). */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** "user" or "user:group" to run as (lbd runs as root). */
  user?: string;
  /** Keep at most this many bytes of stdout/stderr each. */
  maxOutput?: number;
  /** Let processes the script left in the background live on (notify hooks that start things). */
  keepBackground?: boolean;
  /** Kills the process group at once (a check removed by a reload, lbd stopping). */
  signal?: AbortSignal;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Spawn failure (command not found, permission denied). */
  error?: string;
  stdout: string;
  stderr: string;
  durationMs: number;
}

function lookupIds(spec: string): { uid: number; gid: number } {
  const [user, group] = spec.split(':');
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':'));
  const entry = passwd.find((f) => f[0] === user) ?? (/^\d+$/.test(user!) ? [user, '', user, user] : undefined);
  if (!entry) throw new Error(`unknown user "${user}"`);
  let gid = Number(entry[3]);
  if (group) {
    const g = readFileSync('/etc/group', 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[0] === group);
    if (g) gid = Number(g[2]);
    else if (/^\d+$/.test(group)) gid = Number(group);
    else throw new Error(`unknown group "${group}"`);
  }
  return { uid: Number(entry[2]), gid };
}

export function runCommand(line: string, opts: RunOptions): Promise<RunResult> {
  const start = performance.now();
  const max = opts.maxOutput ?? 16384;
  const argv = splitCommand(line);
  const extra = opts.args ?? [];
  // With a shell, extra arguments become $1.. of the line.
  const [file, args] = argv ? [argv[0]!, [...argv.slice(1), ...extra]] : ['/bin/sh', ['-c', line, 'sh', ...extra]];
  let ids: { uid: number; gid: number } | undefined;
  try { ids = opts.user ? lookupIds(opts.user) : undefined; } catch (e) {
    return Promise.resolve({ code: null, signal: null, timedOut: false, error: (e as Error).message, stdout: '', stderr: '', durationMs: 0 });
  }
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: opts.env ?? process.env, ...(ids ?? {}),
    });
    let stdout = '', stderr = '', timedOut = false, spawnError: string | undefined;
    child.stdout!.on('data', (d: Buffer) => { if (stdout.length < max) stdout += d.toString().slice(0, max - stdout.length); });
    child.stderr!.on('data', (d: Buffer) => { if (stderr.length < max) stderr += d.toString().slice(0, max - stderr.length); });
    const killGroup = (sig: NodeJS.Signals) => { try { if (child.pid) process.kill(-child.pid, sig); } catch { /* gone */ } };
    const terminate = () => {
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 200).unref();
    };
    const timer = setTimeout(() => { timedOut = true; terminate(); }, opts.timeoutMs);
    if (opts.signal?.aborted) terminate();
    opts.signal?.addEventListener('abort', terminate, { once: true });
    child.on('error', (e) => { spawnError = e.message; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', terminate);
      // A check's background children must not outlive it.
      if (!opts.keepBackground) killGroup('SIGKILL');
      resolve({ code, signal, timedOut, error: spawnError, stdout, stderr, durationMs: performance.now() - start });
    });
  });
}
