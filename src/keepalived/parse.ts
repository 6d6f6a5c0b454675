/**
 * keepalived.conf syntax → a tree of statements, each with file:line.
 * Follows keepalived's lib/parser.c: `!` and `#` start a comment outside double
 * quotes (`\!`, `\#` escape them), a trailing `\` continues the line, `{` and
 * `}` split a line wherever they appear outside quotes (so one-line blocks and
 * a `{` on the next line both work), words may be quoted with " or ' and use
 * backslash escapes, and `include GLOB` is resolved relative to the including
 * file. Problems keepalived would log and skip past are errors here.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Diagnostic } from '../config/diagnostics.js';

export interface Statement {
  keyword: string;
  args: string[];
  file: string;
  line: number;
  /** Present when the statement opens a block. */
  block?: Statement[];
}

interface Token { text: string; file: string; line: number }

const MAX_INCLUDE_DEPTH = 16;
const MAX_FILES = 1000;

/** One path segment of a glob as a RegExp (fnmatch: `*`, `?`, `[...]`, `[!...]`); a malformed class is literal. */
function globSegment(seg: string): RegExp {
  const lit = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  let re = '^';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[' && seg.indexOf(']', i + 2) > 0) {
      const end = seg.indexOf(']', i + 2);
      const body = seg.slice(i + 1, end);
      const neg = body.startsWith('!');
      re += `[${neg ? '^' : ''}${(neg ? body.slice(1) : body).replace(/[\\\]^[]/g, '\\$&')}]`;
      i = end;
    } else re += lit(c);
  }
  try { return new RegExp(re + '$'); } catch { return new RegExp(`^${lit(seg)}$`); }
}

/** Expand a glob with `*`, `?` and `[...]` in any path segment, sorted like glob(3). */
export function expandGlob(pattern: string): string[] {
  if (!/[*?[]/.test(pattern)) return [pattern];
  const parts = pattern.split('/');
  let bases = [pattern.startsWith('/') ? '/' : '.'];
  for (const part of parts) {
    if (part === '' ) continue;
    if (!/[*?[]/.test(part)) { bases = bases.map((b) => join(b, part)); continue; }
    const re = globSegment(part);
    const next: string[] = [];
    for (const b of bases) {
      let names: string[] = [];
      try { names = readdirSync(b); } catch { continue; }
      for (const n of names.sort()) if (re.test(n) && !(n.startsWith('.') && !part.startsWith('.'))) next.push(join(b, n));
    }
    bases = next;
  }
  return bases.sort();
}

/** Strip a comment, honouring double quotes and `\!`/`\#`; report an unterminated quote. */
function decomment(line: string): { text: string; unterminated: boolean } {
  let out = '';
  let quote = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') { quote = !quote; out += c; continue; }
    if (c === '\\' && i + 1 < line.length) {
      const n = line[i + 1]!;
      if (!quote && (n === '#' || n === '!')) { out += '\\' + n; i++; continue; }
      out += c + n; i++; continue;
    }
    if (!quote && (c === '!' || c === '#')) break;
    out += c;
  }
  return { text: out.trim(), unterminated: quote };
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** Split a decommented line into words, `{` and `}` (outside quotes), like alloc_strvec_quoted_escaped. */
function words(text: string, file: string, line: number, diags: Diagnostic[]): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    if (text[i] === '{' || text[i] === '}') { out.push({ text: text[i]!, file, line }); i++; continue; }
    let w = '';
    let quote = '';
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (quote) {
        if (c === quote) { quote = ''; continue; }
        if (c === '\\' && i + 1 < text.length) { i++; w += unescape(text, i, (n) => { i = n; }); continue; }
        w += c; continue;
      }
      if (/\s/.test(c) || c === '{' || c === '}') break;
      if (c === '"' || c === "'") { quote = c; continue; }
      if (c === '\\' && i + 1 < text.length) { i++; w += unescape(text, i, (n) => { i = n; }); continue; }
      w += c;
    }
    if (quote) {
      diags.push({ severity: 'error', file, line, message: `missing terminating ${quote} quote` });
      return out;
    }
    out.push({ text: w, file, line });
  }
  return out;
}

/** Decode the escape starting at text[i] (after the backslash); sets the index of its last character. */
function unescape(text: string, i: number, setIndex: (n: number) => void): string {
  const c = text[i]!;
  if (c === 'x' && /[0-9a-fA-F]/.test(text[i + 1] ?? '')) {
    const m = /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 1))![0];
    setIndex(i + m.length);
    return String.fromCharCode(parseInt(m, 16));
  }
  if (/[0-7]/.test(c)) {
    const m = /^[0-7]{1,3}/.exec(text.slice(i))![0];
    setIndex(i + m.length - 1);
    return String.fromCharCode(parseInt(m, 8) & 0xff);
  }
  if (c === 'c' && i + 1 < text.length) { setIndex(i + 1); return String.fromCharCode(text.charCodeAt(i + 1) & 0x1f); }
  return ESCAPES[c] ?? c;
}

