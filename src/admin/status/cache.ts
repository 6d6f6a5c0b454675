/**
 * The status view, built once per change rather than once per request: the
 * API, the dashboard and /metrics all read it. It is rebuilt after the hub
 * reports a change (at once: readers never see a superseded section), when the
 * running config object is replaced (apply, rollback, SIGHUP), or after
 * `maxAgeMs` (uptime and the like).
 * The API's JSON is serialized once per build too: for thousands of real
 * servers that is most of a request's cost.
 */
import type { Daemon } from '../../lbd/daemon.js';
import type { StatusHub } from '../../status/hub.js';
import type { StatusView } from './schemas.js';
import { buildStatusView } from './view.js';

export class StatusCache {
  private built?: { version: number; config: unknown; at: number; view: StatusView; json?: string };
  private version = 0;
  private readonly onChange = () => { this.version++; };

  constructor(private readonly daemon: Daemon, private readonly hub: StatusHub, private readonly maxAgeMs = 5000) {
    hub.on('change', this.onChange);
  }

  private current() {
    const b = this.built;
    if (b && b.version === this.version && b.config === this.daemon.running && Date.now() - b.at < this.maxAgeMs) return b;
    this.built = { version: this.version, config: this.daemon.running, at: Date.now(), view: buildStatusView(this.daemon) };
    return this.built;
  }

  close(): void { this.hub.off('change', this.onChange); }

  view(): StatusView { return this.current().view; }

  /** The view as JSON text (the API's response body). */
  json(): string {
    const b = this.current();
    b.json ??= JSON.stringify(b.view);
    return b.json;
  }

  /** A key that changes whenever view() would return a different object. */
  key(): object { return this.current(); }
}
