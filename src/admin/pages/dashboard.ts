/**
 * The dashboard and its live updates. Each part of the page is a partial
 * (node, vrrp, services, l7); when status changes, the parts it affects are
 * rendered once (shared by every open browser) and pushed as HTML fragments
 * over Server-Sent Events, which app.js swaps in place.
 *
 * A large node (more than DETAIL_LIMIT real servers) gets one summary row per
 * virtual service, PAGE_SIZE rows a page, the services needing attention (a
 * server not up, quorum lost) first and expanded; the page of a single service
 * (/services?name=NAME) shows all of its servers, live. Rendering all 1,000
 * services of a big node on every change cost more than the rest of the
 * request together, and nobody reads a thousand rows.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HttpError } from '../context.js';
import { openSse } from '../live.js';
import type { StatusView, VirtualServerView } from '../status/schemas.js';
import { sendPage, type PageOptions } from './common.js';

export const DETAIL_LIMIT = 200;
export const PAGE_SIZE = 100;

const FRAGMENTS = ['node', 'vrrp', 'services', 'l7'] as const;
type Fragment = (typeof FRAGMENTS)[number];

/** Which parts of the page a changed section affects. */
const AFFECTS: Record<string, Fragment[]> = { vrrp: ['node', 'vrrp'], lvs: ['services'], health: ['services'], l7: ['l7'] };
const affected = (sections: string[]) => new Set(sections.flatMap((s) => AFFECTS[s] ?? FRAGMENTS));

const troubled = (vs: VirtualServerView) => vs.up < vs.total || vs.quorum_ok === false;

/**
 * What the services partial needs: every service in detail, or one page of
 * summaries (troubled ones first, expanded). A page past the end shows the last.
 */
function servicesModel(view: StatusView, page: number, only?: VirtualServerView) {
  const list = only ? [only] : view.virtual_servers;
  const servers = list.reduce((n, vs) => n + vs.real_servers.length, 0);
  const detailed = !!only || servers <= DETAIL_LIMIT;
  const attention = detailed ? 0 : list.filter(troubled).length;
  const ordered = detailed ? list : [...list.filter(troubled), ...list.filter((vs) => !troubled(vs))];
  const pages = detailed ? 1 : Math.max(1, Math.ceil(list.length / PAGE_SIZE));
  const current = Math.min(page, pages);
  const shown = detailed ? ordered : ordered.slice((current - 1) * PAGE_SIZE, current * PAGE_SIZE);
  return {
    ...view, detailed, servers, total_services: list.length, attention,
    paging: pages > 1 ? {
      current, pages, first: (current - 1) * PAGE_SIZE + 1, last: (current - 1) * PAGE_SIZE + shown.length,
      prev: current > 1 ? current - 1 : null, next: current < pages ? current + 1 : null,
      links: Array.from({ length: pages }, (_, i) => ({ page: i + 1, current: i + 1 === current })),
    } : null,
    services: shown.map((vs) => ({ ...vs, expand: detailed || troubled(vs), active: vs.real_servers.reduce((n, r) => n + (r.active_conns ?? 0), 0) })),
  };
}

export const dashboardPages: FastifyPluginAsyncTypebox<PageOptions> = async (app, o) => {
  const { ctx, renderer } = o;
  /** Fragments of the current status view, each rendered at most once per change (the services one per page). */
  let cache: { key: object; html: Map<string, string> } | undefined;
  const fragment = (name: Fragment, page: number) => {
    const key = ctx.status.key();
    if (cache?.key !== key) cache = { key, html: new Map() };
    const id = name === 'services' ? `services:${page}` : name;
    let html = cache.html.get(id);
    if (html === undefined) {
      const view = ctx.status.view();
      html = renderer.fragment(name, name === 'services' ? servicesModel(view, page) : view);
      cache.html.set(id, html);
    }
    return html;
  };
  const serviceFragment = (name: string) => {
    const view = ctx.status.view();
    const vs = view.virtual_servers.find((v) => v.name === name);
    if (!vs) throw new HttpError(404, `no virtual service "${name}"`);
    return renderer.fragment('services', servicesModel(view, 1, vs));
  };

  const Page = Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 }));
  app.get('/', { schema: { querystring: Type.Object({ page: Page }) } }, async (req, reply) => {
    const page = req.query.page ?? 1;
    const parts = Object.fromEntries(FRAGMENTS.map((f) => [f, fragment(f, page)]));
    return sendPage(reply, o, req, 'dashboard', 'Dashboard', 'dashboard', { parts, live: `/events/dashboard${page > 1 ? `?page=${page}` : ''}` });
  });

  const VsQuery = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) });
  app.get('/services', { schema: { querystring: VsQuery } }, async (req, reply) => {
    const services = serviceFragment(req.query.name);
    return sendPage(reply, o, req, 'dashboard', req.query.name, 'dashboard', {
      parts: { services }, live: `/events/dashboard?vs=${encodeURIComponent(req.query.name)}`,
    });
  });

  const EventsQuery = Type.Object({ vs: Type.Optional(Type.String({ maxLength: 200 })), page: Page });
  app.get('/events/dashboard', { schema: { querystring: EventsQuery } }, async (req, reply) => {
    const session = req.identity?.session;
    const { vs, page = 1 } = req.query;
    const listener = (sections: string[]) => {
      for (const f of affected(sections)) {
        if (vs && f !== 'services') continue;
        stream.send('fragment', { id: `live-${f}`, html: vs ? serviceFragment(vs) : fragment(f, page) });
      }
    };
    const stream = openSse(req, reply, () => !session || !ctx.sessions.expired(session), () => ctx.live.off('sections', listener));
    ctx.live.on('sections', listener);
  });
};