function tokenizeFile(file: string, diags: Diagnostic[], stack: string[], counter: { files: number }, text?: string): Token[] {
  counter.files++;
  let src = text;
  if (src === undefined) {
    try { src = readFileSync(file, 'utf8'); } catch (e) {
      diags.push({ severity: 'error', file, line: 0, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      return [];
    }
  }
  if (src.includes('\0')) { diags.push({ severity: 'error', file, line: 1, message: 'binary data (NUL byte) in the config' }); return []; }
  const lines = src.split(/\r?\n/);
  const tokens: Token[] = [];
  for (let n = 0; n < lines.length; n++) {
    const startLine = n + 1;
    let { text: line, unterminated } = decomment(lines[n]!);
    // A trailing backslash joins the next line (keepalived's continuation).
    while (line.endsWith('\\') && !line.endsWith('\\\\') && n + 1 < lines.length) {
      const next = decomment(lines[++n]!);
      line = line.slice(0, -1) + ' ' + next.text;
      unterminated = next.unterminated;
    }
    if (unterminated) { diags.push({ severity: 'error', file, line: startLine, message: 'unterminated quote' }); continue; }
    if (!line) continue;
    if (line.startsWith('@') || /^\$\w+\s*=/.test(line)) {
      diags.push({ severity: 'error', file, line: startLine, message: line.startsWith('@')
        ? 'conditional lines (@NAME, chosen by keepalived -i) are not supported: keep the lines for this node and remove the @ prefixes'
        : 'parameter definitions ($NAME=...) are not supported: substitute the values first' });
      continue;
    }
    const ws = words(line, file, startLine, diags);
    if (ws[0]?.text === 'include' && ws.length >= 1) {
      if (ws.length !== 2) { diags.push({ severity: 'error', file, line: startLine, message: 'include takes one file name or glob' }); continue; }
      const pattern = isAbsolute(ws[1]!.text) ? ws[1]!.text : join(dirname(file), ws[1]!.text);
      const found = expandGlob(pattern).filter((f) => { try { return statSync(f).isFile(); } catch { return false; } });
      if (found.length === 0) { diags.push({ severity: 'error', file, line: startLine, message: `include ${ws[1]!.text}: no file matches` }); continue; }
      for (const f of found) {
        const abs = resolve(f);
        if (stack.includes(abs)) { diags.push({ severity: 'error', file, line: startLine, message: `include ${ws[1]!.text}: ${f} includes itself` }); continue; }
        if (stack.length >= MAX_INCLUDE_DEPTH || counter.files >= MAX_FILES) { diags.push({ severity: 'error', file, line: startLine, message: 'includes nested too deeply or too many files' }); continue; }
        tokens.push({ text: '\n', file, line: startLine }, ...tokenizeFile(f, diags, [...stack, abs], counter));
      }
      continue;
    }
    tokens.push(...ws, { text: '\n', file, line: startLine });
  }
  return tokens;
}

/** Parse keepalived.conf text (or the file itself when `text` is omitted) into statements. */
export function parseKeepalived(file: string, text?: string): { statements: Statement[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const tokens = tokenizeFile(file, diagnostics, [resolve(file)], { files: 0 }, text);
  const root: Statement[] = [];
  const stack: { list: Statement[]; opener?: Statement }[] = [{ list: root }];
  let current: Statement | undefined; // statement being collected on this line
  let lastClosed: Statement | undefined; // last complete statement at this level, which a `{` may open
  for (const t of tokens) {
    const top = stack[stack.length - 1]!;
    if (t.text === '\n') { if (current) { lastClosed = current; current = undefined; } continue; }
    if (t.text === '{') {
      const target = current ?? lastClosed;
      if (!target || target.block) { diagnostics.push({ severity: 'error', file: t.file, line: t.line, message: "'{' without a keyword before it" }); continue; }
      target.block = [];
      stack.push({ list: target.block, opener: target });
      current = undefined; lastClosed = undefined;
      continue;
    }
    if (t.text === '}') {
      if (current) current = undefined;
      if (stack.length === 1) { diagnostics.push({ severity: 'error', file: t.file, line: t.line, message: "extra '}' with no open block" }); continue; }
      const closed = stack.pop()!;
      lastClosed = undefined;
      void closed;
      continue;
    }
    if (!current) {
      current = { keyword: t.text, args: [], file: t.file, line: t.line };
      top.list.push(current);
      lastClosed = undefined;
    } else current.args.push(t.text);
  }
  for (let i = stack.length - 1; i > 0; i--) {
    const o = stack[i]!.opener!;
    diagnostics.push({ severity: 'error', file: o.file, line: o.line, message: `'${o.keyword}' block opened here is never closed (missing '}')` });
  }
  return { statements: root, diagnostics };
}
