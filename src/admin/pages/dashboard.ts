/**
 * The dashboard and its live updates. Each part of the page is a partial
 * (node, vrrp, services, l7); when status changes, the parts it affects are
 * rendered once (shared by every open browser) and pushed as HTML fragments
 * over Server-Sent Events, which app.js swaps in place.
 *
 * A large node (more than DETAIL_LIMIT real servers) gets one summary row per
 * virtual service, with the real servers shown only where one is not up; the
 * page of a single service (/services/NAME) shows all of its servers, live.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HttpError } from '../context.js';
import { openSse } from '../live.js';
import type { StatusView, VirtualServerView } from '../status/schemas.js';
import { sendPage, type PageOptions } from './common.js';

export const DETAIL_LIMIT = 200;

const FRAGMENTS = ['node', 'vrrp', 'services', 'l7'] as const;
type Fragment = (typeof FRAGMENTS)[number];

/** Which parts of the page a changed section affects. */
const AFFECTS: Record<string, Fragment[]> = { vrrp: ['node', 'vrrp'], lvs: ['services'], health: ['services'], l7: ['l7'] };
const affected = (sections: string[]) => new Set(sections.flatMap((s) => AFFECTS[s] ?? FRAGMENTS));

/** What the services partial needs: every service in detail, or summaries with the troubled ones expanded. */
function servicesModel(view: StatusView, only?: VirtualServerView) {
  const list = only ? [only] : view.virtual_servers;
  const servers = list.reduce((n, vs) => n + vs.real_servers.length, 0);
  const detailed = !!only || servers <= DETAIL_LIMIT;
  return {
    ...view, detailed, servers,
    services: list.map((vs) => ({ ...vs, expand: detailed || vs.up < vs.total, active: vs.real_servers.reduce((n, r) => n + (r.active_conns ?? 0), 0) })),
  };
}

export const dashboardPages: FastifyPluginAsyncTypebox<PageOptions> = async (app, o) => {
  const { ctx, renderer } = o;
  /** Fragments of the current status view, each rendered at most once per change. */
  let cache: { key: object; html: Map<Fragment, string> } | undefined;
  const fragment = (name: Fragment) => {
    const key = ctx.status.key();
    if (cache?.key !== key) cache = { key, html: new Map() };
    let html = cache.html.get(name);
    if (html === undefined) {
      const view = ctx.status.view();
      html = renderer.fragment(name, name === 'services' ? servicesModel(view) : view);
      cache.html.set(name, html);
    }
    return html;
  };
  const serviceFragment = (name: string) => {
    const view = ctx.status.view();
    const vs = view.virtual_servers.find((v) => v.name === name);
    if (!vs) throw new HttpError(404, `no virtual service "${name}"`);
    return renderer.fragment('services', servicesModel(view, vs));
  };

  app.get('/', async (req, reply) => {
    const parts = Object.fromEntries(FRAGMENTS.map((f) => [f, fragment(f)]));
    return sendPage(reply, o, req, 'dashboard', 'Dashboard', 'dashboard', { parts, live: '/events/dashboard' });
  });

  const VsQuery = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) });
  app.get('/services', { schema: { querystring: VsQuery } }, async (req, reply) => {
    const services = serviceFragment(req.query.name);
    return sendPage(reply, o, req, 'dashboard', req.query.name, 'dashboard', {
      parts: { services }, live: `/events/dashboard?vs=${encodeURIComponent(req.query.name)}`,
    });
  });

  app.get('/events/dashboard', { schema: { querystring: Type.Object({ vs: Type.Optional(Type.String({ maxLength: 200 })) }) } }, async (req, reply) => {
    const session = req.identity?.session;
    const vs = req.query.vs;
    const listener = (sections: string[]) => {
      for (const f of affected(sections)) {
        if (vs && f !== 'services') continue;
        stream.send('fragment', { id: `live-${f}`, html: vs ? serviceFragment(vs) : fragment(f) });
      }
    };
    const stream = openSse(req, reply, () => !session || !ctx.sessions.expired(session), () => ctx.live.off('sections', listener));
    ctx.live.on('sections', listener);
  });
};
