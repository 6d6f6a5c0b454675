/**
 * Raw (as written, structurally valid) → resolved model (defaults filled in).
 * Total over any input that passed the schema: semantic problems are reported
 * by semantic.ts, which runs on the result, so nothing here throws.
 * Defaults are keepalived's unless noted.
 */
import type { RawCheck, RawConfig, RawL7, RawRealServer, RawVip, RawVirtualServer } from './schema.js';
import type {
  Check, Config, GarpSettings, GlobalSettings, HttpUrl, L7Backend, L7Engine, L7Frontend, L7Mode, L7Settings, LbKind, MarkRule,
  Notify, RealServer, SyncGroup, Vip, VirtualServer, VrrpInstance, VrrpScript, VsEndpoint,
} from './model.js';
import { bytesToIp, canonicalIp, ipFamily, ipToBytes, parsePrefix, type Family } from '../util/ip.js';

export const DEFAULTS = {
  priority: 100,
  advert_int: 1,
  mcast_group4: '224.0.0.18',
  mcast_group6: 'ff02::12',
  script_interval: 1,
  connect_timeout: 5,
  retry: 1,
  misc_retry: 0,
  delay_before_retry: 1,
  delay_loop: 60,
  lb_algo: 'wlc',
  lb_kind: 'NAT',
  smtp_connect_timeout: 30,
  session_idle_timeout: 1800,
} as const;

