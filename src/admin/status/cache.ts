/**
 * The status view, built once per change rather than once per request: the
 * API, the dashboard and /metrics all read it. It is rebuilt after the hub
 * reports a change, when the running config object is replaced (apply,
 * rollback, SIGHUP), or after `maxAgeMs` (uptime and the like).
 * The API's JSON is encoded once per build too, from each part's JSON kept while
 * the part is reused: for thousands of real servers that is most of a request's cost.
 *
 * Built ahead: when the current build has been read (an open dashboard, a script
 * polling the API), a change is built right away, with its JSON if the current
 * one's was read, in slices of a few milliseconds so that requests keep being
 * answered meanwhile. Until that build is complete, readers get the one before it:
 * at 1,000 services × 4 real servers a build takes tens of milliseconds, and a
 * request would otherwise wait for all of it. The view then lags the hub by at
 * most one build, against sections that are republished every 1 to 5 s.
 * Otherwise a reader gets what the hub holds when it asks: a change no build is
 * under way for is built at once, and so is a replaced config (an apply shows in
 * the next read). A build nobody reads is not followed by another.
 */
import type { Daemon } from '../../lbd/daemon.js';
import type { StatusHub } from '../../status/hub.js';
import type { StatusView } from './schemas.js';
import { StatusViewBuilder } from './view.js';
import { runInSlices, runToEnd, type Steps } from './steps.js';

interface Build { version: number; config: unknown; at: number; view: StatusView; json?: Buffer; read: boolean; jsonRead: boolean }

/** A build under way in slices, and whether it was read meanwhile (the previous build served instead). */
interface Ahead { started: boolean; cancel: () => void; read: boolean; jsonRead: boolean }

/** CPU time per slice of a build done ahead: what a request arriving meanwhile waits at most. */
const SLICE_MS = 4;
/** Rows per JSON.stringify call when a big part is encoded in slices. */
const JSON_CHUNK = 100;

/**
 * Each part's JSON, kept while the part object lives: the view builder reuses unchanged
 * parts, so VRRP's updates every second do not re-serialize thousands of real-server rows.
 */
const partJson = new WeakMap<object, string>();

function* arrayJson(a: unknown[]): Steps<string> {
  const chunks: string[] = [];
  for (let i = 0; i < a.length; i += JSON_CHUNK) {
    chunks.push(JSON.stringify(a.slice(i, i + JSON_CHUNK)).slice(1, -1));
    yield;
  }
  return `[${chunks.join(',')}]`;
}

function* encode(view: StatusView): Steps<Buffer> {
  const fields: string[] = [];
  for (const [k, v] of Object.entries(view)) {
    if (v === undefined) continue;
    let j = typeof v === 'object' && v !== null ? partJson.get(v) : JSON.stringify(v);
    if (j === undefined) partJson.set(v as object, j = Array.isArray(v) && v.length > JSON_CHUNK ? yield* arrayJson(v) : JSON.stringify(v));
    fields.push(`${JSON.stringify(k)}:${j}`);
  }
  return Buffer.from(`{${fields.join(',')}}`);
}

export class StatusCache {
  private built?: Build;
  private version = 0;
  private ahead?: Ahead;
  /** Callers of whenCurrent() waiting for the build under way. */
  private waiting: (() => void)[] = [];
  private readonly builder = new StatusViewBuilder();
  private readonly onChange = () => {
    this.version++;
    if (!this.ahead && this.built?.read) this.buildAhead(this.built.jsonRead);
  };

  constructor(private readonly daemon: Daemon, private readonly hub: StatusHub, private readonly maxAgeMs = 5000, private readonly sliceMs = SLICE_MS) {
    hub.on('change', this.onChange);
  }

  /** What the config and hub hold when it starts (the builder reads them before its first yield). */
  private *build(json: boolean): Steps<Build> {
    const version = this.version, config = this.daemon.running, at = Date.now();
    const view = yield* this.builder.build(this.daemon);
    const b: Build = { version, config, at, view, read: false, jsonRead: false };
    if (json) b.json = yield* encode(view);
    return b;
  }

  private buildAhead(json: boolean): void {
    const ahead: Ahead = {
      started: false, read: false, jsonRead: false,
      cancel: runInSlices(this.build(json), this.sliceMs, {
        slice: () => { ahead.started = true; },
        done: (b) => {
          this.ahead = undefined;
          this.built = b;
          // Whoever read the previous build meanwhile reads this one next.
          b.read = ahead.read;
          b.jsonRead = ahead.jsonRead;
          // Changes arrived during the build and it was read meanwhile: build them too.
          if (b.version !== this.version && ahead.read) this.buildAhead(ahead.jsonRead);
          else this.release();
        },
        // The next reader builds at once, and gets the error in its request.
        failed: () => {
          this.ahead = undefined;
          this.release();
        },
      }),
    };
    this.ahead = ahead;
  }

  private current(): Build {
    const b = this.built;
    if (b && b.config === this.daemon.running) {
      if (b.version === this.version && Date.now() - b.at < this.maxAgeMs) return b;
      if (this.ahead?.started) return b;
    }
    this.ahead?.cancel();
    this.ahead = undefined;
    this.built = runToEnd(this.build(false));
    // Not from inside this read: a waiting notification would render from within its caller.
    if (this.waiting.length) queueMicrotask(() => { if (!this.ahead) this.release(); });
    return this.built;
  }

  private release(): void {
    for (const cb of this.waiting.splice(0)) cb();
  }

  /**
   * Calls `cb` once a read gets everything the hub holds now: at once, or when the build
   * under way is done. Live notifications wait for it, so that what they make a reader
   * fetch is not the build before the change they announce.
   */
  whenCurrent(cb: () => void): void {
    if (this.ahead) this.waiting.push(cb); else cb();
  }

  private read(json: boolean): Build {
    const b = this.current();
    b.read = true;
    b.jsonRead ||= json;
    if (this.ahead) { this.ahead.read = true; this.ahead.jsonRead ||= json; }
    return b;
  }

  close(): void {
    this.hub.off('change', this.onChange);
    this.ahead?.cancel();
    this.ahead = undefined;
    this.waiting = [];
  }

  view(): StatusView { return this.read(false).view; }

  /** The view as UTF-8 JSON (the API's response body), encoded once per build rather than by every response. */
  json(): Buffer {
    const b = this.read(true);
    return b.json ??= runToEnd(encode(b.view));
  }

  /** A key that changes whenever view() would return a different object. */
  key(): object { return this.read(false); }
}
