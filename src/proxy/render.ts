/**
 * The resolved l7 model → haproxy.cfg and nginx.conf text. This file turns the
 * model into plain views (everything the templates print is precomputed here,
 * so the templates only lay it out); templates/*.hbs hold the layout, and
 * syntax.ts guards every printed value. Each engine gets only the frontends
 * that chose it and the backends those frontends use.
 */
import { createHash } from 'node:crypto';
import type { L7Backend, L7Engine, L7Frontend, L7Server, L7Settings, StatusRanges } from '../config/model.js';
import { ipFamily } from '../util/ip.js';
import { MAX_UNIX_PATH, type EnginePaths, type ProxyPaths } from './paths.js';
import { template } from './syntax.js';

export interface RenderedConfigs {
  haproxy?: RenderedConfig;
  nginx?: RenderedConfig;
}

export interface RenderedConfig {
  text: string;
  /** Identifies this config; the running proxy reports it once it serves it. */
  generation: string;
  /** Frontend name → the unix socket lbd probes it through. */
  probes: Record<string, string>;
  /** The ADDRESS:PORT endpoints the proxy listens on with this config. */
  listeners: string[];
  /** "backend/server" → where it is: runtime state saved for a server is kept only while this stays the same. */
  servers: Record<string, ServerIdentity>;
}

export interface ServerIdentity { address: string; port: number; checkPort: number }

