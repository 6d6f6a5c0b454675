/**
 * The configuration reference (docs/CONFIG.md), generated from the schema that validates
 * configs, so the document can never describe a key the validator does not know.
 */
import { ConfigSchema } from './schema.js';

interface Node {
  type?: string | string[];
  description?: string;
  properties?: Record<string, Node>;
  patternProperties?: Record<string, Node>;
  items?: Node;
  anyOf?: Node[];
  enum?: unknown[];
  const?: unknown;
  required?: string[];
  minimum?: number; maximum?: number; minLength?: number; maxLength?: number; minItems?: number; maxItems?: number;
  format?: string; pattern?: string; default?: unknown;
}

const isObject = (n: Node) => !!(n.properties || n.patternProperties);

/** A short type text: "integer 1–255", "ip", "one of: rr, wrr", "list of …". */
function typeText(n: Node): string {
  if (n.const !== undefined) return `\`${JSON.stringify(n.const)}\``;
  if (n.enum) return `one of ${n.enum.map((e) => `\`${String(e)}\``).join(', ')}`;
  if (n.anyOf) {
    if (variants(n).length > 1) return 'object (one of the forms below)';
    const consts = n.anyOf.filter((a) => a.const !== undefined);
    if (consts.length === n.anyOf.length) return `one of ${consts.map((a) => `\`${String(a.const)}\``).join(', ')}`;
    return n.anyOf.map(typeText).join(' or ');
  }
  if (n.items) return `list of ${typeText(n.items)}${n.maxItems !== undefined ? ` (at most ${n.maxItems})` : ''}`;
  if (n.patternProperties) return 'map by name';
  if (n.properties) return 'object';
  const t = Array.isArray(n.type) ? n.type.join('/') : n.type ?? 'any';
  const range = n.minimum !== undefined || n.maximum !== undefined ? ` ${n.minimum ?? ''}–${n.maximum ?? ''}` : '';
  const fmt = n.format ? ` (${n.format})` : '';
  return `${t}${range}${fmt}`;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A union's object variants, each named by its `type` constant when it has one (checks). */
function variants(n: Node): [string, Node][] {
  return (n.anyOf ?? []).filter(isObject).map((v, i) => {
    const t = v.properties?.type;
    const names = t?.const !== undefined ? [t.const] : t?.enum ?? t?.anyOf?.map((a) => a.const).filter((c) => c !== undefined);
    return [names?.length ? ` (type: ${names.map(String).join(' or ')})` : ` (form ${i + 1})`, v];
  });
}

/** One section per object in the schema, keyed by its path (`vrrp_instances.NAME.authentication`). */
function sections(path: string, n: Node, out: string[]): void {
  const inner = n.items ?? n;
  const suffix = n.items ? '[]' : '';
  if (inner.patternProperties) {
    const [, value] = Object.entries(inner.patternProperties)[0]!;
    if (n.description) out.push(`## \`${path}\`\n\n${n.description}: a map from a name to the value below.\n`);
    sections(`${path}.NAME`, value, out);
    return;
  }
  const forms = variants(inner);
  if (forms.length > 1) {
    for (const [label, v] of forms) table(`${path}${suffix}`, label, n.description, v, out);
    return;
  }
  const obj = forms[0]?.[1] ?? inner;
  if (obj.properties) table(`${path}${suffix}`, '', n.description ?? obj.description, obj, out);
}

function table(path: string, label: string, description: string | undefined, obj: Node, out: string[]): void {
  const required = new Set(obj.required ?? []);
  out.push(`## \`${path}\`${label}\n`);
  if (description) out.push(`${description}\n`);
  out.push('| key | type | required | description |', '| --- | --- | --- | --- |');
  const nested: [string, Node][] = [];
  for (const [key, child] of Object.entries(obj.properties!)) {
    out.push(`| \`${key}\` | ${cell(typeText(child))} | ${required.has(key) ? 'yes' : ''} | ${cell(child.description ?? '')} |`);
    const inner = child.items ?? child;
    if (isObject(inner) || variants(inner).length) nested.push([key, child]);
  }
  out.push('');
  for (const [key, child] of nested) sections(`${path}.${key}`, child, out);
}

export function configReference(): string {
  const out = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts by `lbctl reference`; do not edit by hand. -->',
    '',
    'The appliance config is one YAML document (JSON is the same document). Key names follow',
    'keepalived\'s keywords, so a keepalived user recognises them; `lbctl import keepalived` converts',
    'a keepalived.conf. Unknown keys are errors. Besides these structural rules, `lbctl check`',
    'applies semantic ones (VRID uniqueness per interface, address families, references between',
    'objects, priority 255 only for an address owner, ...); see docs/ARCHITECTURE.md#config.',
    '',
  ];
  for (const [key, child] of Object.entries((ConfigSchema as unknown as Node).properties!)) sections(key, child, out);
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}
