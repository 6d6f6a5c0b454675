/**
 * Server-side rendering: Handlebars templates from src/admin/views (pages,
 * a layout and partials), compiled once at start. Everything is escaped by
 * default; the only raw HTML a template receives is another template's output.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

/** src/admin/<p> from the compiled module (dist/src/admin) or the source tree. */
export const assetPath = (...p: string[]) => join(fileURLToPath(new URL('../../../src/admin/', import.meta.url)), ...p);

const pad = (n: number) => String(n).padStart(2, '0');

function timeText(v: unknown): string {
  if (typeof v !== 'string' && typeof v !== 'number') return '';
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return String(v);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function scaled(v: unknown, unit: string, base = 1000): string {
  if (typeof v !== 'number') return '–';
  const units = ['', 'k', 'M', 'G', 'T'];
  let x = v, i = 0;
  while (Math.abs(x) >= base && i < units.length - 1) { x /= base; i++; }
  return `${i ? x.toFixed(1) : Math.round(x)}${units[i]}${unit}`;
}

/** 1234567 → "1,234,567" (toLocaleString is far slower, and this runs for every cell of big tables). */
const grouped = (n: number) => (Number.isInteger(n) ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : String(n));

function duration(v: unknown): string {
  if (typeof v !== 'number') return '';
  const d = Math.floor(v / 86400), h = Math.floor((v % 86400) / 3600), m = Math.floor((v % 3600) / 60);
  return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : `${m}m ${Math.floor(v % 60)}s`;
}

const STATE_CLASS: Record<string, string> = {
  MASTER: 'ok', UP: 'ok', up: 'ok', OPEN: 'ok', enabled: 'ok',
  BACKUP: 'info', drain: 'warn', DRAIN: 'warn', NOLB: 'warn', MAINT: 'warn', disabled: 'warn',
  FAULT: 'bad', DOWN: 'bad', down: 'bad', STOP: 'bad',
};

export class Renderer {
  private readonly hb = Handlebars.create();
  private readonly pages = new Map<string, Handlebars.TemplateDelegate>();
  private readonly layout: Handlebars.TemplateDelegate;

  constructor(dir = assetPath('views')) {
    const hb = this.hb;
    hb.registerHelper({
      eq: (a: unknown, b: unknown) => a === b,
      ne: (a: unknown, b: unknown) => a !== b,
      or: (...a: unknown[]) => a.slice(0, -1).some(Boolean),
      and: (...a: unknown[]) => a.slice(0, -1).every(Boolean),
      not: (a: unknown) => !a,
      time: timeText,
      bytes: (v: unknown) => scaled(v, 'B', 1024),
      bits: (v: unknown) => scaled(typeof v === 'number' ? v * 8 : v, 'b/s'),
      per: (v: unknown) => scaled(v, '/s'),
      num: (v: unknown) => (v === null || v === undefined ? '–' : typeof v === 'number' ? grouped(v) : String(v)),
      ms: (v: unknown) => (typeof v === 'number' ? `${v < 10 ? v.toFixed(1) : Math.round(v)} ms` : '–'),
      duration,
      stateClass: (s: unknown) => STATE_CLASS[String(s)] ?? 'unknown',
      join: (a: unknown, sep: unknown) => (Array.isArray(a) ? a.join(typeof sep === 'string' ? sep : ', ') : ''),
      json: (v: unknown) => JSON.stringify(v, null, 2),
      entries: (o: unknown) => (o && typeof o === 'object' ? Object.entries(o).map(([key, value]) => ({ key, value })) : []),
    });
    for (const f of readdirSync(join(dir, 'partials'))) {
      if (f.endsWith('.hbs')) hb.registerPartial(basename(f, '.hbs'), readFileSync(join(dir, 'partials', f), 'utf8'));
    }
    for (const f of readdirSync(join(dir, 'pages'))) {
      if (f.endsWith('.hbs')) this.pages.set(basename(f, '.hbs'), hb.compile(readFileSync(join(dir, 'pages', f), 'utf8'), { strict: false }));
    }
    this.layout = hb.compile(readFileSync(join(dir, 'layout.hbs'), 'utf8'));
  }

  /** A whole page inside the layout; `layout` carries the title, nav and the user's CSRF token. */
  page(name: string, data: object, layout: LayoutData): string {
    const body = this.fragment(name, data);
    return this.layout({ ...layout, body });
  }

  /** A template alone (live-update fragments). */
  fragment(name: string, data: object): string {
    const t = this.pages.get(name) ?? this.partial(name);
    return t(data);
  }

  private partial(name: string): Handlebars.TemplateDelegate {
    const src = this.hb.partials[name] as string | Handlebars.TemplateDelegate | undefined;
    if (!src) throw new Error(`no template ${name}`);
    const t = typeof src === 'string' ? this.hb.compile(src) : src;
    this.pages.set(name, t);
    return t;
  }
}

export interface LayoutData {
  title: string;
  nav: string;
  user?: string;
  csrf?: string;
  routerId?: string;
  flash?: string;
  flashKind?: 'ok' | 'bad';
}
