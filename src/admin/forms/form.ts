/**
 * Form ⇄ YAML document. A submitted form is written into the config's YAML
 * document key by key (so comments and everything the form does not show
 * survive), validated as a whole config, and its errors are placed back on
 * the fields they belong to through the same keys.
 *
 * Field names: `f.KEY` for the object's own fields, `r.ROW.KEY` for a row
 * (real server, L7 server), `r.ROW._remove` to delete a row; `_existing`
 * and `_rows` count the rows the form was rendered with.
 */
import { isCollection, isSeq, type Document } from 'yaml';
import { diffLines } from 'diff';
import type { ConfigPath, Diagnostic } from '../../config/diagnostics.js';
import type { FieldSpec, FormSpec } from './spec.js';

export type FormBody = Record<string, string | undefined>;

const steps = (key: string): ConfigPath => key.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));

function coerce(f: FieldSpec, raw: string): unknown {
  const v = raw.trim();
  if (v === '') return undefined;
  switch (f.kind) {
    case 'int': return /^-?\d+$/.test(v) ? Number(v) : v;
    case 'number': return /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
    case 'code': return /^\d+$/.test(v) ? Number(v) : v;
    case 'bool': return v === 'true' ? true : v === 'false' ? false : v;
    case 'lines': {
      const lines = v.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
      return lines.length ? lines : undefined;
    }
    default: return v;
  }
}

/** Remove now-empty maps/lists the form emptied (e.g. sorry_server without its address). */
function pruneEmpty(doc: Document, path: ConfigPath, depth: number): void {
  for (let i = path.length - 1; i > path.length - 1 - depth && i > 0; i--) {
    const parent = path.slice(0, i);
    const node = doc.getIn(parent, true);
    if (isCollection(node) && node.items.length === 0) doc.deleteIn(parent);
    else break;
  }
}

/** Write one field. `raw` undefined: the form did not send it (a disabled field), so it is left alone. */
function writeField(doc: Document, base: ConfigPath, f: FieldSpec, raw: string | undefined, applies: boolean): void {
  if (raw === undefined) return;
  const path = [...base, ...steps(f.key)];
  const value = applies ? coerce(f, raw) : undefined;
  if (value !== undefined) { doc.setIn(path, value); return; }
  deleteIfPresent(doc, path);
  pruneEmpty(doc, path, steps(f.key).length);
}

function deleteIfPresent(doc: Document, path: ConfigPath): void {
  if (doc.hasIn(path)) doc.deleteIn(path);
}

type Values = Record<string, string | undefined>;

const valuesOf = (body: FormBody, prefix: string, fields: FieldSpec[]): Values =>
  Object.fromEntries(fields.map((f) => [f.key, body[`${prefix}${f.key}`]]));

function writeAll(doc: Document, base: ConfigPath, fields: FieldSpec[], values: Values): void {
  for (const f of fields) writeField(doc, base, f, values[f.key], !f.when || f.when(values));
}

/**
 * Apply a submitted form to the object at `root` in `doc` (created when absent).
 * Returns, for each row of the result in order, the form row it came from (to place errors).
 */
