/**
 * The resolved config model: what the engines consume. Same key names as the
 * file (see schema.ts), with every default filled in, shorthands expanded and
 * each object carrying its own name. Produced only from a config that passed
 * validation (resolve.ts), so engines never re-check it.
 */
import type { Family } from '../util/ip.js';

export type LbAlgo = 'rr' | 'wrr' | 'lc' | 'wlc' | 'lblc' | 'lblcr' | 'dh' | 'sh' | 'sed' | 'nq' | 'fo' | 'ovf' | 'mh' | 'twos';
export type LbKind = 'DR' | 'NAT' | 'TUN';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface SmtpSettings {
  smtp_server?: string;
  smtp_port: number;
  smtp_helo_name?: string;
  smtp_connect_timeout: number;
  smtp_user?: string;
  smtp_password?: string;
  smtp_tls: 'none' | 'starttls' | 'tls';
}

export interface GarpSettings {
  master_delay: number;
  master_repeat: number;
  master_refresh: number;
  master_refresh_repeat: number;
  interval: number;
  gna_interval: number;
}

export interface GlobalSettings extends SmtpSettings {
  router_id: string;
  notification_email: string[];
  notification_email_from?: string;
  vrrp_version: 2 | 3;
  vrrp_mcast_group4: string;
  vrrp_mcast_group6: string;
  vrrp_skip_check_adv_addr: boolean;
  garp: GarpSettings;
  /** How the VRRP engine process is scheduled (rt_priority 0: no realtime scheduling). */
  vrrp_scheduling: { nice: number; rt_priority: number; rlimit_rtime_us: number };
  lvs_timeouts?: { tcp?: number; tcpfin?: number; udp?: number };
  logging: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' };
  admin: {
    listen?: string; tls: boolean; tls_certificate?: string; tls_key?: string; session_idle_timeout: number;
    socket?: string; socket_group?: string;
  };
}

export interface VrrpScript {
  name: string;
  script: string;
  interval: number;
  timeout: number;
  weight: number;
  rise: number;
  fall: number;
  user?: string;
  init_fail: boolean;
}

export interface Vip {
  address: string;
  prefix: number;
  family: Family;
  dev: string;
  label?: string;
  broadcast?: string;
  scope?: 'global' | 'site' | 'link' | 'host';
  no_track: boolean;
}

export interface Notify {
  notify_master?: string;
  notify_backup?: string;
  notify_fault?: string;
  notify_stop?: string;
  notify?: string;
  smtp_alert: boolean;
}

export interface VrrpInstance extends Notify {
  name: string;
  interface: string;
  family: Family;
  virtual_router_id: number;
  priority: number;
  address_owner: boolean;
  advert_int: number;
  version: 2 | 3;
  state: 'MASTER' | 'BACKUP';
  nopreempt: boolean;
  preempt_delay: number;
  authentication?: { auth_type: 'PASS' | 'AH'; auth_pass: string };
  mcast_src_ip?: string;
  /** The multicast group adverts go to (instance, then global, then the RFC default). */
  mcast_dst_ip: string;
  unicast_src_ip?: string;
  unicast_peer: string[];
  virtual_ipaddress: Vip[];
  virtual_ipaddress_excluded: Vip[];
  track_interface: { interface: string; weight: number }[];
  /** Weight already resolved: the instance's override, else the script's own weight. */
  track_script: { script: string; weight: number }[];
  /** L7 frontends tracked as the external trackers `proxy:<frontend>`. */
  track_proxy: { frontend: string; weight: number }[];
  dont_track_primary: boolean;
  skip_check_adv_addr: boolean;
  garp: GarpSettings;
  sync_group?: string;
}

export interface SyncGroup extends Notify {
  name: string;
  group: string[];
}

export interface HttpUrl {
  path: string;
  /** Accepted status ranges, inclusive; default [[200, 299]] as in keepalived. */
  status_code: [number, number][];
  digest?: string;
  regex?: string;
  regex_no_match: boolean;
  virtualhost?: string;
}

interface CheckTiming {
  connect_ip: string;
  connect_port: number;
  bindto?: string;
  bind_port?: number;
  bind_if?: string;
  connect_timeout: number;
  retry: number;
  delay_before_retry: number;
  delay_loop: number;
  warmup: number;
  alpha: boolean;
}

export interface HttpCheck extends CheckTiming {
  type: 'HTTP_GET' | 'SSL_GET';
  url: HttpUrl[];
  virtualhost?: string;
  http_protocol: '1.0' | '1.0C' | '1.1';
  enable_sni: boolean;
  sni_name?: string;
  tls_verify?: { ca: string; name?: string };
}

export interface TcpCheck extends CheckTiming { type: 'TCP_CHECK' }

