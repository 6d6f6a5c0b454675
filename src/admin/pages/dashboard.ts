/**
 * The dashboard and its live updates. Each part of the page is a partial
 * (node, vrrp, services, l7); when status changes, the parts it affects are
 * rendered once (shared by every open browser) and pushed as HTML fragments
 * over Server-Sent Events, which app.js swaps in place.
 */
import type { FastifyPluginAsync } from 'fastify';
import { openSse } from '../live.js';
import { buildStatusView } from '../status/view.js';
import type { StatusView } from '../status/schemas.js';
import { sendPage, type PageOptions } from './common.js';

const FRAGMENTS = ['node', 'vrrp', 'services', 'l7'] as const;
type Fragment = (typeof FRAGMENTS)[number];

/** Which parts of the page a changed section affects. */
const AFFECTS: Record<string, Fragment[]> = { vrrp: ['node', 'vrrp'], lvs: ['services'], health: ['services'], l7: ['l7'] };
const affected = (sections: string[]) => new Set(sections.flatMap((s) => AFFECTS[s] ?? FRAGMENTS));

export const dashboardPages: FastifyPluginAsync<PageOptions> = async (app, o) => {
  const { ctx, renderer } = o;
  /** The view and fragments of the current live generation, rendered at most once each. */
  let cache: { generation: number; config: unknown; view: StatusView; html: Map<Fragment, string> } | undefined;
  const current = () => {
    // A reload (SIGHUP) replaces the running config object without a status change: that invalidates too.
    if (!cache || cache.generation !== ctx.live.generation || cache.config !== ctx.daemon.running)
      cache = { generation: ctx.live.generation, config: ctx.daemon.running, view: buildStatusView(ctx.daemon), html: new Map() };
    return cache;
  };
  const fragment = (name: Fragment) => {
    const c = current();
    let html = c.html.get(name);
    if (html === undefined) { html = renderer.fragment(name, c.view); c.html.set(name, html); }
    return html;
  };

  app.get('/', async (req, reply) => {
    const parts = Object.fromEntries(FRAGMENTS.map((f) => [f, fragment(f)]));
    return sendPage(reply, o, req, 'dashboard', 'Dashboard', 'dashboard', { parts });
  });

  app.get('/events/dashboard', async (req, reply) => {
    const session = req.identity?.session;
    const listener = (sections: string[]) => {
      for (const f of affected(sections)) stream.send('fragment', { id: `live-${f}`, html: fragment(f) });
    };
    const stream = openSse(req, reply, () => !session || !ctx.sessions.expired(session), () => ctx.live.off('sections', listener));
    ctx.live.on('sections', listener);
  });
};