export function applyForm(doc: Document, root: ConfigPath, spec: FormSpec, body: FormBody): number[] {
  if (!doc.hasIn(root)) doc.setIn(root, doc.createNode({}));
  writeAll(doc, root, spec.fields, valuesOf(body, 'f.', spec.fields));

  const rows = spec.rows;
  if (!rows) return [];
  const listPath = [...root, rows.key];
  const existing = Number(body._existing ?? 0);
  const total = Number(body._rows ?? 0);
  const origin: number[] = [];
  const removed: number[] = [];
  for (let i = 0; i < existing; i++) {
    if (body[`r.${i}._remove`]) { removed.push(i); continue; }
    origin.push(i);
    const values = valuesOf(body, `r.${i}.`, rows.fields);
    let fields = rows.fields;
    const reset = rows.resetOnChange;
    const chosen = reset ? values[reset.field] : undefined;
    if (reset && chosen !== undefined && (doc.getIn([...listPath, i, ...steps(reset.field)]) ?? '') !== chosen) {
      // Another kind of check has other keys: start it afresh (or drop checks altogether).
      deleteIfPresent(doc, [...listPath, i, ...steps(reset.path)]);
      if (!chosen) {
        deleteIfPresent(doc, [...listPath, i, reset.clear]);
        fields = fields.filter((f) => !f.key.startsWith(`${reset.clear}.`));
      }
    }
    writeAll(doc, [...listPath, i], fields, values);
  }
  for (let i = existing; i < total; i++) {
    const values = valuesOf(body, `r.${i}.`, rows.fields);
    if (Object.values(values).every((v) => !v?.trim())) continue;
    if (!isSeq(doc.getIn(listPath, true))) doc.setIn(listPath, doc.createNode([]));
    const index = (doc.getIn(listPath, true) as { items: unknown[] }).items.length;
    doc.addIn(listPath, doc.createNode({}));
    origin.push(i);
    writeAll(doc, [...listPath, index], rows.fields, values);
  }
  for (const i of removed.reverse()) doc.deleteIn([...listPath, i]);
  return origin;
}

// ---------------------------------------------------------------- rendering

export interface FieldView {
  name: string;
  label: string;
  value: string;
  placeholder?: string;
  error?: string;
  disabled: boolean;
  hint?: string;
  isSelect: boolean;
  isLines: boolean;
  isBool: boolean;
  options: { value: string; label: string; selected: boolean }[];
}

export interface RowView { index: number; isNew: boolean; removed: boolean; cells: FieldView[]; error?: string }

export interface FormView {
  fields: FieldView[];
  rows?: { title: string; key: string; columns: string[]; rows: RowView[]; existing: number; total: number };
  errors: string[];
}

/** What to show for a value: its text, or disabled when the form cannot express it (edit in raw YAML). */
function display(f: FieldSpec, v: unknown): { value: string; disabled: boolean } {
  if (v === undefined || v === null) return { value: '', disabled: false };
  if (f.kind === 'lines' && Array.isArray(v) && v.every((x) => typeof x === 'string')) return { value: v.join('\n'), disabled: false };
  if (typeof v === 'object') return { value: JSON.stringify(v), disabled: true };
  return { value: String(v), disabled: false };
}

function getPath(obj: unknown, key: string): unknown {
  let v = obj;
  for (const s of steps(key)) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[s] : undefined;
  return v;
}

function fieldView(f: FieldSpec, name: string, raw: unknown, submitted: string | undefined, error?: string, lockedHint?: string): FieldView {
  const shown = display(f, raw);
  const value = submitted ?? shown.value;
  const disabled = (submitted === undefined && shown.disabled) || !!lockedHint;
  const options = (f.kind === 'bool' ? ['true', 'false'] : f.options ?? []).map((o) => ({ value: o, label: o, selected: o === value }));
  return {
    name, label: f.label, value, placeholder: f.placeholder, error, disabled,
    hint: lockedHint ?? (disabled ? 'set in raw YAML' : undefined),
    isSelect: f.kind === 'select' || f.kind === 'bool', isLines: f.kind === 'lines', isBool: f.kind === 'bool', options,
  };
}

/**
 * The form for `obj` (the raw object, or undefined for a new one), showing submitted values
 * and the errors of a failed attempt when given.
 */
