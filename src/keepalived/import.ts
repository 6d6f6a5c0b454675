/**
 * keepalived.conf → appliance config (the raw model of schema.ts).
 *
 * A keyword table per block, one handler per keyword, as keepalived itself is
 * built. Handlers only convert syntax; ranges, formats and cross-references are
 * checked by the same validator as YAML, and its findings are placed back at
 * the keepalived line through the origin map. Unknown directives are warnings;
 * known directives that lb-appliance does not implement are warnings that say
 * so; anything keepalived would silently repair is an error.
 */
import type { Diagnostic, ConfigPath } from '../config/diagnostics.js';
import type { RawConfig } from '../config/schema.js';
import { parseKeepalived, type Statement } from './parse.js';

type Obj = Record<string, unknown>;
type Handler = (st: Statement, target: Obj, base: ConfigPath, imp: Importer) => void;

const ROOT_KEYWORDS = [
  'global_defs', 'vrrp_script', 'vrrp_instance', 'vrrp_sync_group', 'virtual_server', 'virtual_server_group', 'include',
  'static_ipaddress', 'static_routes', 'static_rules', 'linkbeat_interfaces', 'vrrp_track_process', 'track_file', 'vrrp_track_file',
  'garp_group', 'track_group', 'net_namespace', 'net_namespace_ipvs', 'SSL', 'bfd_instance', 'instance', 'use_pid_dir',
  'linkbeat_use_polling', 'interface_up_down_delays', 'child_wait_time', 'namespace_with_ipsets',
];

