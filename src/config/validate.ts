/**
 * Structural validation (JSON Schema via Ajv) with messages a person can act on:
 * the path of the offending value, what was found and what would be right.
 * Semantic rules live in semantic.ts and run only on structurally valid input.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { isIPv4, isIPv6 } from 'node:net';
import { ConfigSchema } from './schema.js';
import type { ConfigPath, Diagnostic } from './diagnostics.js';
import { isHost, isIfName, isMulticast, isNetmask, parseEndpoint, parsePrefix } from '../util/ip.js';

const formats: Record<string, { test: (s: string) => boolean; what: string }> = {
  ip: { test: (s) => isIPv4(s) || isIPv6(s), what: 'an IPv4 or IPv6 address' },
  ipv4: { test: isIPv4, what: 'an IPv4 address' },
  'ip-prefix': { test: (s) => parsePrefix(s) !== null, what: 'an address with an optional prefix length, e.g. 198.18.0.10/24' },
  'ip-multicast': { test: (s) => (isIPv4(s) || isIPv6(s)) && isMulticast(s), what: 'a multicast address' },
  'ipv4-multicast': { test: (s) => isIPv4(s) && isMulticast(s), what: 'an IPv4 multicast address (224.0.0.0/4)' },
  'ipv6-multicast': { test: (s) => isIPv6(s) && isMulticast(s), what: 'an IPv6 multicast address (ff00::/8)' },
  ifname: { test: isIfName, what: 'an interface name (1-15 characters, no spaces, "/" or ":")' },
  host: { test: isHost, what: 'a host name or IP address' },
  endpoint: { test: (s) => parseEndpoint(s) !== null, what: 'ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)' },
  email: { test: (s) => /^[^\s@<>,;]+(@[^\s@<>,;]+)?$/.test(s), what: 'an e-mail address (or a local user name)' },
  netmask: { test: isNetmask, what: 'a netmask such as 255.255.255.0 or a prefix length' },
};

export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  for (const [name, f] of Object.entries(formats)) ajv.addFormat(name, { type: 'string', validate: f.test });
  return ajv;
}

const ajv = createAjv();
const validateConfig = ajv.compile(ConfigSchema);

/** Validate the shape of a config object; returns no diagnostics when it is valid. */
export function validateStructure(data: unknown): Diagnostic[] {
  if (validateConfig(data)) return [];
  const explained = explainErrors(validateConfig.errors ?? [], data, ConfigSchema);
  // Invalid data must never pass because an explanation was filtered away.
  return explained.length ? explained : [{ severity: 'error', path: [], message: `invalid config: ${JSON.stringify(validateConfig.errors?.[0] ?? {})}` }];
}

type Schema = Record<string, unknown>;