export interface MiscCheck extends CheckTiming {
  type: 'MISC_CHECK';
  misc_path: string;
  misc_timeout: number;
  misc_dynamic: boolean;
  user?: string;
}

export type Check = HttpCheck | TcpCheck | MiscCheck;

export interface RealServer {
  /** ADDRESS:PORT ([v6]:PORT), unique within its virtual server. */
  key: string;
  address: string;
  port: number;
  family: Family;
  weight: number;
  lb_kind: LbKind;
  uthreshold: number;
  lthreshold: number;
  inhibit_on_failure: boolean;
  notify_up?: string;
  notify_down?: string;
  alpha: boolean;
  smtp_alert: boolean;
  checks: Check[];
}

export type VsEndpoint =
  | { kind: 'addr'; address: string; port: number; protocol: Protocol; family: Family }
  | { kind: 'fwmark'; fwmark: number; family: Family };

export interface MarkRule { address: string; prefix: number; family: Family; protocol: 'tcp' | 'udp' | 'sctp'; ports: number[] }

export interface VirtualServer {
  /** Stable identity across reloads: `name`, or ADDRESS:PORT/PROTO, fwmark:N, group:NAME. */
  name: string;
  family: Family;
  /** One kernel service per endpoint (several for a virtual_server_group). */
  endpoints: VsEndpoint[];
  group?: string;
  mark_rules: MarkRule[];
  lb_algo: LbAlgo;
  lb_kind: LbKind;
  persistence_timeout?: number;
  persistence_granularity?: string;
  flags: { hashed: boolean; ops: boolean; sh_port: boolean; sh_fallback: boolean; mh_port: boolean; mh_fallback: boolean };
  delay_loop: number;
  quorum: number;
  hysteresis: number;
  quorum_up?: string;
  quorum_down?: string;
  alpha: boolean;
  omega: boolean;
  inhibit_on_failure: boolean;
  sorry_server?: { address: string; port: number; lb_kind: LbKind };
  sorry_server_inhibit: boolean;
  smtp_alert: boolean;
  real_servers: RealServer[];
}

export type L7Mode = 'http' | 'tcp';
export type L7Engine = 'haproxy' | 'nginx';
/** Inclusive status ranges, e.g. [[200, 399]]. */
export type StatusRanges = [number, number][];

export interface L7Server {
  name: string;
  address: string;
  port: number;
  weight: number;
  backup: boolean;
  maxconn?: number;
  /** Nginx passive health (server value, else the backend's). */
  max_fails: number;
  fail_timeout: number;
}

export interface L7Check {
  type: 'tcp' | 'http';
  path: string;
  host?: string;
  status: StatusRanges;
  ssl: boolean;
  port?: number;
  inter: number;
  rise: number;
  fall: number;
}

export interface L7Stick { type: 'source' | 'cookie' | 'ssl_session_id'; cookie: string; expire: number; size: number }

export interface L7Backend {
  name: string;
  /** The mode of the frontends that use it (http when none does). */
  mode: L7Mode;
  /** The engines whose frontends use it: it is rendered into each. */
  engines: L7Engine[];
  balance: 'roundrobin' | 'leastconn' | 'source' | 'first' | 'random';
  check?: L7Check;
  stick?: L7Stick;
  servers: L7Server[];
}

export interface L7Rule {
  /** Lower-case host names; "*.example.com" matches any subdomain. Empty: any host. */
  host: string[];
  path_prefix?: string;
  backend: string;
}

export interface L7Probe {
  path: string;
  host?: string;
  status: StatusRanges;
  tls: boolean;
  interval: number;
  timeout: number;
  rise: number;
  fall: number;
}

export interface L7Frontend {
  name: string;
  engine: L7Engine;
  bind: string[];
  mode: L7Mode;
  tls?: { certificate: string; key?: string };
  default_backend: string;
  rules: L7Rule[];
  maxconn?: number;
  forwardfor: boolean;
  probe: L7Probe;
}

/** Seconds. */
export interface L7Timeouts {
  connect: number;
  client: number;
  server: number;
  http_request: number;
  http_keep_alive: number;
  queue: number;
  tunnel: number;
  check?: number;
  hard_stop_after?: number;
}

export interface L7Stats { listen: string; uri: string; refresh: number; user?: string; password?: string }

export interface L7Settings {
  frontends: L7Frontend[];
  backends: L7Backend[];
  timeouts: L7Timeouts;
  stats?: L7Stats;
}

export interface Config {
  global: GlobalSettings;
  vrrp_scripts: VrrpScript[];
  vrrp_instances: VrrpInstance[];
  vrrp_sync_groups: SyncGroup[];
  virtual_servers: VirtualServer[];
  l7: L7Settings;
}
