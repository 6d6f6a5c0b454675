/**
 * Secret removal for anything that leaves lbd in bulk (support bundle, raw
 * status): values under secret-looking keys become "[redacted]", in objects and
 * in YAML text (comments and layout kept), and one-time setup tokens are cut
 * out of log messages.
 */
import { isScalar, parseDocument, visit } from 'yaml';

const SECRET_KEY = /^(auth_pass|smtp_password|password|password_hash|passwordhash|token|secret|authorization|cookie|csrf|tls_key_pem)$/i;
const REDACTED = '[redacted]';

export function redactDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redactDeep);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SECRET_KEY.test(k) ? REDACTED : redactDeep(x)]));
  }
  return v;
}

/** YAML text with secret values replaced; undefined when the text does not parse (then it is left out, not risked). */
export function redactYamlText(text: string): string | undefined {
  const doc = parseDocument(text);
  if (doc.errors.length) return undefined;
  visit(doc, {
    Pair(_key, pair) {
      if (isScalar(pair.key) && SECRET_KEY.test(String(pair.key.value)) && pair.value !== null) {
        pair.value = doc.createNode(REDACTED);
      }
    },
  });
  return doc.toString();
}

export function redactLogLine(line: Record<string, unknown>): Record<string, unknown> {
  const out = redactDeep(line) as Record<string, unknown>;
  if (typeof out.msg === 'string') out.msg = out.msg.replace(/(setup token )\S+/gi, `$1${REDACTED}`);
  return out;
}