function pointerToPath(ptr: string): ConfigPath {
  if (!ptr) return [];
  return ptr.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function valueAt(data: unknown, path: ConfigPath): unknown {
  let v: unknown = data;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[p] : undefined;
  return v;
}

function schemaAt(root: unknown, schemaPath: string): Schema | undefined {
  let s: unknown = root;
  // Schema paths are URI fragments: pattern keys arrive percent-encoded.
  for (const p of pointerToPath(schemaPath.replace(/^#/, '')).map((x) => (typeof x === 'string' ? decodeURIComponent(x) : x))) s = s !== null && typeof s === 'object' ? (s as Record<string | number, unknown>)[p] : undefined;
  return s as Schema | undefined;
}

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : typeof v === 'string' ? `"${v.length > 60 ? v.slice(0, 57) + '...' : v}"` : String(v);

const typeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;

const typeMatches = (schemaType: unknown, v: unknown): boolean => {
  const t = typeOf(v);
  const types = Array.isArray(schemaType) ? schemaType : [schemaType];
  return types.some((st) => st === t || (st === 'number' && t === 'integer'));
};

const typeWord: Record<string, string> = {
  string: 'a string', integer: 'a whole number', number: 'a number', boolean: 'true or false', object: 'a mapping', array: 'a list',
};

/** The literal values a schema admits: its const, or the consts of its anyOf. */
function literals(s: Schema | undefined): unknown[] {
  if (!s) return [];
  if (s.const !== undefined) return [s.const];
  return Array.isArray(s.anyOf) ? (s.anyOf as Schema[]).flatMap(literals) : [];
}

const discriminator = (b: Schema) => literals((b.properties as Record<string, Schema> | undefined)?.type);

/** Which branch of a union the user meant: the one whose `type` literal or JSON type matches the value. */
function chooseBranch(branches: Schema[], v: unknown): number {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && 'type' in v) {
    const i = branches.findIndex((b) => discriminator(b).includes((v as { type: unknown }).type));
    if (i >= 0) return i;
    if (branches.some((b) => discriminator(b).length)) return -2;
  }
  return branches.findIndex((b) => b.const === undefined && typeMatches(b.type, v));
}

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)] as number[]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

export function suggest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined, bestD = Infinity;
  for (const c of candidates) {
    const dist = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (dist < bestD) { best = c; bestD = dist; }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Turn Ajv's raw errors into one precise diagnostic per real problem. */
export function explainErrors(errors: ErrorObject[], data: unknown, rootSchema: unknown): Diagnostic[] {
  // Unions: keep only the errors of the branch the user evidently meant.
  let kept = [...errors];
  const unions = errors.filter((e) => e.keyword === 'anyOf').sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  const out: Diagnostic[] = [];
  for (const u of unions) {
    if (!kept.includes(u)) continue;
    const branches = (schemaAt(rootSchema, u.schemaPath) ?? []) as unknown as Schema[];
    const path = pointerToPath(u.instancePath);
    const v = valueAt(data, path);
    const chosen = chooseBranch(branches, v);
    // The same union schema is used at many places: a branch error belongs to this union only at or below its value.
    const inUnion = (e: ErrorObject) => e.schemaPath.startsWith(u.schemaPath + '/') &&
      (e.instancePath === u.instancePath || e.instancePath.startsWith(u.instancePath + '/'));
    if (chosen >= 0) {
      kept = kept.filter((e) => e !== u && (!inUnion(e) || e.schemaPath.startsWith(`${u.schemaPath}/${chosen}/`)));
      continue;
    }
    kept = kept.filter((e) => e !== u && !inUnion(e));
    const consts = branches.filter((b) => b.const !== undefined).map((b) => String(b.const));
    if (chosen === -2) {
      const types = branches.flatMap(discriminator).map(String);
      out.push({ severity: 'error', path: [...path, 'type'], message: `unknown check type ${describe((v as { type: unknown }).type)}; expected one of ${types.join(', ')}` });
    } else if (consts.length === branches.length) {
      out.push({ severity: 'error', path, message: `must be one of ${consts.join(', ')} (got ${describe(v)})` });
    } else {
      const words = [...new Set(branches.map((b) => (b.const !== undefined ? JSON.stringify(b.const) : typeWord[String(b.type)] ?? String(b.type))))];
      out.push({ severity: 'error', path, message: `must be ${words.join(' or ')} (got ${describe(v)})` });
    }
  }

  const seen = new Set<string>();
  for (const e of kept) {
    const path = pointerToPath(e.instancePath);
    const v = valueAt(data, path);
    const p = e.params as Record<string, unknown>;
    const parent = schemaAt(rootSchema, e.schemaPath.replace(/\/[^/]+$/, ''));
    let d: Diagnostic;
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = String(p.additionalProperty);
        if (parent?.patternProperties) {
          d = { severity: 'error', path: [...path, key], message: `invalid name "${key}": use 1-64 letters, digits, "_", ".", ":" or "-", starting with a letter, digit or "_"` };
          break;
        }
        const known = Object.keys((parent?.properties as object) ?? {});
        const s = suggest(key, known);
        d = { severity: 'error', path: [...path, key], message: `unknown key "${key}"${s ? ` (did you mean "${s}"?)` : known.length ? `; allowed here: ${known.join(', ')}` : ''}` };
        break;
      }
      case 'required':
        d = { severity: 'error', path, message: `missing required key "${String(p.missingProperty)}"` };
        break;
      case 'type':
        d = { severity: 'error', path, message: `must be ${String(p.type).split(',').map((t) => typeWord[t] ?? t).join(' or ')} (got ${describe(v)})` };
        break;
      case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum': {
        const s = schemaAt(rootSchema, e.schemaPath.replace(/\/[^/]+$/, '')) ?? {};
        const range = s.minimum !== undefined && s.maximum !== undefined ? `between ${String(s.minimum)} and ${String(s.maximum)}` : String(e.message);
        d = { severity: 'error', path, message: `must be ${range} (got ${describe(v)})` };
        break;
      }
      case 'const':
        d = { severity: 'error', path, message: `must be ${JSON.stringify(p.allowedValue)} (got ${describe(v)})` };
        break;
      case 'format': {
        const f = formats[String(p.format)];
        d = { severity: 'error', path, message: `${describe(v)} is not ${f?.what ?? `a valid ${String(p.format)}`}` };
        break;
      }
      case 'pattern': {
        const desc = (parent as Schema | undefined)?.description;
        d = { severity: 'error', path, message: `${describe(v)} is not valid${desc ? `: expected ${String(desc)}` : ` (must match ${String(p.pattern)})`}` };
        break;
      }
      case 'minLength': case 'maxLength':
        d = { severity: 'error', path, message: `${describe(v)} must be ${e.keyword === 'minLength' ? 'at least' : 'at most'} ${String(p.limit)} characters long` };
        break;
      case 'minItems': case 'maxItems':
        d = { severity: 'error', path, message: `must have ${e.keyword === 'minItems' ? 'at least' : 'at most'} ${String(p.limit)} item(s) (has ${Array.isArray(v) ? v.length : 0})` };
        break;
      default:
        d = { severity: 'error', path, message: String(e.message) };
    }
    const k = `${JSON.stringify(d.path)}|${d.message}`;
    if (!seen.has(k)) { seen.add(k); out.push(d); }
  }
  return out;
}
