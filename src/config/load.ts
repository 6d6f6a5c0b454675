/**
 * Text → validated config. YAML is the native format (JSON is accepted as its
 * subset); a keepalived.conf is recognised by its content and goes through the
 * keepalived adapter first. Every diagnostic is placed at FILE:LINE.
 */
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { RawConfig } from './schema.js';
import type { Config } from './model.js';
import { errorsOf, type ConfigPath, type Diagnostic } from './diagnostics.js';
import { validateStructure } from './validate.js';
import { resolveConfig } from './resolve.js';
import { checkSemantics } from './semantic.js';
import { importKeepalived, looksLikeKeepalived } from '../keepalived/import.js';

export type ConfigFormat = 'yaml' | 'keepalived';

export interface LoadResult {
  format: ConfigFormat;
  /** The config as written (after import, for keepalived.conf); present when it parsed. */
  raw?: RawConfig;
  /** Present only when there is no error. */
  config?: Config;
  diagnostics: Diagnostic[];
}

/** Validate an already-parsed config object (the API's JSON body, an import result). */
export function validateRaw(raw: unknown): { config?: Config; diagnostics: Diagnostic[] } {
  const structural = validateStructure(raw);
  if (structural.length) return { diagnostics: structural };
  const config = resolveConfig(raw as RawConfig);
  const diagnostics = checkSemantics(raw as RawConfig, config);
  return errorsOf(diagnostics).length ? { diagnostics } : { config, diagnostics };
}

/** The YAML node a config path points at (the key of the last map step, for a precise line). */
function locate(doc: Document, path: ConfigPath): Node | undefined {
  let node: unknown = doc.contents;
  let last: Node | undefined = doc.contents ?? undefined;
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step));
      if (!pair) return last;
      last = (pair.key as Node) ?? last;
      node = pair.value;
      if (isScalar(node) && step === path[path.length - 1]) return node;
    } else if (isSeq(node) && typeof step === 'number') {
      const item = node.items[step];
      if (item === undefined) return last;
      node = isPair(item) ? item.value : item;
      last = (node as Node) ?? last;
    } else return last;
  }
  return (node as Node) ?? last;
}

/** Configs are shallow; refuse pathological nesting before the YAML parser recurses into it. */
const MAX_TEXT = 8 << 20;
const MAX_DEPTH = 64;

function nestingProblem(text: string): { message: string; line: number } | undefined {
  if (text.length > MAX_TEXT) return { message: `the config is ${text.length} bytes; the limit is ${MAX_TEXT}`, line: 1 };
  let depth = 0, line = 1, quote = '', comment = false, lineStart = true, indent = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') { line++; comment = false; lineStart = true; indent = 0; if (quote === "'") continue; quote = quote === '"' ? quote : ''; continue; }
    if (lineStart) {
      if (c === ' ') { if (++indent > 4 * MAX_DEPTH) return { message: 'indentation deeper than any config needs', line }; continue; }
      lineStart = false;
    }
    if (comment) continue;
    if (quote) { if (c === '\\' && quote === '"') i++; else if (c === quote) quote = ''; continue; }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#') comment = true;
    else if (c === '[' || c === '{') { if (++depth > MAX_DEPTH) return { message: `nested more than ${MAX_DEPTH} levels deep`, line }; }
    else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
  }
  return undefined;
}

export function parseYamlConfig(text: string, file?: string): LoadResult {
  const tooDeep = nestingProblem(text);
  if (tooDeep) return { format: 'yaml', diagnostics: [{ severity: 'error', message: tooDeep.message, file, line: tooDeep.line }] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true, version: '1.2' });
  const at = (offset: number) => lineCounter.linePos(offset);
  const syntax: Diagnostic[] = [...doc.errors, ...doc.warnings].map((e) => ({
    severity: doc.errors.includes(e) ? 'error' : 'warning',
    message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
    file, line: at(e.pos[0]).line, column: at(e.pos[0]).col,
  }));
  if (errorsOf(syntax).length) return { format: 'yaml', diagnostics: syntax };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return { format: 'yaml', diagnostics: [...syntax, { severity: 'error', message: (e as Error).message, file, line: 1 }] };
  }
  if (data === null || data === undefined) data = {};
  if (typeof data !== 'object' || Array.isArray(data))
    return { format: 'yaml', diagnostics: [{ severity: 'error', message: 'the config must be a mapping of sections (global, vrrp_instances, virtual_servers, ...)', file, line: 1 }] };
  const { config, diagnostics } = validateRaw(data);
  const placed = diagnostics.map((d) => {
    const node = d.path ? locate(doc, d.path) : undefined;
    const pos = node?.range ? at(node.range[0]) : undefined;
    return { ...d, file, line: pos?.line ?? 1, column: pos?.col };
  });
  placed.sort((a, b) => a.line - b.line);
  return { format: 'yaml', raw: data as RawConfig, config, diagnostics: [...syntax, ...placed] };
}

const MAX_DIAGNOSTICS = 200;

/** A broken file can produce thousands of findings; the first ones are what a person fixes first. */
function capped(r: LoadResult, file?: string): LoadResult {
  if (r.diagnostics.length <= MAX_DIAGNOSTICS) return r;
  const more = r.diagnostics.length - MAX_DIAGNOSTICS;
  return { ...r, diagnostics: [...r.diagnostics.slice(0, MAX_DIAGNOSTICS), { severity: 'error', message: `${more} more problem(s) not shown`, file }] };
}

/** Parse config text of either format; `file` names it in diagnostics and anchors keepalived includes. */
export function parseConfigText(text: string, file?: string): LoadResult {
  return capped(parseAny(text, file), file);
}

function parseAny(text: string, file?: string): LoadResult {
  if (looksLikeKeepalived(text)) {
    const imp = importKeepalived(text, file ?? 'keepalived.conf');
    if (!imp.raw || errorsOf(imp.diagnostics).length) return { format: 'keepalived', raw: imp.raw, diagnostics: imp.diagnostics };
    const { config, diagnostics } = validateRaw(imp.raw);
    return { format: 'keepalived', raw: imp.raw, config, diagnostics: [...imp.diagnostics, ...diagnostics.map((d) => imp.place(d))] };
  }
  return parseYamlConfig(text, file);
}

export function loadConfigFile(file: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { format: 'yaml', diagnostics: [{ severity: 'error', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, file }] };
  }
  return parseConfigText(text, file);
}
