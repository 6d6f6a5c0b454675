/**
 * The status view, built once per change rather than once per request: the
 * API, the dashboard and /metrics all read it. It is rebuilt after the hub
 * reports a change (at once: readers never see a superseded section), when the
 * running config object is replaced (apply, rollback, SIGHUP), or after
 * `maxAgeMs` (uptime and the like).
 * The API's JSON is serialized once per build too: for thousands of real
 * servers that is most of a request's cost.
 * The view is also built as soon as the coalesced change notification goes
 * out (the moment the live dashboard re-renders anyway), so a page opened
 * after a change does not wait for the thousands of rows a big node has.
 */
import type { Daemon } from '../../lbd/daemon.js';
import type { StatusHub } from '../../status/hub.js';
import type { LiveUpdates } from '../live.js';
import type { StatusView } from './schemas.js';
import { StatusViewBuilder } from './view.js';

export class StatusCache {
  private built?: { version: number; config: unknown; at: number; view: StatusView; json?: string };
  private version = 0;
  private readonly builder = new StatusViewBuilder();
  private readonly onChange = () => { this.version++; };
  private readonly prebuild = () => { this.current(); };

  constructor(private readonly daemon: Daemon, private readonly hub: StatusHub, private readonly live?: LiveUpdates, private readonly maxAgeMs = 5000) {
    hub.on('change', this.onChange);
    live?.prependListener('sections', this.prebuild);
  }

  private current() {
    const b = this.built;
    if (b && b.version === this.version && b.config === this.daemon.running && Date.now() - b.at < this.maxAgeMs) return b;
    this.built = { version: this.version, config: this.daemon.running, at: Date.now(), view: this.builder.build(this.daemon) };
    return this.built;
  }

  close(): void {
    this.hub.off('change', this.onChange);
    this.live?.off('sections', this.prebuild);
  }

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
