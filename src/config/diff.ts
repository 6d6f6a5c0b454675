/** Which named objects a new config adds, removes or changes: what a reload must touch, and nothing else. */
import { isDeepStrictEqual } from 'node:util';
import type { Config } from './model.js';

export interface SectionDiff { added: string[]; removed: string[]; changed: string[]; unchanged: string[] }

export function diffNamed<T extends { name: string }>(prev: T[], next: T[]): SectionDiff {
  const before = new Map(prev.map((o) => [o.name, o]));
  const after = new Map(next.map((o) => [o.name, o]));
  const d: SectionDiff = { added: [], removed: [], changed: [], unchanged: [] };
  for (const [name, o] of after) {
    const p = before.get(name);
    if (!p) d.added.push(name);
    else if (isDeepStrictEqual(p, o)) d.unchanged.push(name);
    else d.changed.push(name);
  }
  for (const name of before.keys()) if (!after.has(name)) d.removed.push(name);
  return d;
}

export interface ConfigDiff {
  global: boolean;
  vrrp_scripts: SectionDiff;
  vrrp_instances: SectionDiff;
  vrrp_sync_groups: SectionDiff;
  virtual_servers: SectionDiff;
  l7_frontends: SectionDiff;
  l7_backends: SectionDiff;
}

export function diffConfig(prev: Config, next: Config): ConfigDiff {
  return {
    global: !isDeepStrictEqual(prev.global, next.global),
    vrrp_scripts: diffNamed(prev.vrrp_scripts, next.vrrp_scripts),
    vrrp_instances: diffNamed(prev.vrrp_instances, next.vrrp_instances),
    vrrp_sync_groups: diffNamed(prev.vrrp_sync_groups, next.vrrp_sync_groups),
    virtual_servers: diffNamed(prev.virtual_servers, next.virtual_servers),
    l7_frontends: diffNamed(prev.l7.frontends, next.l7.frontends),
    l7_backends: diffNamed(prev.l7.backends, next.l7.backends),
  };
}

/** One line for the log: "vrrp_instances +VI_3 ~VI_1; virtual_servers -web" (empty when nothing changed). */
export function summarizeDiff(d: ConfigDiff): string {
  const parts: string[] = [];
  if (d.global) parts.push('global ~');
  for (const [k, s] of Object.entries(d) as [string, SectionDiff | boolean][]) {
    if (typeof s === 'boolean') continue;
    const items = [...s.added.map((n) => `+${n}`), ...s.removed.map((n) => `-${n}`), ...s.changed.map((n) => `~${n}`)];
    if (items.length) parts.push(`${k} ${items.join(' ')}`);
  }
  return parts.join('; ');
}
