/**
 * Rules the schema cannot express: cross-references, families, uniqueness and
 * the combinations keepalived would silently "fix". Runs on a structurally
 * valid raw config and its resolved form; paths point into the raw config.
 */
import type { RawConfig } from './schema.js';
import type { Config } from './model.js';
import type { ConfigPath, Diagnostic } from './diagnostics.js';
import { ipFamily, isLinkLocal6, isLoopbackEndpoint, parseEndpoint } from '../util/ip.js';
import { endpointKey } from './resolve.js';
import { suggest } from './validate.js';

const famName = (f: number) => (f === 6 ? 'IPv6' : 'IPv4');

export function checkSemantics(raw: RawConfig, cfg: Config): Diagnostic[] {
  const out: Diagnostic[] = [];
  const err = (path: ConfigPath, message: string) => out.push({ severity: 'error', path, message });
  const warn = (path: ConfigPath, message: string) => out.push({ severity: 'warning', path, message });

  // ---- VRRP scripts
  for (const s of cfg.vrrp_scripts) {
    if (s.timeout > s.interval && raw.vrrp_scripts?.[s.name]?.timeout !== undefined)
      warn(['vrrp_scripts', s.name, 'timeout'], `timeout ${s.timeout}s is longer than interval ${s.interval}s: runs will be skipped while one is still going`);
  }

  // ---- VRRP instances
  const scriptNames = cfg.vrrp_scripts.map((s) => s.name);
  const vridOwner = new Map<string, string>();
  const vipOwner = new Map<string, string>();
  for (const inst of cfg.vrrp_instances) {
    const base: ConfigPath = ['vrrp_instances', inst.name];
    const rawInst = raw.vrrp_instances![inst.name]!;

    inst.virtual_ipaddress.forEach((v, i) => {
      if (v.family !== inst.family)
        err([...base, 'virtual_ipaddress', i], `${famName(v.family)} address ${v.address} in an ${famName(inst.family)} instance (its first VIP sets the family); put it in its own instance or in virtual_ipaddress_excluded`);
      const k = `${v.address}/${v.dev}`;
      const other = vipOwner.get(k);
      if (other && other !== inst.name) err([...base, 'virtual_ipaddress', i], `${v.address} on ${v.dev} is already a VIP of instance ${other}`);
      vipOwner.set(k, inst.name);
      if (v.label && v.family === 6) err([...base, 'virtual_ipaddress', i, 'label'], 'address labels exist only for IPv4');
      if (v.label && !v.label.startsWith(`${v.dev}:`) && v.label !== v.dev)
        err([...base, 'virtual_ipaddress', i, 'label'], `label "${v.label}" must start with "${v.dev}:" (the kernel requires the device name as prefix)`);
    });

    if (inst.family === 6 && rawInst.version === 2)
      err([...base, 'version'], 'VRRPv2 is IPv4-only; IPv6 VIPs need version: 3');
    if (inst.version === 2 && !Number.isInteger(inst.advert_int))
      err([...base, 'advert_int'], `VRRPv2 advertises whole seconds (1-255), got ${inst.advert_int}; use version: 3 for sub-second adverts`);
    if (inst.version === 3) {
      if (inst.advert_int > 40.95) err([...base, 'advert_int'], `VRRPv3 allows at most 40.95 s (got ${inst.advert_int})`);
      else if (Math.abs(inst.advert_int * 100 - Math.round(inst.advert_int * 100)) > 1e-9)
        err([...base, 'advert_int'], `VRRPv3 counts in hundredths of a second; ${inst.advert_int} is not a multiple of 0.01`);
    }
    if (inst.priority === 255 && !inst.address_owner)
      err([...base, 'priority'], 'priority 255 is reserved for the address owner (RFC 5798 5.2.4): use 1-254, or set address_owner: true if this node\'s interface really owns every VIP');
    if (inst.address_owner && inst.priority !== 255)
      err([...base, 'address_owner'], `an address owner must have priority 255 (has ${inst.priority})`);
    if (inst.nopreempt && inst.state === 'MASTER')
      err([...base, 'nopreempt'], 'nopreempt needs state: BACKUP (a node that starts as MASTER preempts by definition)');
    if (inst.preempt_delay > 0 && inst.nopreempt)
      warn([...base, 'preempt_delay'], 'preempt_delay has no effect with nopreempt');
    if (inst.authentication) {
      if (inst.version === 3) err([...base, 'authentication'], 'VRRPv3 has no authentication (RFC 5798 removed it); remove it or use version: 2');
      if (inst.authentication.auth_type === 'AH')
        err([...base, 'authentication', 'auth_type'], 'AH authentication is not supported by lbd (RFC 3768 removed it and keepalived deprecates it); use auth_type: PASS, or no authentication');
    }
    for (const [key, addr] of [['mcast_src_ip', inst.mcast_src_ip], ['unicast_src_ip', inst.unicast_src_ip], ['mcast_dst_ip', rawInst.mcast_dst_ip]] as const) {
      if (addr && ipFamily(addr) !== inst.family) err([...base, key], `${addr} is ${famName(ipFamily(addr))} but the instance is ${famName(inst.family)}`);
    }
    const peers = new Set<string>();
    inst.unicast_peer.forEach((p, i) => {
      if (ipFamily(p) !== inst.family) err([...base, 'unicast_peer', i], `peer ${p} is ${famName(ipFamily(p))} but the instance is ${famName(inst.family)}`);
      if (peers.has(p)) err([...base, 'unicast_peer', i], `peer ${p} is listed twice`);
      if (p === inst.unicast_src_ip) err([...base, 'unicast_peer', i], `peer ${p} is this node's own unicast_src_ip`);
      peers.add(p);
    });
    if (rawInst.mcast_dst_ip && inst.unicast_peer.length) warn([...base, 'mcast_dst_ip'], 'ignored: the instance sends unicast to its peers');

    const vridKey = `${inst.interface}|${inst.family}|${inst.virtual_router_id}`;
    const dup = vridOwner.get(vridKey);
    if (dup) err([...base, 'virtual_router_id'], `VRID ${inst.virtual_router_id} is already used by instance ${dup} on ${inst.interface} (${famName(inst.family)}); each instance on an interface needs its own VRID`);
    else vridOwner.set(vridKey, inst.name);

    const seenTi = new Set<string>();
    inst.track_interface.forEach((t, i) => {
      if (seenTi.has(t.interface)) err([...base, 'track_interface', i], `interface ${t.interface} is tracked twice`);
      seenTi.add(t.interface);
    });
    const seenTs = new Set<string>();
    inst.track_script.forEach((t, i) => {
      const p: ConfigPath = [...base, 'track_script', i];
      if (!scriptNames.includes(t.script)) {
        const s = suggest(t.script, scriptNames);
        err(p, `script "${t.script}" is not defined in vrrp_scripts${s ? ` (did you mean "${s}"?)` : scriptNames.length ? `; defined: ${scriptNames.join(', ')}` : ''}`);
      }
      if (seenTs.has(t.script)) err(p, `script "${t.script}" is tracked twice`);
      seenTs.add(t.script);
    });
    const frontends = cfg.l7.frontends.map((f) => f.name);
    const seenTp = new Set<string>();
    inst.track_proxy.forEach((t, i) => {
      const p: ConfigPath = [...base, 'track_proxy', i];
      if (!frontends.includes(t.frontend)) {
        const s = suggest(t.frontend, frontends);
        err(p, `frontend "${t.frontend}" is not defined in l7.frontends${s ? ` (did you mean "${s}"?)` : frontends.length ? `; defined: ${frontends.join(', ')}` : ''}`);
      }
      if (seenTp.has(t.frontend)) err(p, `frontend "${t.frontend}" is tracked twice`);
      seenTp.add(t.frontend);
    });
    if (inst.smtp_alert && cfg.global.notification_email.length === 0)
      warn([...base, 'smtp_alert'], 'no global notification_email is set, so no alert can be sent');
  }

  // ---- sync groups
  const instNames = cfg.vrrp_instances.map((i) => i.name);
  const memberOf = new Map<string, string>();
  for (const g of cfg.vrrp_sync_groups) {
    g.group.forEach((m, i) => {
      const p: ConfigPath = ['vrrp_sync_groups', g.name, 'group', i];
      if (!instNames.includes(m)) {
        const s = suggest(m, instNames);
        err(p, `instance "${m}" is not defined in vrrp_instances${s ? ` (did you mean "${s}"?)` : ''}`);
      } else if (memberOf.has(m)) err(p, `instance "${m}" is already in sync group ${memberOf.get(m)}; an instance can be in one group only`);
      else memberOf.set(m, g.name);
    });
    if (g.group.length === 1) warn(['vrrp_sync_groups', g.name, 'group'], 'a sync group with one instance has no effect');
  }

  // ---- virtual servers
  const groups = raw.virtual_server_groups ?? {};
  const seenVs = new Map<string, number>();
  const seenEp = new Map<string, number>();
  const vsRaw = raw.virtual_servers ?? [];
  cfg.virtual_servers.forEach((vs, idx) => {
    const rv = vsRaw[idx]!;
    const base: ConfigPath = ['virtual_servers', idx];
    const forms = [rv.address !== undefined || rv.port !== undefined, rv.fwmark !== undefined, rv.group !== undefined].filter(Boolean).length;
    if (forms === 0) { err(base, 'a virtual server needs address and port, fwmark, or group'); return; }
    if (forms > 1) { err(base, 'use exactly one of address+port, fwmark or group'); return; }
    if (rv.address !== undefined && rv.port === undefined) err(base, 'missing required key "port" (address and port go together)');
    if (rv.port !== undefined && rv.address === undefined) err(base, 'missing required key "address" (address and port go together)');
    if (rv.port === 0 && rv.persistence_timeout === undefined) err([...base, 'port'], 'port 0 (all ports) requires persistence_timeout');
    if (rv.ip_family !== undefined && rv.fwmark === undefined && rv.group === undefined)
      err([...base, 'ip_family'], 'ip_family applies to fwmark services only (an address has its own family)');
    if (rv.protocol !== undefined && rv.fwmark !== undefined) warn([...base, 'protocol'], 'ignored: a fwmark service matches any protocol the mark rules select');
    if (rv.group !== undefined && !(rv.group in groups)) {
      const s = suggest(rv.group, Object.keys(groups));
      err([...base, 'group'], `virtual_server_group "${rv.group}" is not defined${s ? ` (did you mean "${s}"?)` : ''}`);
    }
    if (rv.group !== undefined) {
      (groups[rv.group] ?? []).forEach((e, i) => {
        if ('address' in e && e.last !== undefined) {
          const b = e.address.split(/[.:]/).pop()!;
          const first = ipFamily(e.address) === 4 ? Number(b) : parseInt(b || '0', 16);
          if (e.last < first) err(['virtual_server_groups', rv.group!, i, 'last'], `range end ${e.last} is below its start ${first}`);
          else if (ipFamily(e.address) === 4 && e.last > 255) err(['virtual_server_groups', rv.group!, i, 'last'], `range end ${e.last} is not an IPv4 octet (0-255)`);
        }
      });
    }

    const prev = seenVs.get(vs.name);
    if (prev !== undefined) err(rv.name ? [...base, 'name'] : base, `virtual server ${vs.name} is defined twice (also virtual_servers[${prev}])`);
    seenVs.set(vs.name, idx);
    for (const ep of vs.endpoints) {
      const k = ep.kind === 'fwmark' ? `fwmark ${ep.fwmark}/${famName(ep.family)}` : `${ep.address}:${ep.port}/${ep.protocol}`;
      const p = seenEp.get(k);
      if (p !== undefined && p !== idx) err(base, `${k} is already served by virtual_servers[${p}]`);
      seenEp.set(k, idx);
      if (ep.kind === 'addr' && ep.port === 0 && vs.persistence_timeout === undefined && rv.group)
        err(base, `group entry ${ep.address} port 0 requires persistence_timeout`);
    }

    if (rv.mark_rules && vs.endpoints.every((e) => e.kind !== 'fwmark'))
      err([...base, 'mark_rules'], 'mark_rules need a fwmark: the rules set the mark that the service matches');
    vs.mark_rules.forEach((m, i) => {
      if (m.family !== vs.family) err([...base, 'mark_rules', i, 'address'], `${m.address} is ${famName(m.family)} but the service is ${famName(vs.family)}`);
      if (m.ports.length === 0) warn([...base, 'mark_rules', i], 'no ports: every port of the address is marked');
    });
    if (rv.fwmark !== undefined && !rv.mark_rules)
      warn(base, `fwmark ${rv.fwmark}: no mark_rules, so lbd marks no packets; add mark_rules or mark them yourself`);

    if (vs.persistence_granularity !== undefined && vs.persistence_timeout === undefined)
      err([...base, 'persistence_granularity'], 'persistence_granularity needs persistence_timeout');
    const g = vs.persistence_granularity;
    if (g !== undefined && /^\d+$/.test(g) && (vs.family === 4 ? Number(g) > 32 : Number(g) < 1 || Number(g) > 128))
      err([...base, 'persistence_granularity'], `/${g} is not a prefix length for ${famName(vs.family)} (${vs.family === 4 ? '0-32' : '1-128'})`);
    if (g !== undefined && !/^\d+$/.test(g) && vs.family === 6)
      err([...base, 'persistence_granularity'], 'an IPv6 service takes a prefix length (1-128), not a netmask');
    const marks = vs.endpoints.filter((e) => e.kind === 'fwmark');
    if (vs.mark_rules.length && marks.length > 1 && marks[0]!.kind === 'fwmark')
      warn([...base, 'mark_rules'], `the rules set fwmark ${marks[0]!.fwmark}, the group's first; mark the group's other fwmarks yourself`);
    if ((vs.flags.sh_port || vs.flags.sh_fallback) && vs.lb_algo !== 'sh')
      err([...base, vs.flags.sh_port ? 'sh_port' : 'sh_fallback'], `only the sh scheduler has this flag (lb_algo is ${vs.lb_algo})`);
    if ((vs.flags.mh_port || vs.flags.mh_fallback) && vs.lb_algo !== 'mh')
      err([...base, vs.flags.mh_port ? 'mh_port' : 'mh_fallback'], `only the mh scheduler has this flag (lb_algo is ${vs.lb_algo})`);
    if (vs.flags.ops && vs.endpoints.some((e) => e.kind === 'addr' && e.protocol !== 'UDP'))
      err([...base, 'ops'], 'one-packet scheduling applies to UDP services only');

    const vsPort = vs.endpoints[0]?.kind === 'addr' ? vs.endpoints[0].port : 0;
    const seenRs = new Set<string>();
    let weightSum = 0;
    vs.real_servers.forEach((rs, i) => {
      const p: ConfigPath = [...base, 'real_servers', i];
      if (rs.family !== vs.family) err([...p, 'address'], `${rs.address} is ${famName(rs.family)} but the virtual server is ${famName(vs.family)}`);
      if (seenRs.has(rs.key)) err(p, `real server ${rs.key} is listed twice`);
      seenRs.add(rs.key);
      weightSum += rs.weight;
      if (rs.lb_kind !== 'NAT' && vs.endpoints.every((e) => e.kind === 'addr') && vsPort !== 0 && rs.port !== vsPort)
        err([...p, 'port'], `${rs.lb_kind} forwards packets unchanged, so the real server must listen on the virtual port ${vsPort} (got ${rs.port}); use lb_kind: NAT to change ports`);
      if (rs.port === 0 && vs.endpoints.every((e) => e.kind === 'addr') && rs.lb_kind === 'NAT' && vsPort !== 0)
        err([...p, 'port'], 'a NAT real server needs a port');
      const rawRs = rv.real_servers[i]!;
      rs.checks.forEach((c, j) => {
        const cp: ConfigPath = [...p, 'checks', j];
        const rc = rawRs.checks![j]!;
        if (c.connect_port === 0 && c.type !== 'MISC_CHECK') err(cp, 'no port to check: set connect_port (the real server has none)');
        if (c.bindto && ipFamily(c.bindto) !== ipFamily(c.connect_ip)) err([...cp, 'bindto'], `${c.bindto} and connect_ip ${c.connect_ip} are of different families`);
        if (c.bind_if && !isLinkLocal6(c.connect_ip))
          err([...cp, 'bind_if'], `bind_if names the interface of an IPv6 link-local connect_ip (fe80::/10); ${c.connect_ip} needs none (use bindto to choose the source address)`);
        if (c.type === 'HTTP_GET' || c.type === 'SSL_GET') {
          c.url.forEach((u, k) => u.status_code.forEach(([a, b]) => {
            if (a > b) err([...cp, 'url', k, 'status_code'], `range ${a}-${b} is empty`);
          }));
          if (c.type === 'HTTP_GET' && (c.tls_verify || c.enable_sni || c.sni_name))
            err([...cp, c.tls_verify ? 'tls_verify' : c.enable_sni ? 'enable_sni' : 'sni_name'], 'TLS options apply to SSL_GET only');
          c.url.forEach((u, k) => {
            if (u.regex) { try { new RegExp(u.regex); } catch (e) { err([...cp, 'url', k, 'regex'], `invalid regular expression: ${(e as Error).message}`); } }
          });
        }
        if ('misc_timeout' in rc && rc.misc_timeout !== undefined && c.delay_loop < rc.misc_timeout)
          warn([...cp, 'misc_timeout'], `misc_timeout ${rc.misc_timeout}s exceeds delay_loop ${c.delay_loop}s`);
      });
    });
    if (vs.sorry_server) {
      if (ipFamily(vs.sorry_server.address) !== vs.family)
        err([...base, 'sorry_server', 'address'], `${vs.sorry_server.address} is ${famName(ipFamily(vs.sorry_server.address))} but the virtual server is ${famName(vs.family)}`);
      if (vs.sorry_server.lb_kind !== 'NAT' && vsPort !== 0 && vs.sorry_server.port !== vsPort && vs.endpoints.every((e) => e.kind === 'addr'))
        err([...base, 'sorry_server', 'port'], `${vs.sorry_server.lb_kind} cannot change the port: the sorry server must listen on ${vsPort}`);
      if (seenRs.has(endpointKey(vs.sorry_server.address, vs.sorry_server.port))) err([...base, 'sorry_server'], 'the sorry server is also a real server');
    }
    if (vs.real_servers.length && vs.quorum > weightSum)
      warn([...base, 'quorum'], `quorum ${vs.quorum} exceeds the total weight ${weightSum} of all real servers: the service can never be up`);
    if (vs.real_servers.length === 0 && !vs.sorry_server)
      warn([...base, 'real_servers'], 'no real servers and no sorry_server: the service drops every connection');
  });

  // ---- layer 7
  checkL7(raw, cfg, err, warn);

  // ---- web admin
  const admin = cfg.global.admin;
  if (!admin.tls && admin.listen && !isLoopbackEndpoint(admin.listen))
    err(['global', 'admin', 'tls'], `plain HTTP is allowed only on a loopback address (listen is ${admin.listen}); remove tls: false to serve HTTPS`);
  if (Boolean(admin.tls_certificate) !== Boolean(admin.tls_key))
    err(['global', 'admin', admin.tls_certificate ? 'tls_key' : 'tls_certificate'], 'tls_certificate and tls_key go together');

  return out;
}

