/**
 * Operator overrides (drain, maintenance, weight) outlive an lbd restart: a
 * server taken out for maintenance must not rejoin because the daemon restarted.
 * Stored as JSON in the state directory, written atomically.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteFileSync } from '../util/atomic-write.js';
import type { Overrides } from './pool-state.js';

/** virtual server name → real server key → overrides. */
export type OverrideMap = Record<string, Record<string, Overrides>>;

export const overridesFile = (stateDir: string) => join(stateDir, 'health-overrides.json');

function clean(o: unknown): Overrides | null {
  if (!o || typeof o !== 'object') return null;
  const r = o as Record<string, unknown>;
  const out: Overrides = {};
  if (r.drain === true) out.drain = true;
  if (r.disabled === true) out.disabled = true;
  if (Number.isInteger(r.weight) && (r.weight as number) >= 0 && (r.weight as number) <= 65535) out.weight = r.weight as number;
  return Object.keys(out).length ? out : null;
}

/** The saved overrides; a missing file is none, an unreadable one is reported and ignored. */
export function loadOverrides(file: string): { overrides: OverrideMap; error?: string } {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { overrides: {} } : { overrides: {}, error: `cannot read ${file}: ${code ?? (e as Error).message}` };
  }
  let data: unknown;
  try { data = JSON.parse(text); } catch (e) { return { overrides: {}, error: `${file} is not valid JSON (${(e as Error).message}); ignoring it` }; }
  const overrides: OverrideMap = {};
  if (data && typeof data === 'object') {
    for (const [vs, servers] of Object.entries(data as Record<string, unknown>)) {
      if (!servers || typeof servers !== 'object') continue;
      for (const [rs, o] of Object.entries(servers as Record<string, unknown>)) {
        const c = clean(o);
        if (c) (overrides[vs] ??= {})[rs] = c;
      }
    }
  }
  return { overrides };
}

export function saveOverrides(file: string, overrides: OverrideMap): void {
  atomicWriteFileSync(file, JSON.stringify(overrides, null, 2) + '\n', 0o600);
}