const endpoint = (host: string, port: number) => (ipFamily(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`);
const statusList = (r: StatusRanges) => r.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',');
const regexEscape = (s: string) => s.replace(/[.*+?^$()[\]{}|\\]/g, (c) => `\\${c}`);

function unixPath(path: string): string {
  if (Buffer.byteLength(path) > MAX_UNIX_PATH)
    throw new Error(`unix socket path ${path} is longer than ${MAX_UNIX_PATH} bytes: use a shorter --state-dir`);
  return path;
}

const usesBackend = (f: L7Frontend, b: string) => f.default_backend === b || f.rules.some((r) => r.backend === b);

function engineModel(l7: L7Settings, engine: L7Engine): { frontends: L7Frontend[]; backends: L7Backend[] } | undefined {
  const frontends = l7.frontends.filter((f) => f.engine === engine);
  if (!frontends.length) return undefined;
  const backends = l7.backends.filter((b) => frontends.some((f) => usesBackend(f, b.name)));
  return { frontends, backends };
}

/** The generation is a hash of the view itself, so equal configs get equal text. */
function finish(name: string, view: Record<string, unknown>, m: { frontends: L7Frontend[]; backends: L7Backend[] }, probes: Record<string, string>, listeners: string[]): RenderedConfig {
  const generation = createHash('sha256').update(JSON.stringify(view)).digest('hex').slice(0, 16);
  const servers = Object.fromEntries(m.backends.flatMap((b) => b.servers.map((s) => [`${b.name}/${s.name}`, { address: s.address, port: s.port, checkPort: b.check?.port ?? 0 }])));
  return { text: template(name)({ ...view, generation }), generation, probes, listeners, servers };
}

function probeMap(frontends: L7Frontend[], paths: EnginePaths): Record<string, string> {
  return Object.fromEntries(frontends.map((f) => [f.name, unixPath(paths.probeSock(f.name))]));
}

// ---------------------------------------------------------------- HAProxy

function haproxyRule(r: L7Frontend['rules'][number], i: number) {
  const exact = r.host.filter((h) => !h.startsWith('*.'));
  const suffixes = r.host.filter((h) => h.startsWith('*.')).map((h) => h.slice(1));
  const acl = (kind: string) => `rule${i}_${kind}`;
  const path = r.path_prefix !== undefined ? acl('path') : null;
  // Host ACLs are alternatives; the path ACL must hold in each.
  const hostAcls = [exact.length ? acl('host') : null, suffixes.length ? acl('domain') : null].filter((a): a is string => a !== null);
  const alternatives = (hostAcls.length ? hostAcls : [null]).map((h) => [h, path].filter((a): a is string => a !== null));
  return {
    index: i, hosts: r.host, pathPrefix: r.path_prefix ?? null,
    hostAcl: exact.length ? { name: acl('host'), hosts: exact } : null,
    domainAcl: suffixes.length ? { name: acl('domain'), suffixes } : null,
    pathAcl: path !== null ? { name: path, prefix: r.path_prefix } : null,
    alternatives: alternatives.map((names) => ({ names })),
    backend: r.backend,
  };
}

function haproxyServer(s: L7Server, b: L7Backend) {
  return {
    name: s.name, endpoint: endpoint(s.address, s.port), weight: s.weight, backup: s.backup, maxconn: s.maxconn ?? null,
    check: b.check !== undefined, cookie: b.stick?.type === 'cookie' ? s.name : null,
  };
}

export function renderHaproxy(l7: L7Settings, paths: ProxyPaths): RenderedConfig | undefined {
  const m = engineModel(l7, 'haproxy');
  if (!m) return undefined;
  const p = paths.haproxy;
  const probes = probeMap(m.frontends, p);
  const t = l7.timeouts;
  const view = {
    paths: { adminSock: unixPath(p.adminSock), stateFile: p.stateFile },
    timeouts: { ...t, check: t.check ?? null, hard_stop_after: t.hard_stop_after ?? null },
    stats: l7.stats ? {
      listen: l7.stats.listen, uri: l7.stats.uri, refresh: l7.stats.refresh,
      auth: l7.stats.user !== undefined && l7.stats.password !== undefined ? `${l7.stats.user}:${l7.stats.password}` : null,
    } : null,
    frontends: m.frontends.map((f) => ({
      name: f.name, mode: f.mode, bind: f.bind, tls: f.tls?.certificate ?? null, probeSock: probes[f.name],
      maxconn: f.maxconn ?? null, forwardfor: f.forwardfor, forwardProto: f.forwardfor && f.tls !== undefined,
      rules: f.rules.map(haproxyRule), default_backend: f.default_backend,
    })),
    backends: m.backends.map((b) => ({
      name: b.name, mode: b.mode, balance: b.balance,
      httpCheck: b.check?.type === 'http' ? { path: b.check.path, host: b.check.host ?? null, status: statusList(b.check.status) } : null,
      check: b.check ? { inter: b.check.inter, rise: b.check.rise, fall: b.check.fall, ssl: b.check.ssl, port: b.check.port ?? null } : null,
      stickSource: b.stick?.type === 'source' ? { size: b.stick.size, expire: b.stick.expire } : null,
      stickCookie: b.stick?.type === 'cookie' ? { name: b.stick.cookie } : null,
      stickSslSession: b.stick?.type === 'ssl_session_id' ? { size: b.stick.size, expire: b.stick.expire } : null,
      servers: b.servers.map((s) => haproxyServer(s, b)),
    })),
  };
  return finish('haproxy.cfg.hbs', view, m, probes, [...m.frontends.flatMap((f) => f.bind), ...(l7.stats ? [l7.stats.listen] : [])]);
}

// ---------------------------------------------------------------- Nginx

/** Nginx variable names allow letters, digits and "_" only. */
const routeVar = (f: L7Frontend, i: number) => `lbd_route_${f.name.replace(/[^A-Za-z0-9_]/g, '_')}_${i}`;

/** A rule as one regex over "$host$uri"; map tries regexes in order, so the first matching rule wins as in HAProxy. */
function nginxRouteRegex(r: L7Frontend['rules'][number]): string {
  const hosts = r.host.map((h) => (h.startsWith('*.') ? `[^/]+${regexEscape(h.slice(1))}` : regexEscape(h)));
  const host = hosts.length === 0 ? '[^/]*' : hosts.length === 1 ? hosts[0]! : `(?:${hosts.join('|')})`;
  return `~^${host}${regexEscape(r.path_prefix ?? '/')}`;
}

function nginxUpstream(b: L7Backend) {
  const source = b.balance === 'source' || b.stick?.type === 'source';
  return {
    name: b.name,
    leastConn: !source && b.balance === 'leastconn',
    random: !source && b.balance === 'random',
    ipHash: source && b.mode === 'http',
    hashSource: source && b.mode === 'tcp',
    servers: b.servers.map((s) => ({
      name: s.name, endpoint: endpoint(s.address, s.port), weight: Math.max(1, s.weight), down: s.weight === 0, backup: s.backup,
      maxconn: s.maxconn ?? null, max_fails: s.max_fails, fail_timeout: s.fail_timeout,
    })),
  };
}

export function renderNginx(l7: L7Settings, paths: ProxyPaths): RenderedConfig | undefined {
  const m = engineModel(l7, 'nginx');
  if (!m) return undefined;
  const p = paths.nginx;
  const probes = probeMap(m.frontends, p);
  const server = (f: L7Frontend, i: number) => ({
    name: f.name, bind: f.bind, probeSock: probes[f.name], tls: f.tls ? { certificate: f.tls.certificate, key: f.tls.key ?? f.tls.certificate } : null,
    forwardfor: f.forwardfor, default_backend: f.default_backend,
    routeVar: f.rules.length ? routeVar(f, i) : null,
    routes: f.rules.map((r) => ({ regex: nginxRouteRegex(r), backend: r.backend })),
  });
  const of = (mode: 'http' | 'tcp') => {
    const frontends = m.frontends.filter((f) => f.mode === mode);
    if (!frontends.length) return null;
    return {
      upstreams: m.backends.filter((b) => b.mode === mode).map(nginxUpstream),
      servers: frontends.map((f) => server(f, m.frontends.indexOf(f))),
    };
  };
  const t = l7.timeouts;
  const view = {
    paths: { pid: p.pid, ctlSock: unixPath(p.ctlSock) },
    timeouts: { ...t, hard_stop_after: t.hard_stop_after ?? null },
    http: of('http'),
    stream: of('tcp'),
  };
  return finish('nginx.conf.hbs', view, m, probes, m.frontends.flatMap((f) => f.bind));
}

export function renderProxyConfigs(l7: L7Settings, paths: ProxyPaths): RenderedConfigs {
  return { haproxy: renderHaproxy(l7, paths), nginx: renderNginx(l7, paths) };
}