type Report = (path: ConfigPath, message: string) => void;

/** Proxy names lbd uses for itself (the stats listener, Nginx route variables). */
const L7_RESERVED = /^lbd_/i;

function checkL7(raw: RawConfig, cfg: Config, err: Report, warn: Report): void {
  const backendNames = cfg.l7.backends.map((b) => b.name);
  const fePath = (f: string): ConfigPath => ['l7', 'frontends', f];
  const bePath = (b: string): ConfigPath => ['l7', 'backends', b];
  const needBackend = (path: ConfigPath, name: string) => {
    if (backendNames.includes(name)) return;
    const s = suggest(name, backendNames);
    err(path, `backend "${name}" is not defined in l7.backends${s ? ` (did you mean "${s}"?)` : ''}`);
  };
  const checkName = (path: ConfigPath, name: string, what: string) => {
    if (name.includes(':')) err(path, `${what} name "${name}" must not contain ":" (Nginx would read it as a port)`);
    if (L7_RESERVED.test(name)) err(path, `${what} name "${name}" is reserved: names starting with "lbd_" are lbd's own`);
  };

  for (const f of cfg.l7.frontends) {
    const base = fePath(f.name);
    checkName(base, f.name, 'frontend');
    needBackend([...base, 'default_backend'], f.default_backend);
    f.rules.forEach((r, i) => {
      const p: ConfigPath = [...base, 'rules', i];
      needBackend([...p, 'backend'], r.backend);
      if (r.host.length === 0 && r.path_prefix === undefined) err(p, 'a rule needs host or path_prefix (or both)');
      if (f.mode === 'tcp') err(p, 'host/path rules need mode: http (a tcp frontend does not read requests)');
    });
    f.bind.forEach((b, i) => {
      const ep = parseEndpoint(b);
      if (ep && ep.host !== '*' && !ipFamily(ep.host)) err([...base, 'bind', i], `bind to an address or *, not the host name "${ep.host}"`);
    });
    const rf = raw.l7!.frontends![f.name]!;
    if (f.mode === 'tcp' && rf.forwardfor !== undefined) err([...base, 'forwardfor'], 'X-Forwarded-For needs mode: http');
    if (f.mode === 'tcp' && rf.probe && (rf.probe.path !== undefined || rf.probe.host !== undefined || rf.probe.status !== undefined))
      err([...base, 'probe'], 'path, host and status probe an HTTP frontend; a tcp frontend is probed by connecting (tls: true for a TLS handshake)');
    if (f.mode === 'http' && rf.probe?.tls !== undefined) err([...base, 'probe', 'tls'], 'tls applies to tcp frontends; an http frontend is probed with a request');
    if (f.engine === 'haproxy' && f.tls?.key !== undefined && f.tls.key !== `${f.tls.certificate}.key`)
      err([...base, 'tls', 'key'], `HAProxy reads the key from the certificate file or from "${f.tls.certificate}.key"; put it there or into the certificate file`);
    f.probe.status.forEach(([a, b]) => { if (a > b) err([...base, 'probe', 'status'], `range ${a}-${b} is empty`); });
    if (f.engine === 'nginx' && f.maxconn !== undefined) warn([...base, 'maxconn'], 'ignored by Nginx (HAProxy only); limit servers with their maxconn instead');
  }

  // Listening sockets: one owner per address:port, and a wildcard owns the whole port.
  const binds: { ep: { host: string; port: number }; owner: string; path: ConfigPath }[] = [];
  for (const f of cfg.l7.frontends) f.bind.forEach((b, i) => { const ep = parseEndpoint(b); if (ep) binds.push({ ep, owner: `frontend ${f.name}`, path: [...fePath(f.name), 'bind', i] }); });
  const st = cfg.l7.stats && parseEndpoint(cfg.l7.stats.listen);
  if (st) binds.push({ ep: st, owner: 'the stats page', path: ['l7', 'stats', 'listen'] });
  const wild = (h: string) => h === '*' || h === '0.0.0.0' || h === '::';
  binds.forEach((b, i) => {
    const other = binds.slice(0, i).find((o) => o.ep.port === b.ep.port && (o.ep.host === b.ep.host || wild(o.ep.host) || wild(b.ep.host)));
    if (other) err(b.path, `${b.ep.host.includes(':') ? `[${b.ep.host}]` : b.ep.host}:${b.ep.port} is already bound by ${other.owner}`);
  });
  if (cfg.l7.stats && !cfg.l7.frontends.some((f) => f.engine === 'haproxy'))
    warn(['l7', 'stats'], 'the stats page is served by HAProxy, and no frontend uses the haproxy engine');
  if (cfg.l7.stats && (cfg.l7.stats.user === undefined) !== (cfg.l7.stats.password === undefined))
    err(['l7', 'stats', cfg.l7.stats.user === undefined ? 'password' : 'user'], 'user and password go together');

  for (const b of cfg.l7.backends) {
    const base = bePath(b.name);
    checkName(base, b.name, 'backend');
    const users = cfg.l7.frontends.filter((f) => f.default_backend === b.name || f.rules.some((r) => r.backend === b.name));
    if (users.length === 0) warn(base, 'no frontend uses this backend, so it is not rendered');
    const modes = [...new Set(users.map((f) => f.mode))];
    if (modes.length > 1) err(base, `used by http and tcp frontends (${users.map((f) => `${f.name}: ${f.mode}`).join(', ')}); a backend has one mode`);

    const names = new Set<string>();
    b.servers.forEach((s, i) => {
      if (names.has(s.name)) err([...base, 'servers', i, 'name'], `server name "${s.name}" is used twice in this backend`);
      names.add(s.name);
    });
    if (b.servers.every((s) => s.backup)) warn([...base, 'servers'], 'every server is a backup: there is no primary server');
    if (b.balance === 'first' && b.servers.some((s) => s.maxconn === undefined))
      warn([...base, 'balance'], 'balance first fills each server up to its maxconn before the next; set maxconn on the servers');

    const rc = raw.l7!.backends![b.name]!.check;
    if (b.check) {
      if (b.check.type === 'tcp')
        for (const k of ['path', 'host', 'status'] as const) if (rc?.[k] !== undefined) err([...base, 'check', k], `${k} applies to http checks`);
      b.check.status.forEach(([x, y]) => { if (x > y) err([...base, 'check', 'status'], `range ${x}-${y} is empty`); });
    }
    if (b.stick?.type === 'cookie' && b.mode !== 'http') err([...base, 'stick', 'type'], 'cookie stickiness needs mode: http');
    if (b.stick?.type === 'ssl_session_id') {
      if (b.mode !== 'tcp') err([...base, 'stick', 'type'], 'ssl_session_id stickiness reads TLS hellos in mode: tcp (TLS pass-through)');
      const terminating = users.filter((f) => f.tls);
      if (terminating.length) err([...base, 'stick', 'type'], `ssl_session_id stickiness needs TLS passed through, but frontend ${terminating[0]!.name} terminates TLS`);
    }
    if (b.stick?.type !== 'cookie' && raw.l7!.backends![b.name]!.stick?.cookie !== undefined) err([...base, 'stick', 'cookie'], 'cookie applies to type: cookie');

    if (b.engines.includes('nginx')) {
      const why = 'not available in Nginx open source';
      if (b.balance === 'first') err([...base, 'balance'], `balance first is ${why}; use roundrobin, leastconn, source or random`);
      if (b.stick && b.stick.type !== 'source') err([...base, 'stick', 'type'], `${b.stick.type} stickiness is ${why} (source is: ip_hash/hash)`);
      const hashed = b.balance === 'source' || b.balance === 'random' || b.stick?.type === 'source';
      if (hashed) b.servers.forEach((s, i) => { if (s.backup) err([...base, 'servers', i, 'backup'], 'Nginx cannot combine backup servers with source or random balancing'); });
      if (b.check) warn([...base, 'check'], 'Nginx frontends use this backend: Nginx open source does no active checks; it takes a server out after max_fails failed requests within fail_timeout');
    }
  }
}
