/**
 * How values reach a generated haproxy.cfg or nginx.conf. The templates are
 * compiled without HTML escaping, and every value goes through one of the
 * helpers below, each of which either proves the value safe for its place in
 * the target syntax or throws. assertTemplateSafe() checks that a template
 * never prints a value any other way, so a name, path or host taken from the
 * config can never end a directive or open a new one — even if the schema that
 * normally restricts it was bypassed.
 */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';

/** Characters that end a word or open a quote, block, comment or variable in HAProxy or Nginx syntax. */
const UNSAFE_IN_TOKEN = /[\s"'`;{}#\\$\x00-\x1f\x7f]/;
const CONTROL = /[\x00-\x1f\x7f]/;

export class UnsafeConfigValue extends Error {
  constructor(value: unknown, why: string) {
    super(`refusing to write ${JSON.stringify(value)} into a proxy config: ${why}`);
  }
}

/** A bare word of either syntax: names, addresses, paths, numbers. */
export function token(value: unknown): string {
  const s = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof s !== 'string' || s === '') throw new UnsafeConfigValue(value, 'not a non-empty string');
  if (UNSAFE_IN_TOKEN.test(s)) throw new UnsafeConfigValue(value, 'contains whitespace, a quote, ";", "{", "}", "#", "\\" or "$"');
  return s;
}

/** An Nginx double-quoted string (used for map regexes): \ and " escaped; no variables, no control characters. */
export function nginxQuoted(value: unknown): string {
  if (typeof value !== 'string') throw new UnsafeConfigValue(value, 'not a string');
  if (CONTROL.test(value) || value.includes('$')) throw new UnsafeConfigValue(value, 'contains a control character or "$"');
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A HAProxy single-quoted string: no expansion or escapes happen inside, so it only must not contain a quote. */
export function haproxyQuoted(value: unknown): string {
  if (typeof value !== 'string') throw new UnsafeConfigValue(value, 'not a string');
  if (CONTROL.test(value) || value.includes("'")) throw new UnsafeConfigValue(value, 'contains a control character or "\'"');
  return `'${value}'`;
}

/** Seconds → "Ns", or "Nms" when not whole seconds: a time both proxies read the same way. */
export function duration(seconds: unknown): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) throw new UnsafeConfigValue(seconds, 'not a duration');
  const ms = Math.max(1, Math.round(seconds * 1000));
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export function integer(value: unknown): string {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new UnsafeConfigValue(value, 'not an integer');
  return String(value);
}

/** Helpers that print a value; a template may print nothing else. */
export const VALUE_HELPERS = { tok: token, nq: nginxQuoted, hq: haproxyQuoted, dur: duration, num: integer } as const;
const BLOCK_HELPERS = new Set(['if', 'unless', 'each']);

type Node = { type: string; [k: string]: unknown };

/** Throws unless every {{...}} of `source` is a value helper applied to one argument and blocks use only if/unless/each. */
export function assertTemplateSafe(source: string, name: string): void {
  const visit = (node: Node | undefined): void => {
    if (!node) return;
    switch (node.type) {
      case 'Program':
        for (const s of node.body as Node[]) visit(s);
        return;
      case 'MustacheStatement': {
        const helper = (node.path as { original?: unknown }).original;
        const params = node.params as Node[];
        if (typeof helper !== 'string' || !(helper in VALUE_HELPERS) || params.length !== 1 || params[0]!.type !== 'PathExpression')
          throw new Error(`${name}: line ${(node.loc as { start: { line: number } }).start.line}: every value must be printed with one of ${Object.keys(VALUE_HELPERS).join(', ')}`);
        return;
      }
      case 'BlockStatement': {
        const helper = (node.path as { original?: unknown }).original;
        if (typeof helper !== 'string' || !BLOCK_HELPERS.has(helper)) throw new Error(`${name}: block helper ${String(helper)} is not allowed`);
        visit(node.program as Node | undefined);
        visit(node.inverse as Node | undefined);
        return;
      }
      case 'ContentStatement': case 'CommentStatement':
        return;
      default:
        throw new Error(`${name}: ${node.type} is not allowed in a proxy template`);
    }
  };
  visit(Handlebars.parse(source) as unknown as Node);
}

const hb = Handlebars.create();
for (const [n, f] of Object.entries(VALUE_HELPERS)) hb.registerHelper(n, (v: unknown) => f(v));

/** The templates directory shipped with the package (two levels above dist/src/proxy). */
const TEMPLATE_DIR = new URL('../../../templates/', import.meta.url);

const compiled = new Map<string, Handlebars.TemplateDelegate>();

/** Load, check and compile templates/NAME once. */
export function template(name: string): Handlebars.TemplateDelegate {
  let t = compiled.get(name);
  if (!t) {
    const source = readFileSync(new URL(name, TEMPLATE_DIR), 'utf8');
    assertTemplateSafe(source, name);
    t = hb.compile(source, { noEscape: true, knownHelpers: { tok: true, nq: true, hq: true, dur: true, num: true }, knownHelpersOnly: true });
    compiled.set(name, t);
  }
  return t;
}