export function formView(spec: FormSpec, obj: unknown, submitted?: FormBody, diagnostics: Diagnostic[] = [], root: ConfigPath = [], origin: number[] = []): FormView {
  const errors: string[] = [];
  /** Messages by field name (f.KEY, r.ROW.KEY) or row (row.ROW). */
  const placed = new Map<string, string>();
  const add = (k: string, msg: string) => placed.set(k, placed.has(k) ? `${placed.get(k)}; ${msg}` : msg);
  for (const d of diagnostics.filter((x) => x.severity === 'error')) {
    const p = d.path ?? [];
    const under = p.length >= root.length && root.every((s, i) => p[i] === s);
    const rel = under ? p.slice(root.length) : undefined;
    const rows = spec.rows;
    if (rel && rows && rel[0] === rows.key && typeof rel[1] === 'number' && origin[rel[1]] !== undefined) {
      const row = origin[rel[1]]!;
      const k = rel.slice(2).join('.');
      const f = rows.fields.find((x) => k === x.key || k.startsWith(`${x.key}.`));
      if (f) add(`r.${row}.${f.key}`, d.message);
      else add(`row.${row}`, `${k ? `${k}: ` : ''}${d.message}`);
      continue;
    }
    if (rel) {
      const k = rel.join('.');
      const f = spec.fields.find((x) => k === x.key || k.startsWith(`${x.key}.`) || (k && x.key.startsWith(`${k}.`)));
      if (f) { add(`f.${f.key}`, d.message); continue; }
    }
    errors.push(`${d.line ? `line ${d.line}: ` : ''}${p.length ? `${p.join('.')}: ` : ''}${d.message}`);
  }

  const fields = spec.fields.map((f) => fieldView(f, `f.${f.key}`, getPath(obj, f.key), submitted?.[`f.${f.key}`], placed.get(`f.${f.key}`)));
  const view: FormView = { fields, errors };
  const rows = spec.rows;
  if (rows) {
    const list = (getPath(obj, rows.key) as unknown[] | undefined) ?? [];
    const existing = submitted ? Number(submitted._existing ?? 0) : list.length;
    const total = submitted ? Number(submitted._rows ?? 0) : existing + rows.blankRows;
    const rowViews: RowView[] = [];
    for (let i = 0; i < total; i++) {
      const rawRow = i < list.length ? list[i] : undefined;
      // A row with several checks cannot be shown in one set of check fields: those stay for the raw editor.
      const checks = getPath(rawRow, 'checks');
      const lockChecks = Array.isArray(checks) && checks.length > 1 ? `${checks.length} checks: edit in raw YAML` : undefined;
      rowViews.push({
        index: i, isNew: i >= existing, removed: !!submitted?.[`r.${i}._remove`], error: placed.get(`row.${i}`),
        cells: rows.fields.map((f) => fieldView(f, `r.${i}.${f.key}`, getPath(rawRow, f.key), submitted?.[`r.${i}.${f.key}`], placed.get(`r.${i}.${f.key}`), f.key.startsWith('checks.') ? lockChecks : undefined)),
      });
    }
    view.rows = { title: rows.title, key: rows.key, columns: rows.fields.map((f) => f.label), rows: rowViews, existing, total };
  }
  return view;
}


// ---------------------------------------------------------------- keeping the user's layout

/** Flow collections differ only in padding: "[ a ]" vs "[a]", "{ k: v }" vs "{k: v}". */
const layoutKey = (line: string) => line.replace(/([[{])\s+/g, '$1').replace(/\s+([\]}])/g, '$1');

/**
 * The YAML library re-renders the whole document; where a line it rewrote says
 * the same as the user's line (only flow padding differs), keep the user's,
 * so a form edit shows up in the diff as exactly what the form changed.
 */
export function keepUserLayout(original: string, rendered: string): string {
  const out: string[] = [];
  const parts = diffLines(original, rendered);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    const next = parts[i + 1];
    if (p.removed && next?.added) {
      const before = p.value.split('\n');
      const after = next.value.split('\n');
      if (before.length === after.length) {
        out.push(after.map((l, k) => (layoutKey(l) === layoutKey(before[k]!) ? before[k]! : l)).join('\n'));
        i++;
        continue;
      }
    }
    if (!p.removed) out.push(p.value);
  }
  return out.join('');
}
