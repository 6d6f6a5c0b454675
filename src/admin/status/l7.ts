/**
 * Hub section 'l7' (HAProxy/Nginx frontends, backends and server states) →
 * the L7 part of the view. The only place that knows that section's field names.
 */
import type { L7Settings } from '../../config/model.js';
import type { L7Status } from '../../proxy/status.js';
import type { L7View } from './schemas.js';

export function l7View(configured: Pick<L7Settings, 'frontends' | 'backends'>, section: L7Status | undefined): L7View {
  const fronts = new Map((section?.frontends ?? []).map((f) => [f.name, f]));
  const backs = new Map((section?.backends ?? []).map((b) => [b.name, b]));
  return {
    frontends: configured.frontends.map((f) => ({
      name: f.name, engine: f.engine, bind: f.bind, mode: f.mode, default_backend: f.default_backend,
      state: frontState(fronts.get(f.name)?.healthy),
    })),
    backends: configured.backends.map((b) => {
      const servers = new Map((backs.get(b.name)?.servers ?? []).map((s) => [s.name, s]));
      const rows = b.servers.map((s) => {
        // Nginx has no runtime view of its servers: their state stays UNKNOWN.
        const live = servers.get(s.name)?.live;
        return {
          name: s.name, address: s.address, port: s.port, weight_configured: s.weight, weight: live?.weight ?? null,
          backup: s.backup, state: live?.status || 'UNKNOWN', check: live?.check?.status ?? null, latency_ms: live?.check?.durationMs ?? null,
        };
      });
      return { name: b.name, balance: b.balance, up: rows.filter((r) => /^UP/i.test(r.state)).length, total: rows.length, servers: rows };
    }),
  };
}

/** The frontend's probe verdict in the words the dashboard shows. */
function frontState(healthy: boolean | null | undefined): string {
  return healthy === true ? 'UP' : healthy === false ? 'DOWN' : 'UNKNOWN';
}
