/**
 * Hub section 'l7' (HAProxy/Nginx frontends, backends and server states) →
 * the L7 part of the view. The only place that knows that section's field names.
 */
import type { Config } from '../../config/model.js';
import type { L7View } from './schemas.js';

export interface L7Section { frontends?: L7FrontendStatus[]; backends?: L7BackendStatus[] }
export interface L7FrontendStatus { name: string; state?: string }
export interface L7BackendStatus { name: string; servers?: L7ServerStatus[] }
export interface L7ServerStatus { name: string; state?: string; weight?: number; check?: string; latency_ms?: number }

export function l7View(configured: Config['l7'], section: L7Section | undefined): L7View {
  const fronts = new Map((section?.frontends ?? []).map((f) => [f.name, f]));
  const backs = new Map((section?.backends ?? []).map((b) => [b.name, b]));
  return {
    frontends: configured.frontends.map((f) => ({
      name: f.name, engine: f.engine, bind: f.bind, mode: f.mode, default_backend: f.default_backend,
      state: fronts.get(f.name)?.state ?? 'UNKNOWN',
    })),
    backends: configured.backends.map((b) => {
      const servers = new Map((backs.get(b.name)?.servers ?? []).map((s) => [s.name, s]));
      const rows = b.servers.map((s) => {
        const st = servers.get(s.name);
        return {
          name: s.name, address: s.address, port: s.port, weight_configured: s.weight, weight: st?.weight ?? null,
          backup: s.backup, state: st?.state ?? 'UNKNOWN', check: st?.check ?? null, latency_ms: st?.latency_ms ?? null,
        };
      });
      return { name: b.name, balance: b.balance, up: rows.filter((r) => /^UP/i.test(r.state)).length, total: rows.length, servers: rows };
    }),
  };
}