/** keepalived.conf or YAML? keepalived's first statement is a bare keyword (no `key:`), usually opening a block. */
export function looksLikeKeepalived(text: string): boolean {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    if (line === '---' || line.startsWith('{') || line.startsWith('[') || line.startsWith('%')) return false;
    if (line.startsWith('@') || /^\$\w+\s*=/.test(line)) return true;
    const first = line.split(/[\s{]/)[0]!;
    if (first.endsWith(':') || /^[\w"'-]+\s*:(\s|$)/.test(line)) return false;
    return ROOT_KEYWORDS.includes(first) || /\{\s*$/.test(line);
  }
  return false;
}

class Importer {
  readonly diagnostics: Diagnostic[] = [];
  readonly origins = new Map<string, { file: string; line: number }>();
  readonly raw: Obj = {};

  error(st: { file: string; line: number }, message: string): void {
    this.diagnostics.push({ severity: 'error', file: st.file, line: st.line, message });
  }
  warn(st: { file: string; line: number }, message: string): void {
    this.diagnostics.push({ severity: 'warning', file: st.file, line: st.line, message });
  }
  origin(path: ConfigPath, st: Statement): void {
    this.origins.set(JSON.stringify(path), { file: st.file, line: st.line });
  }
  /** Set target[key] once; a second setting of a single-valued keyword is an error, not "last one wins". */
  set(target: Obj, key: string, value: unknown, st: Statement, base: ConfigPath): void {
    if (key in target) {
      const prev = this.origins.get(JSON.stringify([...base, key]));
      this.error(st, `${st.keyword} is already set${prev ? ` at ${prev.file}:${prev.line}` : ''}`);
      return;
    }
    target[key] = value;
    this.origin([...base, key], st);
  }
  /** Place a validator finding (by config path) at the keepalived line that produced it. */
  place(d: Diagnostic): Diagnostic {
    if (!d.path) return d;
    for (let n = d.path.length; n >= 0; n--) {
      const o = this.origins.get(JSON.stringify(d.path.slice(0, n)));
      if (o) return { ...d, file: o.file, line: o.line };
    }
    return d;
  }
}

// ---------------------------------------------------------------- value readers

function arity(st: Statement, imp: Importer, min: number, max = min): boolean {
  if (st.args.length < min) { imp.error(st, `${st.keyword} needs ${min === 1 ? 'a value' : `${min} values`}`); return false; }
  if (st.args.length > max) {
    imp.error(st, `${st.keyword} takes ${max === 0 ? 'no value' : max === 1 ? 'one value' : `at most ${max} values`}; unexpected "${st.args.slice(max).join(' ')}"${st.block ? '' : ' (put each keyword on its own line)'}`);
    return false;
  }
  return true;
}

function intArg(st: Statement, imp: Importer, s = st.args[0]): number | undefined {
  if (s === undefined || !/^[-+]?\d+$/.test(s)) { imp.error(st, `${st.keyword}: "${s ?? ''}" is not a whole number`); return undefined; }
  return Number(s);
}

function numArg(st: Statement, imp: Importer, s = st.args[0]): number | undefined {
  if (s === undefined || !/^[-+]?(\d+\.?\d*|\.\d+)$/.test(s)) { imp.error(st, `${st.keyword}: "${s ?? ''}" is not a number`); return undefined; }
  return Number(s);
}

function boolArg(st: Statement, imp: Importer): boolean | undefined {
  if (st.args.length === 0) return true;
  const v = st.args[0]!.toLowerCase();
  if (['true', 'on', 'yes'].includes(v) && st.args.length === 1) return true;
  if (['false', 'off', 'no'].includes(v) && st.args.length === 1) return false;
  imp.error(st, `${st.keyword}: expected no value or true/false, got "${st.args.join(' ')}"`);
  return undefined;
}

/** Quote a word for a command line only when it needs it (our runner splits like a shell). */
function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/** keepalived passes a quoted script line as one word, or the words of an unquoted one: both are a command line. */
function commandArg(st: Statement, imp: Importer): string | undefined {
  if (st.args.length === 0) { imp.error(st, `${st.keyword} needs a command`); return undefined; }
  return st.args.length === 1 ? st.args[0]! : st.args.map(shellWord).join(' ');
}

// handler factories
const str = (key = ''): Handler => (st, t, b, imp) => { if (arity(st, imp, 1)) imp.set(t, key || st.keyword, st.args[0], st, b); };
const int = (key = ''): Handler => (st, t, b, imp) => { if (arity(st, imp, 1)) { const v = intArg(st, imp); if (v !== undefined) imp.set(t, key || st.keyword, v, st, b); } };
const num = (key = ''): Handler => (st, t, b, imp) => { if (arity(st, imp, 1)) { const v = numArg(st, imp); if (v !== undefined) imp.set(t, key || st.keyword, v, st, b); } };
const flag = (key = ''): Handler => (st, t, b, imp) => { if (arity(st, imp, 0, 1)) { const v = boolArg(st, imp); if (v !== undefined) imp.set(t, key || st.keyword, v, st, b); } };
const cmd = (key = ''): Handler => (st, t, b, imp) => { const v = commandArg(st, imp); if (v !== undefined) imp.set(t, key || st.keyword, v, st, b); };
const upper = (key = ''): Handler => (st, t, b, imp) => { if (arity(st, imp, 1)) imp.set(t, key || st.keyword, st.args[0]!.toUpperCase(), st, b); };
const ignored = (why: string): Handler => (st, _t, _b, imp) => imp.warn(st, `${st.keyword}: ${why} (ignored)`);
const unsupported: Handler = (st, _t, _b, imp) => imp.warn(st, `${st.keyword} is not supported by lb-appliance (ignored)`);

/** Run the handlers of a table over a block; unknown keywords are warnings with file:line. */
function runBlock(block: Statement[] | undefined, table: Record<string, Handler>, target: Obj, base: ConfigPath, imp: Importer, where: string): void {
  for (const st of block ?? []) {
    const h = table[st.keyword];
    if (h) h(st, target, base, imp);
    else imp.warn(st, `unknown directive "${st.keyword}" in ${where} (ignored)`);
  }
}

function needBlock(st: Statement, imp: Importer): boolean {
  if (!st.block) { imp.error(st, `${st.keyword} needs a { ... } block`); return false; }
  return true;
}

/** Collect the keywords of a value block (`notification_email { a@b c@d }`, `unicast_peer { ... }`) as a list. */
function valueList(st: Statement, imp: Importer, maxArgs = 0): Statement[] {
  if (!needBlock(st, imp)) return [];
  for (const item of st.block!) {
    if (item.block) imp.error(item, `unexpected block inside ${st.keyword}`);
    else if (item.args.length > maxArgs) imp.error(item, `unexpected "${item.args.slice(maxArgs).join(' ')}" after ${item.keyword} in ${st.keyword}`);
  }
  return st.block!.filter((i) => !i.block);
}

// ---------------------------------------------------------------- global_defs

const globalTable: Record<string, Handler> = {
  router_id: str(),
  lvs_id: str('router_id'),
  notification_email: (st, t, b, imp) => {
    const list = valueList(st, imp).map((i) => i.keyword);
    imp.set(t, 'notification_email', list, st, b);
  },
  notification_email_from: str(),
  smtp_server: (st, t, b, imp) => {
    if (!arity(st, imp, 1, 2)) return;
    imp.set(t, 'smtp_server', st.args[0], st, b);
    if (st.args[1] !== undefined) { const p = intArg(st, imp, st.args[1]); if (p !== undefined) imp.set(t, 'smtp_port', p, st, b); }
  },
  smtp_helo_name: str(),
  smtp_connect_timeout: num(),
  smtp_alert: ignored('set smtp_alert per instance or virtual server'),
  smtp_alert_vrrp: ignored('set smtp_alert per VRRP instance'),
  smtp_alert_checker: ignored('set smtp_alert per virtual server'),
  vrrp_mcast_group4: str(),
  vrrp_mcast_group6: str(),
  vrrp_skip_check_adv_addr: flag(),
  vrrp_version: int(),
  vrrp_garp_master_delay: num(),
  vrrp_garp_master_repeat: int(),
  vrrp_garp_master_refresh: num(),
  vrrp_garp_master_refresh_repeat: int(),
  vrrp_garp_interval: num(),
  vrrp_gna_interval: num(),
  lvs_timeouts: (st, t, b, imp) => {
    const out: Obj = {};
    for (let i = 0; i < st.args.length; i += 2) {
      const k = st.args[i]!;
      if (!['tcp', 'tcpfin', 'udp'].includes(k)) { imp.error(st, `lvs_timeouts: unknown timeout "${k}" (tcp, tcpfin, udp)`); return; }
      const v = intArg(st, imp, st.args[i + 1]);
      if (v === undefined) return;
      out[k] = v;
    }
    imp.set(t, 'lvs_timeouts', out, st, b);
  },
  enable_script_security: ignored('lbd runs scripts as the configured user only'),
  script_user: unsupported,
  vrrp_strict: ignored('lbd always follows the RFC receive checks'),
  vrrp_iptables: ignored('lbd manages its own nftables table'),
  nftables: ignored('lbd manages its own nftables table'),
  vrrp_check_unicast_src: unsupported,
  vrrp_priority: unsupported, checker_priority: unsupported, bfd_priority: unsupported,
  vrrp_no_swap: unsupported, checker_no_swap: unsupported,
  vrrp_rt_priority: unsupported, checker_rt_priority: unsupported,
  lvs_sync_daemon: unsupported, lvs_flush: unsupported, lvs_flush_onstop: unsupported, lvs_flush_on_stop: unsupported,
  enable_traps: unsupported, enable_snmp_vrrp: unsupported, enable_snmp_checker: unsupported, enable_snmp_rfc: unsupported,
  enable_snmp_rfcv2: unsupported, enable_snmp_rfcv3: unsupported, enable_snmp_keepalived: unsupported, snmp_socket: unsupported,
  enable_dbus: unsupported, dynamic_interfaces: unsupported, max_auto_priority: unsupported, vrrp_startup_delay: unsupported,
  notify_fifo: unsupported, notify_fifo_script: unsupported, vrrp_notify_fifo: unsupported, lvs_notify_fifo: unsupported,
  vrrp_min_garp: unsupported, vrrp_lower_prio_no_advert: unsupported, vrrp_higher_prio_send_advert: unsupported,
  checker_log_all_failures: unsupported, no_email_faults: unsupported, default_interface: unsupported,
  startup_script: unsupported, shutdown_script: unsupported, vrrp_garp_lower_prio_delay: unsupported, vrrp_garp_lower_prio_repeat: unsupported,
};

// ---------------------------------------------------------------- vrrp_script

const scriptTable: Record<string, Handler> = {
  script: cmd(),
  interval: num(),
  timeout: num(),
  weight: (st, t, b, imp) => {
    if (!arity(st, imp, 1, 2)) return;
    if (st.args[1] !== undefined) {
      imp.error(st, st.args[1] === 'reverse' ? 'weight ... reverse is not supported: use a negative weight instead' : `unknown weight option "${st.args[1]}"`);
      return;
    }
    const v = intArg(st, imp);
    if (v !== undefined) imp.set(t, 'weight', v, st, b);
  },
  rise: int(),
  fall: int(),
  user: (st, t, b, imp) => { if (arity(st, imp, 1, 2)) imp.set(t, 'user', st.args.join(':'), st, b); },
  init_fail: flag(),
};

// ---------------------------------------------------------------- vrrp_instance

/** `ADDR[/PREFIX] [brd X] [dev X] [scope X] [label X] [no_track]` (ip-address syntax). */
function vipOf(item: Statement, imp: Importer): unknown {
  const words = [item.keyword, ...item.args];
  const vip: Obj = { address: words[0] };
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    const next = () => {
      const v = words[++i];
      if (v === undefined) imp.error(item, `"${w}" needs a value`);
      return v;
    };
    switch (w) {
      case 'dev': vip.dev = next(); break;
      case 'label': vip.label = next(); break;
      case 'brd': case 'broadcast': vip.broadcast = next(); break;
      case 'scope': vip.scope = next(); break;
      case 'no_track': vip.no_track = true; break;
      default:
        imp.error(item, `virtual_ipaddress: unsupported option "${w}" (supported: dev, label, brd, scope, no_track)`);
        return undefined;
    }
  }
  return Object.keys(vip).length === 1 ? vip.address : vip;
}

const vipList = (key: string): Handler => (st, t, b, imp) => {
  if (!needBlock(st, imp)) return;
  const list: unknown[] = [];
  st.block!.forEach((item) => {
    if (item.block) { imp.error(item, `unexpected block inside ${st.keyword}`); return; }
    const v = vipOf(item, imp);
    if (v !== undefined) { imp.origin([...b, key, list.length], item); list.push(v); }
  });
  imp.set(t, key, list, st, b);
};

const notifyHandlers: Record<string, Handler> = {
  notify_master: cmd(), notify_backup: cmd(), notify_fault: cmd(), notify_stop: cmd(), notify: cmd(),
  smtp_alert: flag(),
};

const instanceTable: Record<string, Handler> = {
  state: upper(),
  interface: str(),
  virtual_router_id: int(),
  priority: int(),
  advert_int: num(),
  version: int(),
  nopreempt: (st, t, b, imp) => { if (arity(st, imp, 0)) imp.set(t, 'nopreempt', true, st, b); },
  preempt: (st, _t, _b, imp) => { arity(st, imp, 0); },
  preempt_delay: num(),
  authentication: (st, t, b, imp) => {
    if (!needBlock(st, imp)) return;
    const auth: Obj = {};
    const p = [...b, 'authentication'];
    runBlock(st.block, {
      auth_type: upper(),
      auth_pass: (s, tt, bb, i) => {
        if (!arity(s, i, 1)) return;
        if (s.args[0]!.length > 8) { i.error(s, `auth_pass is ${s.args[0]!.length} characters; VRRPv2 carries at most 8 (keepalived would silently cut it to 8)`); return; }
        i.set(tt, 'auth_pass', s.args[0], s, bb);
      },
    }, auth, p, imp, 'authentication');
    imp.set(t, 'authentication', auth, st, b);
  },
  mcast_src_ip: str(),
  mcast_dst_ip: str(),
  unicast_src_ip: str(),
  unicast_peer: (st, t, b, imp) => {
    const items = valueList(st, imp, 2);
    items.forEach((i, n) => {
      imp.origin([...b, 'unicast_peer', n], i);
      if (i.args.length) imp.warn(i, `unicast_peer option "${i.args.join(' ')}" is not supported (ignored)`);
    });
    imp.set(t, 'unicast_peer', items.map((i) => i.keyword), st, b);
  },
  virtual_ipaddress: vipList('virtual_ipaddress'),
  virtual_ipaddress_excluded: vipList('virtual_ipaddress_excluded'),
  track_interface: (st, t, b, imp) => {
    const list: unknown[] = [];
    for (const i of valueList(st, imp, 2)) {
      imp.origin([...b, 'track_interface', list.length], i);
      if (i.args.length === 0) list.push(i.keyword);
      else if (i.args[0] === 'weight' && i.args.length === 2) { const w = intArg(i, imp, i.args[1]); if (w !== undefined) list.push({ interface: i.keyword, weight: w }); }
      else imp.error(i, `track_interface: expected "IFNAME [weight N]", got "${[i.keyword, ...i.args].join(' ')}"`);
    }
    imp.set(t, 'track_interface', list, st, b);
  },
  track_script: (st, t, b, imp) => {
    const list: unknown[] = [];
    for (const i of valueList(st, imp, 3)) {
      imp.origin([...b, 'track_script', list.length], i);
      if (i.args.length === 0) list.push(i.keyword);
      else if (i.args[0] === 'weight' && i.args.length === 2) { const w = intArg(i, imp, i.args[1]); if (w !== undefined) list.push({ script: i.keyword, weight: w }); }
      else if (i.args[0] === 'weight' && i.args[2] === 'reverse') imp.error(i, 'weight ... reverse is not supported: use a negative weight instead');
      else imp.error(i, `track_script: expected "SCRIPT [weight N]", got "${[i.keyword, ...i.args].join(' ')}"`);
    }
    imp.set(t, 'track_script', list, st, b);
  },
  dont_track_primary: flag(),
  skip_check_adv_addr: flag(),
  garp_master_delay: num(),
  garp_master_repeat: int(),
  garp_master_refresh: num(),
  garp_master_refresh_repeat: int(),
  ...notifyHandlers,
  notify_deleted: unsupported,
  notify_master_rx_lower_pri: unsupported,
  use_vmac: unsupported, vmac_xmit_base: unsupported, use_ipvlan: unsupported, native_ipv6: unsupported,
  accept: ignored('lbd does not filter traffic to VIPs'), no_accept: ignored('lbd does not filter traffic to VIPs'),
  strict_mode: ignored('lbd always follows the RFC receive checks'),
  debug: unsupported, lvs_sync_daemon_interface: unsupported, unicast_ttl: unsupported, check_unicast_src: unsupported,
  track_file: unsupported, track_process: unsupported, track_bfd: unsupported, track_src_ip: unsupported,
  virtual_routes: ignored('lb-appliance does not install VRRP routes; add them outside lbd'),
  virtual_rules: ignored('lb-appliance does not install VRRP rules; add them outside lbd'),
  promote_secondaries: unsupported, linkbeat_use_polling: unsupported, lower_prio_no_advert: unsupported,
  higher_prio_send_advert: unsupported, kernel_rx_buf_size: unsupported, garp_lower_prio_delay: unsupported,
  garp_lower_prio_repeat: unsupported, down_timer_adverts: unsupported, owner_ignore_adverts: unsupported,
  unicast_fault_no_peer: unsupported, old_unicast_checksum: unsupported, v3_checksum_as_v2: unsupported, vrf: unsupported,
  notify_priority_changes: unsupported,
};

const syncGroupTable: Record<string, Handler> = {
  group: (st, t, b, imp) => {
    const items = valueList(st, imp);
    items.forEach((i, n) => imp.origin([...b, 'group', n], i));
    imp.set(t, 'group', items.map((i) => i.keyword), st, b);
  },
  ...notifyHandlers,
  global_tracking: ignored('deprecated in keepalived'),
  sync_group_tracking_weight: unsupported,
  track_interface: unsupported, track_script: unsupported, track_file: unsupported, track_process: unsupported, track_bfd: unsupported,
  notify_priority_changes: unsupported,
};

// ---------------------------------------------------------------- virtual_server and checkers

const checkCommon: Record<string, Handler> = {
  connect_ip: str(), connect_port: int(), bindto: str(), bind_port: int(), bind_if: str(),
  connect_timeout: num(), retry: int(), delay_before_retry: num(), delay_loop: num(), warmup: num(), alpha: flag(),
  nb_get_retry: (st, t, b, imp) => { imp.warn(st, 'nb_get_retry is deprecated: written as retry'); int('retry')(st, t, b, imp); },
  fwmark: unsupported, log_all_failures: unsupported,
};

const urlTable: Record<string, Handler> = {
  path: str(),
  digest: str(),
  status_code: (st, t, b, imp) => {
    if (!arity(st, imp, 1, 64)) return;
    const codes = st.args.map((a) => (/^\d+$/.test(a) ? Number(a) : a));
    imp.set(t, 'status_code', codes.length === 1 ? codes[0] : codes, st, b);
  },
  virtualhost: str(),
  regex: str(),
  regex_no_match: flag(),
  regex_options: unsupported, regex_min_offset: unsupported, regex_max_offset: unsupported, regex_stack: unsupported,
  tls_compliant: unsupported,
};

const httpTable: Record<string, Handler> = {
  ...checkCommon,
  virtualhost: str(),
  http_protocol: str(),
  enable_sni: flag(),
  sni_name: str(),
  fast_recovery: unsupported,
  tls_compliant: unsupported,
  url: (st, t, b, imp) => {
    if (!needBlock(st, imp)) return;
    const list = (t.url ??= []) as Obj[];
    const u: Obj = {};
    const p = [...b, 'url', list.length];
    imp.origin(p, st);
    runBlock(st.block, urlTable, u, p, imp, 'url');
    if (u.path === undefined) { imp.error(st, 'url block has no path (keepalived would drop it)'); return; }
    list.push(u);
  },
};

const miscTable: Record<string, Handler> = {
  ...checkCommon,
  misc_path: cmd(),
  misc_timeout: num(),
  misc_dynamic: flag(),
  user: (st, t, b, imp) => { if (arity(st, imp, 1, 2)) imp.set(t, 'user', st.args.join(':'), st, b); },
};

const checker = (type: string, table: Record<string, Handler>): Handler => (st, t, b, imp) => {
  if (!needBlock(st, imp)) return;
  const list = (t.checks ??= []) as Obj[];
  const c: Obj = { type };
  const p = [...b, 'checks', list.length];
  imp.origin(p, st);
  runBlock(st.block, table, c, p, imp, type);
  if ((type === 'HTTP_GET' || type === 'SSL_GET') && !c.url) { imp.error(st, `${type} has no url block (keepalived would ignore the checker)`); return; }
  if (type === 'MISC_CHECK' && !c.misc_path) { imp.error(st, 'MISC_CHECK has no misc_path'); return; }
  list.push(c);
};

const unsupportedChecker: Handler = (st, _t, _b, imp) =>
  imp.error(st, `${st.keyword} is not supported by lb-appliance; without it this real server would have no health check (use HTTP_GET, SSL_GET, TCP_CHECK or MISC_CHECK)`);

const rsTuning: Record<string, Handler> = {
  weight: int(),
  inhibit_on_failure: flag(),
  notify_up: cmd(), notify_down: cmd(),
  uthreshold: int(), lthreshold: int(),
  lvs_method: upper('lb_kind'), lb_kind: upper('lb_kind'),
  alpha: flag(), retry: int(), delay_before_retry: num(), connect_timeout: num(), delay_loop: num(), warmup: num(),
  virtualhost: str(),
  smtp_alert: flag(),
  snmp_name: unsupported,
};

const realServerTable: Record<string, Handler> = {
  ...rsTuning,
  HTTP_GET: checker('HTTP_GET', httpTable),
  SSL_GET: checker('SSL_GET', httpTable),
  TCP_CHECK: checker('TCP_CHECK', checkCommon),
  MISC_CHECK: checker('MISC_CHECK', miscTable),
  SMTP_CHECK: unsupportedChecker, DNS_CHECK: unsupportedChecker, BFD_CHECK: unsupportedChecker, FILE_CHECK: unsupportedChecker,
  PING_CHECK: unsupportedChecker, UDP_CHECK: unsupportedChecker,
};

/** `real_server` and `sorry_server` take ADDRESS PORT (PORT may be omitted for fwmark services). */
function addrPort(st: Statement, imp: Importer): Obj | undefined {
  if (!arity(st, imp, 1, 2)) return undefined;
  const o: Obj = { address: st.args[0] };
  if (st.args[1] !== undefined) { const p = intArg(st, imp, st.args[1]); if (p === undefined) return undefined; o.port = p; }
  return o;
}

const virtualServerTable: Record<string, Handler> = {
  ...rsTuning,
  delay_loop: num(),
  lb_algo: str('lb_algo'), lvs_sched: str('lb_algo'),
  lb_kind: upper('lb_kind'), lvs_method: upper('lb_kind'),
  persistence_timeout: int(),
  persistence_granularity: str(),
  persistence_engine: unsupported,
  protocol: upper(),
  ip_family: str(),
  hashed: flag(), ops: flag(),
  'sh-port': flag('sh_port'), 'sh-fallback': flag('sh_fallback'), 'mh-port': flag('mh_port'), 'mh-fallback': flag('mh_fallback'),
  'flag-1': unsupported, 'flag-2': unsupported, 'flag-3': unsupported,
  ha_suspend: unsupported,
  omega: flag(),
  quorum: int(), hysteresis: int(), quorum_up: cmd(), quorum_down: cmd(),
  sorry_server: (st, t, b, imp) => { const o = addrPort(st, imp); if (o) imp.set(t, 'sorry_server', o, st, b); },
  sorry_server_inhibit: flag(),
  sorry_server_lvs_method: (st, t, _b, imp) => {
    if (!arity(st, imp, 1)) return;
    if (!t.sorry_server) { imp.error(st, 'sorry_server_lvs_method before sorry_server'); return; }
    (t.sorry_server as Obj).lb_kind = st.args[0]!.toUpperCase();
  },
  real_server: (st, t, b, imp) => {
    const list = t.real_servers as Obj[];
    const rs = addrPort(st, imp);
    if (!rs) return;
    const p = [...b, 'real_servers', list.length];
    imp.origin(p, st);
    runBlock(st.block, realServerTable, rs, p, imp, 'real_server');
    list.push(rs);
  },
};

// ---------------------------------------------------------------- root

const rootTable: Record<string, Handler> = {
  global_defs: (st, _t, _b, imp) => {
    if (!needBlock(st, imp)) return;
    const g = (imp.raw.global ??= {}) as Obj;
    imp.origin(['global'], st);
    runBlock(st.block, globalTable, g, ['global'], imp, 'global_defs');
  },
  vrrp_script: (st, _t, _b, imp) => named(st, imp, 'vrrp_scripts', scriptTable, 'vrrp_script'),
  vrrp_instance: (st, _t, _b, imp) => named(st, imp, 'vrrp_instances', instanceTable, 'vrrp_instance'),
  vrrp_sync_group: (st, _t, _b, imp) => named(st, imp, 'vrrp_sync_groups', syncGroupTable, 'vrrp_sync_group'),
  virtual_server_group: (st, _t, _b, imp) => {
    if (!arity(st, imp, 1) || !needBlock(st, imp)) return;
    const groups = (imp.raw.virtual_server_groups ??= {}) as Obj;
    if (st.args[0]! in groups) { imp.error(st, `virtual_server_group ${st.args[0]} is defined twice`); return; }
    const entries: Obj[] = [];
    const base: ConfigPath = ['virtual_server_groups', st.args[0]!];
    imp.origin(base, st);
    for (const e of st.block!) {
      imp.origin([...base, entries.length], e);
      if (e.keyword === 'fwmark') {
        if (!arity(e, imp, 1)) continue;
        const m = intArg(e, imp);
        if (m !== undefined) entries.push({ fwmark: m });
        continue;
      }
      if (e.args.length !== 1) { imp.error(e, `expected "ADDRESS[-LAST] PORT" or "fwmark N", got "${[e.keyword, ...e.args].join(' ')}"`); continue; }
      const port = intArg(e, imp, e.args[0]);
      if (port === undefined) continue;
      const dash = e.keyword.lastIndexOf('-');
      if (dash > 0) {
        const address = e.keyword.slice(0, dash);
        const lastText = e.keyword.slice(dash + 1);
        const v6 = address.includes(':');
        if (!(v6 ? /^[0-9a-fA-F]{1,4}$/ : /^\d{1,3}$/).test(lastText)) { imp.error(e, `invalid address range "${e.keyword}"`); continue; }
        entries.push({ address, port, last: v6 ? parseInt(lastText, 16) : Number(lastText) });
      }
      else entries.push({ address: e.keyword, port });
    }
    if (entries.length === 0) { imp.error(st, `virtual_server_group ${st.args[0]} has no entries`); return; }
    groups[st.args[0]!] = entries;
  },
  virtual_server: (st, _t, _b, imp) => {
    if (!needBlock(st, imp)) return;
    const list = (imp.raw.virtual_servers ??= []) as Obj[];
    const vs: Obj = {};
    const base: ConfigPath = ['virtual_servers', list.length];
    imp.origin(base, st);
    const [a, b] = st.args;
    if (a === 'fwmark' || a === 'group') {
      if (!arity(st, imp, 2)) return;
      if (a === 'fwmark') { const m = intArg(st, imp, b); if (m === undefined) return; vs.fwmark = m; }
      else vs.group = b;
    } else {
      if (!arity(st, imp, 2)) return;
      vs.address = a;
      const p = intArg(st, imp, b);
      if (p === undefined) return;
      vs.port = p;
    }
    vs.real_servers = [];
    runBlock(st.block, virtualServerTable, vs, base, imp, 'virtual_server');
    // Keep the file's reading order in the output, with real servers last.
    const rs = vs.real_servers;
    delete vs.real_servers;
    vs.real_servers = rs;
    list.push(vs);
  },
  static_ipaddress: ignored('lb-appliance does not manage static addresses; configure them in the OS'),
  static_routes: ignored('lb-appliance does not manage static routes; configure them in the OS'),
  static_rules: ignored('lb-appliance does not manage static rules; configure them in the OS'),
  linkbeat_interfaces: unsupported, vrrp_track_process: unsupported, track_file: unsupported, vrrp_track_file: unsupported,
  garp_group: unsupported, track_group: unsupported, net_namespace: unsupported, net_namespace_ipvs: unsupported,
  SSL: unsupported, bfd_instance: unsupported, instance: unsupported, use_pid_dir: ignored('pid files are systemd\'s business'),
  linkbeat_use_polling: unsupported, interface_up_down_delays: unsupported, child_wait_time: unsupported, namespace_with_ipsets: unsupported,
};

function named(st: Statement, imp: Importer, section: string, table: Record<string, Handler>, what: string): void {
  if (!arity(st, imp, 1) || !needBlock(st, imp)) return;
  const map = (imp.raw[section] ??= {}) as Obj;
  const name = st.args[0]!;
  if (name in map) { imp.error(st, `${what} ${name} is defined twice`); return; }
  const o: Obj = {};
  const base: ConfigPath = [section, name];
  imp.origin(base, st);
  runBlock(st.block, table, o, base, imp, `${what} ${name}`);
  map[name] = o;
}

export interface ImportResult {
  raw?: RawConfig;
  diagnostics: Diagnostic[];
  /** Locate a validator finding (by config path) at its keepalived file:line. */
  place: (d: Diagnostic) => Diagnostic;
}

/** Import keepalived.conf text; `file` names it and anchors relative includes. */
export function importKeepalived(text: string | undefined, file: string): ImportResult {
  const imp = new Importer();
  const parsed = parseKeepalived(file, text);
  imp.diagnostics.push(...parsed.diagnostics);
  for (const st of parsed.statements) {
    const h = rootTable[st.keyword];
    if (h) h(st, imp.raw, [], imp);
    else imp.warn(st, `unknown top-level directive "${st.keyword}" (ignored)`);
  }
  return { raw: imp.raw as RawConfig, diagnostics: imp.diagnostics, place: (d) => imp.place(d) };
}
