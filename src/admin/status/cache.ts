/**
 * The status view, built once per change rather than once per request: the
 * API, the dashboard and /metrics all read it. It is rebuilt after the hub
 * reports a change (at once: readers never see a superseded section), when the
 * running config object is replaced (apply, rollback, SIGHUP), or after
 * `maxAgeMs` (uptime and the like).
 * The API's JSON is encoded once per build too, from each part's JSON kept while
 * the part is reused: for thousands of real servers that is most of a request's cost.
 * When the current build has been read (an open dashboard, a script polling the
 * API), the next change is built on the next turn of the event loop, and its JSON
 * encoded if the current one's was read: a reader arriving later finds it ready
 * instead of paying for thousands of rows. A build nobody reads is not followed
 * by another one: at most one build per read is done ahead.
 */
import type { Daemon } from '../../lbd/daemon.js';
import type { StatusHub } from '../../status/hub.js';
import type { StatusView } from './schemas.js';
import { StatusViewBuilder } from './view.js';

interface Build { version: number; config: unknown; at: number; view: StatusView; json?: Buffer; read: boolean; jsonRead: boolean }

/**
 * Each part's JSON, kept while the part object lives: the view builder reuses unchanged
 * parts, so VRRP's updates every second do not re-serialize thousands of real-server rows.
 */
const partJson = new WeakMap<object, string>();

function encode(b: Build): Buffer {
  if (b.json) return b.json;
  const fields = Object.entries(b.view).filter(([, v]) => v !== undefined).map(([k, v]) => {
    if (typeof v !== 'object' || v === null) return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    let j = partJson.get(v);
    if (j === undefined) partJson.set(v, j = JSON.stringify(v));
    return `${JSON.stringify(k)}:${j}`;
  });
  return b.json = Buffer.from(`{${fields.join(',')}}`);
}

export class StatusCache {
  private built?: Build;
  private version = 0;
  private pending?: NodeJS.Immediate;
  private readonly builder = new StatusViewBuilder();
  private readonly onChange = () => {
    this.version++;
    const read = this.built;
    if (this.pending || !read?.read) return;
    this.pending = setImmediate(() => {
      this.pending = undefined;
      const b = this.current();
      if (read.jsonRead) encode(b);
    });
  };

  constructor(private readonly daemon: Daemon, private readonly hub: StatusHub, private readonly maxAgeMs = 5000) {
    hub.on('change', this.onChange);
  }

  private current() {
    const b = this.built;
    if (b && b.version === this.version && b.config === this.daemon.running && Date.now() - b.at < this.maxAgeMs) return b;
    this.built = { version: this.version, config: this.daemon.running, at: Date.now(), view: this.builder.build(this.daemon), read: false, jsonRead: false };
    return this.built;
  }

  private read(): Build {
    const b = this.current();
    b.read = true;
    return b;
  }

  close(): void {
    this.hub.off('change', this.onChange);
    if (this.pending) clearImmediate(this.pending);
  }

  view(): StatusView { return this.read().view; }

  /** The view as UTF-8 JSON (the API's response body), encoded once per build rather than by every response. */
  json(): Buffer {
    const b = this.read();
    b.jsonRead = true;
    return encode(b);
  }

  /** A key that changes whenever view() would return a different object. */
  key(): object { return this.read(); }
}
