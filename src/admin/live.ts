/**
 * Live updates: status hub changes are coalesced (at most one notification per
 * `intervalMs`, naming every section that changed) so that a burst of health
 * results costs one re-render, however many browsers watch. Server-Sent
 * Events carry them to browsers, the console and scripts.
 */
import { EventEmitter } from 'node:events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StatusHub } from '../status/hub.js';

export interface LiveEvents { sections: [names: string[]] }

export class LiveUpdates extends EventEmitter<LiveEvents> {
  private pending = new Set<string>();
  private timer?: NodeJS.Timeout;
  /** Bumped on every notification: caches of rendered status compare against it. */
  generation = 0;
  private readonly onChange = (section: string) => this.mark(section);

  /** `ready` delays a notification until the status view shows what it announces (StatusCache.whenCurrent). */
  constructor(private readonly hub: StatusHub, private readonly intervalMs = 250, private readonly ready: (cb: () => void) => void = (cb) => cb()) {
    super();
    this.setMaxListeners(0);
    hub.on('change', this.onChange);
  }

  /** Something changed that is not a hub section (e.g. 'config' after an apply). */
  mark(section: string): void {
    this.pending.add(section);
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  private flush(): void {
    this.timer = undefined;
    const names = [...this.pending];
    this.pending.clear();
    this.ready(() => {
      this.generation++;
      if (names.length) this.emit('sections', names);
    });
  }

  close(): void {
    this.hub.off('change', this.onChange);
    if (this.timer) clearTimeout(this.timer);
  }
}

export interface SseStream { send(event: string, data: unknown): void; readonly closed: boolean }

/**
 * Take over the response as an event stream. `stillAllowed` is asked every
 * 15 s (with the keep-alive): a logged-out or expired session ends the stream.
 */
export function openSse(req: FastifyRequest, reply: FastifyReply, stillAllowed: () => boolean, onClose: () => void): SseStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    connection: 'keep-alive',
  });
  res.write('retry: 3000\n\n');
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    onClose();
    res.end();
  };
  const keepAlive = setInterval(() => {
    if (!stillAllowed()) { res.write('event: expired\ndata: {}\n\n'); close(); return; }
    res.write(': keep-alive\n\n');
  }, 15_000);
  req.raw.on('close', close);
  return {
    send(event, data) {
      if (closed) return;
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    get closed() { return closed; },
  };
}