export function endpointKey(address: string, port: number): string {
  return ipFamily(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

function resolveGlobal(raw: RawConfig['global']): GlobalSettings {
  const g = raw ?? {};
  const garp: GarpSettings = {
    master_delay: g.vrrp_garp_master_delay ?? 5,
    master_repeat: g.vrrp_garp_master_repeat ?? 5,
    master_refresh: g.vrrp_garp_master_refresh ?? 0,
    master_refresh_repeat: g.vrrp_garp_master_refresh_repeat ?? 1,
    interval: g.vrrp_garp_interval ?? 0,
    gna_interval: g.vrrp_gna_interval ?? 0,
  };
  return {
    router_id: g.router_id ?? 'lbd',
    notification_email: g.notification_email ?? [],
    notification_email_from: g.notification_email_from,
    smtp_server: g.smtp_server,
    smtp_port: g.smtp_port ?? 25,
    smtp_helo_name: g.smtp_helo_name,
    smtp_connect_timeout: g.smtp_connect_timeout ?? DEFAULTS.smtp_connect_timeout,
    smtp_user: g.smtp_user,
    smtp_password: g.smtp_password,
    smtp_tls: g.smtp_tls ?? 'none',
    vrrp_version: g.vrrp_version ?? 2,
    vrrp_mcast_group4: g.vrrp_mcast_group4 ?? DEFAULTS.mcast_group4,
    vrrp_mcast_group6: g.vrrp_mcast_group6 ?? DEFAULTS.mcast_group6,
    vrrp_skip_check_adv_addr: g.vrrp_skip_check_adv_addr ?? false,
    garp,
    vrrp_scheduling: { nice: g.vrrp_priority ?? -10, rt_priority: g.vrrp_rt_priority ?? 10, rlimit_rtime_us: g.vrrp_rlimit_rtime ?? 500_000 },
    lvs_timeouts: g.lvs_timeouts,
    logging: { level: g.logging?.level ?? 'info' },
    admin: {
      listen: g.admin?.listen,
      tls: g.admin?.tls ?? true,
      tls_certificate: g.admin?.tls_certificate,
      tls_key: g.admin?.tls_key,
      session_idle_timeout: g.admin?.session_idle_timeout ?? DEFAULTS.session_idle_timeout,
      socket: g.admin?.socket,
      socket_group: g.admin?.socket_group,
    },
  };
}

export function resolveVip(v: RawVip, dev: string): Vip {
  const o = typeof v === 'string' ? { address: v } : v;
  const p = parsePrefix(o.address) ?? { address: o.address, prefix: 32, family: 4 as Family };
  return {
    address: p.address, prefix: p.prefix, family: p.family, dev: 'dev' in o && o.dev ? o.dev : dev,
    label: 'label' in o ? o.label : undefined,
    broadcast: 'broadcast' in o ? o.broadcast : undefined,
    scope: 'scope' in o ? o.scope : undefined,
    no_track: 'no_track' in o ? o.no_track ?? false : false,
  };
}

const notifyOf = (n: Partial<Notify>): Notify => ({
  notify_master: n.notify_master, notify_backup: n.notify_backup, notify_fault: n.notify_fault,
  notify_stop: n.notify_stop, notify: n.notify, smtp_alert: n.smtp_alert ?? false,
});

function parseStatusCodes(sc: unknown): [number, number][] {
  if (sc === undefined) return [[200, 299]];
  const items = Array.isArray(sc) ? sc : [sc];
  return items.map((i) => {
    if (typeof i === 'number') return [i, i] as [number, number];
    const [a, b] = String(i).split('-').map(Number);
    return [a!, b ?? a!] as [number, number];
  });
}

function resolveCheck(c: RawCheck, rs: RawRealServer, vs: RawVirtualServer, rsPort: number): Check {
  const delay_loop = c.delay_loop ?? rs.delay_loop ?? vs.delay_loop ?? DEFAULTS.delay_loop;
  const timing = {
    connect_ip: c.connect_ip ?? rs.address,
    connect_port: c.connect_port ?? rsPort,
    bindto: c.bindto, bind_port: c.bind_port, bind_if: c.bind_if,
    connect_timeout: c.connect_timeout ?? rs.connect_timeout ?? vs.connect_timeout ?? DEFAULTS.connect_timeout,
    retry: c.retry ?? rs.retry ?? vs.retry ?? (c.type === 'MISC_CHECK' ? DEFAULTS.misc_retry : DEFAULTS.retry),
    delay_before_retry: c.delay_before_retry ?? rs.delay_before_retry ?? vs.delay_before_retry ?? DEFAULTS.delay_before_retry,
    delay_loop,
    // As keepalived: by default the first check starts at a random time within one delay_loop.
    warmup: c.warmup ?? rs.warmup ?? vs.warmup ?? delay_loop,
    alpha: c.alpha ?? rs.alpha ?? vs.alpha ?? false,
  };
  switch (c.type) {
    case 'TCP_CHECK':
      return { type: 'TCP_CHECK', ...timing };
    case 'MISC_CHECK':
      return {
        type: 'MISC_CHECK', ...timing, misc_path: c.misc_path, misc_timeout: c.misc_timeout ?? timing.delay_loop,
        misc_dynamic: c.misc_dynamic ?? false, user: c.user,
      };
    default: {
      const url: HttpUrl[] = c.url.map((u) => ({
        path: u.path, status_code: parseStatusCodes(u.status_code), digest: u.digest?.toLowerCase(), regex: u.regex,
        regex_no_match: u.regex_no_match ?? false, virtualhost: u.virtualhost,
      }));
      return {
        type: c.type, ...timing, url, virtualhost: c.virtualhost ?? rs.virtualhost ?? vs.virtualhost,
        http_protocol: c.http_protocol ?? '1.0', enable_sni: c.enable_sni ?? false, sni_name: c.sni_name, tls_verify: c.tls_verify,
      };
    }
  }
}

/** A virtual_server_group entry with `last` expands to an address range. */
function expandRange(address: string, last: number | undefined): string[] {
  if (last === undefined) return [address];
  const b = ipToBytes(address);
  const lastIdx = b.length - 1;
  const first = b.length === 4 ? b[lastIdx]! : b.readUInt16BE(14);
  const out: string[] = [];
  for (let n = first; n <= last && out.length < 256; n++) {
    const c = Buffer.from(b);
    if (c.length === 4) c[lastIdx] = n; else c.writeUInt16BE(n, 14);
    out.push(bytesToIp(c));
  }
  return out;
}

export function virtualServerName(vs: RawVirtualServer): string {
  if (vs.name) return vs.name;
  if (vs.group) return `group:${vs.group}`;
  if (vs.fwmark !== undefined) return `fwmark:${vs.fwmark}${vs.ip_family === 'inet6' ? ':inet6' : ''}`;
  return `${endpointKey(vs.address ?? '', vs.port ?? 0)}/${vs.protocol ?? 'TCP'}`;
}

function resolveVirtualServer(vs: RawVirtualServer, raw: RawConfig): VirtualServer {
  const protocol = vs.protocol ?? 'TCP';
  let endpoints: VsEndpoint[];
  if (vs.group) {
    endpoints = (raw.virtual_server_groups?.[vs.group] ?? []).flatMap((e): VsEndpoint[] =>
      'fwmark' in e
        ? [{ kind: 'fwmark', fwmark: e.fwmark, family: vs.ip_family === 'inet6' ? 6 : 4 }]
        : expandRange(e.address, e.last).map((a) => ({ kind: 'addr', address: a, port: e.port, protocol, family: ipFamily(a) || 4 })));
  } else if (vs.fwmark !== undefined) {
    endpoints = [{ kind: 'fwmark', fwmark: vs.fwmark, family: vs.ip_family === 'inet6' ? 6 : 4 }];
  } else {
    const address = vs.address ? bytesToIp(ipToBytes(vs.address)) : '';
    endpoints = [{ kind: 'addr', address, port: vs.port ?? 0, protocol, family: ipFamily(address) || 4 }];
  }
  const family = endpoints[0]?.family ?? 4;
  const lb_kind: LbKind = vs.lb_kind ?? DEFAULTS.lb_kind;
  const vsPort = endpoints[0]?.kind === 'addr' ? endpoints[0].port : 0;
  const real_servers: RealServer[] = vs.real_servers.map((rs) => {
    const address = bytesToIp(ipToBytes(rs.address));
    const port = rs.port ?? vsPort;
    return {
      key: endpointKey(address, port), address, port, family: ipFamily(address) || 4,
      weight: rs.weight ?? vs.weight ?? 1,
      lb_kind: rs.lb_kind ?? lb_kind,
      uthreshold: rs.uthreshold ?? vs.uthreshold ?? 0,
      lthreshold: rs.lthreshold ?? vs.lthreshold ?? 0,
      inhibit_on_failure: rs.inhibit_on_failure ?? vs.inhibit_on_failure ?? false,
      notify_up: rs.notify_up ?? vs.notify_up,
      notify_down: rs.notify_down ?? vs.notify_down,
      alpha: rs.alpha ?? vs.alpha ?? false,
      smtp_alert: rs.smtp_alert ?? vs.smtp_alert ?? false,
      checks: (rs.checks ?? []).map((c) => resolveCheck(c, rs, vs, port)),
    };
  });
  const mark_rules: MarkRule[] = (vs.mark_rules ?? []).map((m) => {
    const p = parsePrefix(m.address)!;
    return { address: p.address, prefix: p.prefix, family: p.family, protocol: m.protocol ?? 'tcp', ports: m.ports ?? [] };
  });
  return {
    name: virtualServerName(vs), family, endpoints, group: vs.group, mark_rules,
    lb_algo: vs.lb_algo ?? DEFAULTS.lb_algo, lb_kind,
    persistence_timeout: vs.persistence_timeout, persistence_granularity: vs.persistence_granularity,
    flags: {
      hashed: vs.hashed ?? false, ops: vs.ops ?? false, sh_port: vs.sh_port ?? false, sh_fallback: vs.sh_fallback ?? false,
      mh_port: vs.mh_port ?? false, mh_fallback: vs.mh_fallback ?? false,
    },
    delay_loop: vs.delay_loop ?? DEFAULTS.delay_loop,
    quorum: vs.quorum ?? 1,
    hysteresis: vs.hysteresis ?? 0,
    quorum_up: vs.quorum_up, quorum_down: vs.quorum_down,
    alpha: vs.alpha ?? false, omega: vs.omega ?? false,
    inhibit_on_failure: vs.inhibit_on_failure ?? false,
    sorry_server: vs.sorry_server && {
      address: bytesToIp(ipToBytes(vs.sorry_server.address)), port: vs.sorry_server.port ?? vsPort, lb_kind: vs.sorry_server.lb_kind ?? lb_kind,
    },
    sorry_server_inhibit: vs.sorry_server_inhibit ?? false,
    smtp_alert: vs.smtp_alert ?? false,
    real_servers,
  };
}

/** HAProxy's defaults where it has one; the timeouts are those of Debian's stock haproxy.cfg. */
const L7_DEFAULTS = {
  timeouts: { connect: 5, client: 50, server: 50, http_request: 10, http_keep_alive: 10, queue: 30, tunnel: 3600 },
  check: { path: '/', status: [[200, 399]] as [number, number][], inter: 2, rise: 2, fall: 3 },
  stick: { cookie: 'SERVERID', expire: 1800, size: 100000 },
  probe: { path: '/', status: [[200, 499]] as [number, number][], interval: 2, timeout: 2, rise: 2, fall: 2 },
  max_fails: 1,
  fail_timeout: 10,
} as const;

function resolveL7(raw: RawL7 | undefined): L7Settings {
  const rawFrontends = Object.entries(raw?.frontends ?? {});
  const frontends: L7Frontend[] = rawFrontends.map(([name, f]) => {
    const mode: L7Mode = f.mode ?? 'http';
    const p = f.probe ?? {};
    return {
      name, engine: f.engine, bind: f.bind, mode,
      tls: f.tls && { certificate: f.tls.certificate, key: f.tls.key },
      default_backend: f.default_backend,
      rules: (f.rules ?? []).map((r) => ({
        host: (r.host === undefined ? [] : typeof r.host === 'string' ? [r.host] : r.host).map((h) => h.toLowerCase()),
        path_prefix: r.path_prefix, backend: r.backend,
      })),
      maxconn: f.maxconn,
      forwardfor: mode === 'http' && (f.forwardfor ?? true),
      probe: {
        path: p.path ?? L7_DEFAULTS.probe.path, host: p.host,
        status: p.status === undefined ? L7_DEFAULTS.probe.status.map((r) => [...r] as [number, number]) : parseStatusCodes(p.status),
        tls: p.tls ?? false,
        interval: p.interval ?? L7_DEFAULTS.probe.interval, timeout: p.timeout ?? L7_DEFAULTS.probe.timeout,
        rise: p.rise ?? L7_DEFAULTS.probe.rise, fall: p.fall ?? L7_DEFAULTS.probe.fall,
      },
    };
  });
  const users = (backend: string) => frontends.filter((f) => f.default_backend === backend || f.rules.some((r) => r.backend === backend));
  const backends: L7Backend[] = Object.entries(raw?.backends ?? {}).map(([name, b]) => {
    const fes = users(name);
    const c = b.check;
    return {
      name, mode: fes[0]?.mode ?? 'http',
      engines: (['haproxy', 'nginx'] as L7Engine[]).filter((e) => fes.some((f) => f.engine === e)),
      balance: b.balance ?? 'roundrobin',
      check: c && {
        type: c.type, path: c.path ?? L7_DEFAULTS.check.path, host: c.host,
        status: c.status === undefined ? L7_DEFAULTS.check.status.map((r) => [...r] as [number, number]) : parseStatusCodes(c.status),
        ssl: c.ssl ?? false, port: c.port,
        inter: c.inter ?? L7_DEFAULTS.check.inter, rise: c.rise ?? L7_DEFAULTS.check.rise, fall: c.fall ?? L7_DEFAULTS.check.fall,
      },
      stick: b.stick && {
        type: b.stick.type, cookie: b.stick.cookie ?? L7_DEFAULTS.stick.cookie,
        expire: b.stick.expire ?? L7_DEFAULTS.stick.expire, size: b.stick.size ?? L7_DEFAULTS.stick.size,
      },
      servers: b.servers.map((s) => ({
        name: s.name, address: ipFamily(s.address) ? canonicalIp(s.address) : s.address.toLowerCase(), port: s.port,
        weight: s.weight ?? 1, backup: s.backup ?? false, maxconn: s.maxconn,
        max_fails: s.max_fails ?? b.max_fails ?? L7_DEFAULTS.max_fails,
        fail_timeout: s.fail_timeout ?? b.fail_timeout ?? L7_DEFAULTS.fail_timeout,
      })),
    };
  });
  const t = raw?.timeouts ?? {};
  return {
    frontends, backends,
    timeouts: { ...L7_DEFAULTS.timeouts, ...t },
    stats: raw?.stats && {
      listen: raw.stats.listen, uri: raw.stats.uri ?? '/', refresh: raw.stats.refresh ?? 10,
      user: raw.stats.user, password: raw.stats.password,
    },
  };
}

export function resolveConfig(raw: RawConfig): Config {
  const global = resolveGlobal(raw.global);
  const vrrp_scripts: VrrpScript[] = Object.entries(raw.vrrp_scripts ?? {}).map(([name, s]) => ({
    name, script: s.script, interval: s.interval ?? DEFAULTS.script_interval, timeout: s.timeout ?? s.interval ?? DEFAULTS.script_interval,
    weight: s.weight ?? 0, rise: s.rise ?? 1, fall: s.fall ?? 1, user: s.user, init_fail: s.init_fail ?? false,
  }));
  const scriptWeight = new Map(vrrp_scripts.map((s) => [s.name, s.weight]));
  const syncOf = new Map<string, string>();
  for (const [g, sg] of Object.entries(raw.vrrp_sync_groups ?? {})) for (const i of sg.group) if (!syncOf.has(i)) syncOf.set(i, g);

  const vrrp_instances: VrrpInstance[] = Object.entries(raw.vrrp_instances ?? {}).map(([name, i]) => {
    const vips = i.virtual_ipaddress.map((v) => resolveVip(v, i.interface));
    const family = vips[0]?.family ?? 4;
    const garp: GarpSettings = {
      ...global.garp,
      master_delay: i.garp_master_delay ?? global.garp.master_delay,
      master_repeat: i.garp_master_repeat ?? global.garp.master_repeat,
      master_refresh: i.garp_master_refresh ?? global.garp.master_refresh,
      master_refresh_repeat: i.garp_master_refresh_repeat ?? global.garp.master_refresh_repeat,
    };
    return {
      name, interface: i.interface, family, virtual_router_id: i.virtual_router_id,
      priority: i.priority ?? DEFAULTS.priority, address_owner: i.address_owner ?? false,
      advert_int: i.advert_int ?? DEFAULTS.advert_int, version: family === 6 ? 3 : i.version ?? global.vrrp_version,
      state: i.state ?? 'BACKUP', nopreempt: i.nopreempt ?? false, preempt_delay: i.preempt_delay ?? 0,
      authentication: i.authentication,
      mcast_src_ip: i.mcast_src_ip,
      mcast_dst_ip: i.mcast_dst_ip ?? (family === 6 ? global.vrrp_mcast_group6 : global.vrrp_mcast_group4),
      unicast_src_ip: i.unicast_src_ip,
      unicast_peer: i.unicast_peer ?? [],
      virtual_ipaddress: vips,
      virtual_ipaddress_excluded: (i.virtual_ipaddress_excluded ?? []).map((v) => resolveVip(v, i.interface)),
      track_interface: (i.track_interface ?? []).map((t) => (typeof t === 'string' ? { interface: t, weight: 0 } : { interface: t.interface, weight: t.weight ?? 0 })),
      track_script: (i.track_script ?? []).map((t) => {
        const script = typeof t === 'string' ? t : t.script;
        const weight = typeof t === 'string' || t.weight === undefined ? scriptWeight.get(script) ?? 0 : t.weight;
        return { script, weight };
      }),
      track_proxy: (i.track_proxy ?? []).map((t) => (typeof t === 'string' ? { frontend: t, weight: 0 } : { frontend: t.frontend, weight: t.weight ?? 0 })),
      dont_track_primary: i.dont_track_primary ?? false,
      skip_check_adv_addr: i.skip_check_adv_addr ?? global.vrrp_skip_check_adv_addr,
      garp,
      ...notifyOf(i),
      sync_group: syncOf.get(name),
    };
  });

  const vrrp_sync_groups: SyncGroup[] = Object.entries(raw.vrrp_sync_groups ?? {}).map(([name, g]) => ({ name, group: g.group, ...notifyOf(g) }));

  return {
    global, vrrp_scripts, vrrp_instances, vrrp_sync_groups,
    virtual_servers: (raw.virtual_servers ?? []).map((vs) => resolveVirtualServer(vs, raw)),
    l7: resolveL7(raw.l7),
  };
}
