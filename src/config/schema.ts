/**
 * The appliance config schema: the one definition that validates config files,
 * API bodies and (later) generates the OpenAPI document.
 *
 * Key names follow keepalived's keywords wherever keepalived has one, so a
 * keepalived user can read a config without a dictionary. Times are in seconds
 * (fractions where keepalived allows them). Defaults are applied by resolve.ts,
 * not here, so that a file round-trips as the user wrote it.
 *
 * Formats used below (`ip`, `ipv4`, `ip-prefix`, `ifname`, `host`, `endpoint`)
 * are registered on the validator in validate.ts.
 */
import { Type, type Static, type TSchema, type TObject, type TProperties, type TLiteral, type TUnion } from '@sinclair/typebox';

/** Objects are closed: an unknown key is an error, never silently ignored. */
const Obj = <T extends TProperties>(props: T, description?: string): TObject<T> =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });
const Opt = <T extends TSchema>(s: T) => Type.Optional(s);
const Int = (minimum: number, maximum: number, description?: string) =>
  Type.Integer({ minimum, maximum, ...(description ? { description } : {}) });
const Num = (minimum: number, maximum: number, description?: string) =>
  Type.Number({ minimum, maximum, ...(description ? { description } : {}) });
const Str = (description?: string, maxLength = 4096) =>
  Type.String({ minLength: 1, maxLength, ...(description ? { description } : {}) });
const Ip = (description?: string) => Type.String({ format: 'ip', ...(description ? { description } : {}) });
const IfName = () => Type.String({ format: 'ifname', description: 'Linux interface name' });
const Command = (description: string) => Str(description, 4096);
/** A name usable as a map key and in logs/URLs. */
const NamePattern = '^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$';
/** A closed set of string values, keeping the literal types. */
const Enum = <T extends string>(values: readonly T[], description?: string) =>
  Type.Union(values.map((v) => Type.Literal(v)), description ? { description } : {}) as unknown as TUnion<TLiteral<T>[]>;
const NamedMap = <T extends TSchema>(value: T, description: string) =>
  // A key that fails the pattern must be an error, not an unchecked extra property.
  Type.Record(Type.String({ pattern: NamePattern }), value, { description, additionalProperties: false });

// ---------------------------------------------------------------- global

export const SmtpSchema = Obj({
  smtp_server: Opt(Type.String({ format: 'host', description: 'SMTP relay host name or address' })),
  smtp_port: Opt(Int(1, 65535)),
  smtp_helo_name: Opt(Str()),
  smtp_connect_timeout: Opt(Num(1, 600, 'seconds')),
  smtp_user: Opt(Str()),
  smtp_password: Opt(Str('secret: never logged')),
  smtp_tls: Opt(Type.Union([Type.Literal('none'), Type.Literal('starttls'), Type.Literal('tls')])),
});

export const AdminSchema = Obj({
  listen: Opt(Type.String({ format: 'endpoint', description: 'management address:port of the web UI/API' })),
  tls: Opt(Type.Boolean({ description: 'HTTPS (default true); plain HTTP is allowed only on a loopback address' })),
  tls_certificate: Opt(Str('PEM certificate file; generated self-signed on first start when absent')),
  tls_key: Opt(Str('PEM private key file')),
  session_idle_timeout: Opt(Num(60, 86400, 'seconds')),
  socket: Opt(Type.String({ pattern: '^/', minLength: 2, maxLength: 107, description: 'local API socket path (default STATE_DIR/lbd.sock); its file permissions are the authentication' })),
  socket_group: Opt(Type.String({ pattern: '^[a-z_][a-z0-9_-]{0,31}\\$?$', description: 'group that owns the socket (mode 0660)' })),
}, 'web admin UI and REST API');

export const GlobalSchema = Obj({
  router_id: Opt(Str('name of this node in logs, alerts and the UI', 253)),
  notification_email: Opt(Type.Array(Type.String({ format: 'email' }), { maxItems: 64 })),
  notification_email_from: Opt(Type.String({ format: 'email' })),
  ...SmtpSchema.properties,
  vrrp_version: Opt(Type.Union([Type.Literal(2), Type.Literal(3)])),
  vrrp_mcast_group4: Opt(Type.String({ format: 'ipv4-multicast' })),
  vrrp_mcast_group6: Opt(Type.String({ format: 'ipv6-multicast' })),
  vrrp_skip_check_adv_addr: Opt(Type.Boolean()),
  vrrp_garp_master_delay: Opt(Num(0, 255, 'seconds after becoming master before the second GARP burst')),
  vrrp_garp_master_repeat: Opt(Int(1, 255, 'GARPs per burst')),
  vrrp_garp_master_refresh: Opt(Num(0, 86400, 'seconds between periodic GARP bursts while master (0 = off)')),
  vrrp_garp_master_refresh_repeat: Opt(Int(1, 255)),
  vrrp_garp_interval: Opt(Num(0, 1, 'seconds between GARPs within a burst')),
  vrrp_gna_interval: Opt(Num(0, 1, 'seconds between unsolicited NAs within a burst')),
  vrrp_priority: Opt(Int(-20, 19, 'nice value of the VRRP engine process (default -10)')),
  vrrp_rt_priority: Opt(Int(0, 99, 'realtime (SCHED_RR) priority of the VRRP engine process; 0 = off (default 10)')),
  vrrp_rlimit_rtime: Opt(Int(1000, 10000000, 'microseconds of CPU a realtime VRRP engine may use without blocking before it is killed and restarted (default 500000)')),
  lvs_timeouts: Opt(Obj({ tcp: Opt(Int(0, 2147483)), tcpfin: Opt(Int(0, 2147483)), udp: Opt(Int(0, 2147483)) })),
  logging: Opt(Obj({
    level: Opt(Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const)),
  })),
  admin: Opt(AdminSchema),
});

// ---------------------------------------------------------------- VRRP

export const VrrpScriptSchema = Obj({
  script: Command('command line; run without a shell unless it uses shell syntax'),
  interval: Opt(Num(0.01, 86400, 'seconds between runs (default 1)')),
  timeout: Opt(Num(0.01, 86400, 'seconds before the script is killed and counts as failed (default: interval)')),
  weight: Opt(Int(-253, 253, 'priority change while the script succeeds (>0) or fails (<0); 0 = failure means FAULT')),
  rise: Opt(Int(1, 255)),
  fall: Opt(Int(1, 255)),
  user: Opt(Str('user (and optionally :group) to run as')),
  init_fail: Opt(Type.Boolean({ description: 'start in the failed state' })),
});

export const VipSchema = Type.Union([
  Type.String({ format: 'ip-prefix', description: 'ADDRESS[/PREFIX]' }),
  Obj({
    address: Type.String({ format: 'ip-prefix', description: 'ADDRESS[/PREFIX]' }),
    dev: Opt(IfName()),
    label: Opt(Type.String({ pattern: '^[^\\s/]{1,15}$', description: 'address label (IPv4), e.g. eth0:vip' })),
    broadcast: Opt(Type.String({ format: 'ipv4' })),
    scope: Opt(Enum(['global', 'site', 'link', 'host'] as const)),
    no_track: Opt(Type.Boolean()),
  }),
]);

export const TrackInterfaceSchema = Type.Union([
  IfName(),
  Obj({ interface: IfName(), weight: Opt(Int(-254, 254, '0 = link down means FAULT')) }),
]);

export const TrackScriptSchema = Type.Union([
  Type.String({ pattern: NamePattern }),
  Obj({ script: Type.String({ pattern: NamePattern }), weight: Opt(Int(-253, 253, 'overrides the script\'s weight')) }),
]);

export const TrackProxySchema = Type.Union([
  Type.String({ pattern: NamePattern, description: 'an l7.frontends name' }),
  Obj({ frontend: Type.String({ pattern: NamePattern }), weight: Opt(Int(-253, 253, '0 (default) = frontend down means FAULT')) }),
]);

export const NotifySchema = {
  notify_master: Opt(Command('run on transition to MASTER')),
  notify_backup: Opt(Command('run on transition to BACKUP')),
  notify_fault: Opt(Command('run on transition to FAULT')),
  notify_stop: Opt(Command('run when the instance stops')),
  notify: Opt(Command('run on every transition with arguments TYPE NAME STATE PRIORITY')),
  smtp_alert: Opt(Type.Boolean()),
};

export const AuthenticationSchema = Obj({
  auth_type: Type.Union([Type.Literal('PASS'), Type.Literal('AH')]),
  auth_pass: Type.String({ minLength: 1, maxLength: 8, description: 'secret: at most 8 characters (VRRPv2 limit)' }),
});

export const VrrpInstanceSchema = Obj({
  interface: IfName(),
  virtual_router_id: Int(1, 255),
  priority: Opt(Int(1, 255, '255 only with address_owner: true')),
  address_owner: Opt(Type.Boolean({ description: 'this node owns the VIPs as real interface addresses (priority 255)' })),
  advert_int: Opt(Num(0.01, 255, 'seconds; VRRPv2 whole seconds 1-255, VRRPv3 0.01-40.95')),
  version: Opt(Type.Union([Type.Literal(2), Type.Literal(3)])),
  state: Opt(Type.Union([Type.Literal('MASTER'), Type.Literal('BACKUP')], { description: 'initial state' })),
  nopreempt: Opt(Type.Boolean()),
  preempt_delay: Opt(Num(0, 1000, 'seconds')),
  authentication: Opt(AuthenticationSchema),
  mcast_src_ip: Opt(Ip()),
  mcast_dst_ip: Opt(Type.String({ format: 'ip-multicast', description: 'multicast group for this instance' })),
  unicast_src_ip: Opt(Ip()),
  unicast_peer: Opt(Type.Array(Ip(), { maxItems: 64, description: 'send adverts to these peers instead of multicast' })),
  virtual_ipaddress: Type.Array(VipSchema, { minItems: 1, maxItems: 1024 }),
  virtual_ipaddress_excluded: Opt(Type.Array(VipSchema, { maxItems: 1024 })),
  track_interface: Opt(Type.Array(TrackInterfaceSchema, { maxItems: 64 })),
  track_script: Opt(Type.Array(TrackScriptSchema, { maxItems: 64 })),
  track_proxy: Opt(Type.Array(TrackProxySchema, { maxItems: 64, description: 'L7 frontends whose health moves this instance (same weight rule as track_script)' })),
  dont_track_primary: Opt(Type.Boolean()),
  skip_check_adv_addr: Opt(Type.Boolean()),
  garp_master_delay: Opt(Num(0, 255)),
  garp_master_repeat: Opt(Int(1, 255)),
  garp_master_refresh: Opt(Num(0, 86400)),
  garp_master_refresh_repeat: Opt(Int(1, 255)),
  ...NotifySchema,
});

export const SyncGroupSchema = Obj({
  group: Type.Array(Type.String({ pattern: NamePattern }), { minItems: 1, maxItems: 64 }),
  ...NotifySchema,
  notify_stop: Opt(Command('run when the group stops')),
});

// ---------------------------------------------------------------- health checks

const CheckCommon = {
  connect_ip: Opt(Ip()),
  connect_port: Opt(Int(1, 65535)),
  bindto: Opt(Ip()),
  bind_port: Opt(Int(1, 65535)),
  bind_if: Opt(Type.String({ format: 'ifname', description: 'interface of an IPv6 link-local connect_ip' })),
  connect_timeout: Opt(Num(0.01, 3600, 'seconds (default 5)')),
  retry: Opt(Int(0, 1000, 'retries before a server is marked down (keepalived nb_get_retry)')),
  delay_before_retry: Opt(Num(0, 3600, 'seconds (default 1)')),
  delay_loop: Opt(Num(0.01, 86400, 'seconds between checks (default: the virtual server\'s)')),
  warmup: Opt(Num(0, 86400, 'the first check starts at a random time within this many seconds (default: delay_loop)')),
  alpha: Opt(Type.Boolean({ description: 'start as down until the first success' })),
};

export const StatusCodeSchema = Type.Union([
  Int(100, 599),
  Type.String({ pattern: '^[1-5][0-9]{2}(-[1-5][0-9]{2})?$', description: 'NNN or NNN-NNN' }),
  Type.Array(Type.Union([Int(100, 599), Type.String({ pattern: '^[1-5][0-9]{2}(-[1-5][0-9]{2})?$' })]), { minItems: 1, maxItems: 64 }),
]);

export const UrlSchema = Obj({
  path: Type.String({ pattern: '^/[\\x21-\\x7e]*$', maxLength: 2048, description: 'absolute path, no spaces' }),
  status_code: Opt(StatusCodeSchema),
  digest: Opt(Type.String({ pattern: '^[0-9a-fA-F]{32}$', description: 'MD5 of the body (genhash)' })),
  regex: Opt(Str('body must match')),
  regex_no_match: Opt(Type.Boolean()),
  virtualhost: Opt(Type.String({ format: 'host' })),
});

export const HttpCheckSchema = Obj({
  type: Type.Union([Type.Literal('HTTP_GET'), Type.Literal('SSL_GET')]),
  url: Type.Array(UrlSchema, { minItems: 1, maxItems: 64 }),
  virtualhost: Opt(Type.String({ format: 'host' })),
  http_protocol: Opt(Type.Union([Type.Literal('1.0'), Type.Literal('1.0C'), Type.Literal('1.1')], { description: '1.0C adds Connection: close; 1.1 sends it too' })),
  enable_sni: Opt(Type.Boolean()),
  sni_name: Opt(Type.String({ format: 'host' })),
  tls_verify: Opt(Obj({ ca: Str('PEM CA bundle file'), name: Opt(Type.String({ format: 'host', description: 'name to verify the certificate against' })) })),
  ...CheckCommon,
});

export const TcpCheckSchema = Obj({ type: Type.Literal('TCP_CHECK'), ...CheckCommon });

export const MiscCheckSchema = Obj({
  type: Type.Literal('MISC_CHECK'),
  misc_path: Command('command line; exit 0 = up'),
  misc_timeout: Opt(Num(0.01, 3600, 'seconds before the script is killed and counts as failed (default: delay_loop)')),
  misc_dynamic: Opt(Type.Boolean({ description: 'exit codes 2-255 set weight = code - 2' })),
  user: Opt(Str()),
  ...CheckCommon,
});

export const CheckSchema = Type.Union([HttpCheckSchema, TcpCheckSchema, MiscCheckSchema]);

// ---------------------------------------------------------------- LVS

export const LbAlgos = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos'] as const;
export const LbKinds = ['DR', 'NAT', 'TUN'] as const;
const Protocol = Type.Union([Type.Literal('TCP'), Type.Literal('UDP'), Type.Literal('SCTP')]);
const LbKind = Enum(LbKinds);

const RealServerTuning = {
  weight: Opt(Int(0, 65535)),
  lb_kind: Opt(LbKind),
  uthreshold: Opt(Int(0, 2147483647)),
  lthreshold: Opt(Int(0, 2147483647)),
  inhibit_on_failure: Opt(Type.Boolean({ description: 'keep a failed server with weight 0 instead of removing it' })),
  notify_up: Opt(Command('run when the server comes up')),
  notify_down: Opt(Command('run when the server goes down')),
  retry: CheckCommon.retry,
  delay_before_retry: CheckCommon.delay_before_retry,
  connect_timeout: CheckCommon.connect_timeout,
  delay_loop: CheckCommon.delay_loop,
  warmup: CheckCommon.warmup,
  alpha: CheckCommon.alpha,
  virtualhost: Opt(Type.String({ format: 'host' })),
  smtp_alert: Opt(Type.Boolean()),
};

export const RealServerSchema = Obj({
  address: Ip(),
  port: Opt(Int(0, 65535, 'defaults to the virtual server\'s port; may be omitted for fwmark services')),
  ...RealServerTuning,
  checks: Opt(Type.Array(CheckSchema, { maxItems: 16, description: 'all must pass for the server to be up' })),
});

export const MarkRuleSchema = Obj({
  address: Type.String({ format: 'ip-prefix', description: 'destination ADDRESS[/PREFIX] (usually a VIP)' }),
  protocol: Opt(Type.Union([Type.Literal('tcp'), Type.Literal('udp'), Type.Literal('sctp')])),
  ports: Opt(Type.Array(Int(1, 65535), { minItems: 1, maxItems: 64 })),
});

export const VirtualServerSchema = Obj({
  name: Opt(Type.String({ pattern: NamePattern, description: 'stable name for the API (default derived from address:port or fwmark)' })),
  address: Opt(Ip()),
  port: Opt(Int(0, 65535)),
  protocol: Opt(Protocol),
  fwmark: Opt(Int(1, 4294967295)),
  ip_family: Opt(Type.Union([Type.Literal('inet'), Type.Literal('inet6')], { description: 'family of a fwmark service (default inet)' })),
  group: Opt(Type.String({ pattern: NamePattern, description: 'a virtual_server_groups entry' })),
  mark_rules: Opt(Type.Array(MarkRuleSchema, { minItems: 1, maxItems: 64, description: 'packets lbd marks with fwmark (nftables table inet lbd)' })),
  lb_algo: Opt(Enum(LbAlgos)),
  persistence_timeout: Opt(Int(1, 2678400)),
  persistence_granularity: Opt(Type.String({ format: 'netmask' })),
  hashed: Opt(Type.Boolean()),
  ops: Opt(Type.Boolean({ description: 'one-packet scheduling (UDP)' })),
  sh_port: Opt(Type.Boolean()),
  sh_fallback: Opt(Type.Boolean()),
  mh_port: Opt(Type.Boolean()),
  mh_fallback: Opt(Type.Boolean()),
  quorum: Opt(Int(1, 2147483647, 'minimum sum of weights of live servers')),
  hysteresis: Opt(Int(0, 2147483647)),
  quorum_up: Opt(Command('run when quorum is gained')),
  quorum_down: Opt(Command('run when quorum is lost')),
  omega: Opt(Type.Boolean()),
  sorry_server: Opt(Obj({ address: Ip(), port: Opt(Int(0, 65535)), lb_kind: Opt(LbKind) })),
  sorry_server_inhibit: Opt(Type.Boolean()),
  ...RealServerTuning,
  weight: Opt(Int(0, 65535, 'default weight of real servers')),
  real_servers: Type.Array(RealServerSchema, { maxItems: 10000 }),
});

export const VirtualServerGroupSchema = Type.Array(
  Type.Union([
    Obj({ address: Ip(), port: Int(0, 65535), last: Opt(Int(0, 65535, 'last octet (IPv4) or hextet (IPv6) of an address range')) }),
    Obj({ fwmark: Int(1, 4294967295) }),
  ]),
  { minItems: 1, maxItems: 1024 },
);

// ---------------------------------------------------------------- layer 7 (HAProxy / Nginx)
// Every string here ends up in a generated haproxy.cfg or nginx.conf, so each
// pattern admits only characters that cannot end a word, open a quote, block,
// comment or variable in either syntax. The renderer checks again (src/proxy/syntax.ts).

/** Names used as proxy, upstream and server names: no ":" (Nginx would read a port). */
const L7NamePattern = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$';
const L7Name = (description?: string) => Type.String({ pattern: L7NamePattern, ...(description ? { description } : {}) });
const FilePath = (description: string) =>
  Type.String({ pattern: '^/[A-Za-z0-9._+@/-]{1,4095}$', description: `${description}; absolute path of letters, digits and . _ + @ / -` });
/** URL path characters of RFC 3986 minus those with a meaning in proxy configs. */
const UrlPath = (description: string, query = false) =>
  Type.String({ pattern: query ? "^/[A-Za-z0-9._~%!*+,=:@/?&-]*$" : "^/[A-Za-z0-9._~%!*+,=:@/-]*$", maxLength: 1024, description });
const HostPattern = Type.String({
  pattern: '^(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$',
  maxLength: 253, description: 'host name, or *.domain for any subdomain',
});
const Seconds = (minimum: number, maximum: number, description: string) => Num(minimum, maximum, `seconds; ${description}`);

export const L7ServerSchema = Obj({
  name: L7Name('server name in the proxy config, its stats and runtime operations'),
  address: Type.String({ format: 'host', description: 'IP address, or a host name resolved when the proxy (re)loads' }),
  port: Int(1, 65535),
  weight: Opt(Int(0, 256, 'share of new connections (default 1); 0 takes none (Nginx: down)')),
  backup: Opt(Type.Boolean({ description: 'used only while every other server is down' })),
  maxconn: Opt(Int(1, 1000000, 'concurrent connections to this server (Nginx max_conns)')),
  max_fails: Opt(Int(0, 1000, 'Nginx: failures within fail_timeout that take the server out (default: the backend\'s)')),
  fail_timeout: Opt(Int(1, 86400, 'Nginx: seconds of failure window and time out (default: the backend\'s)')),
});

export const L7CheckSchema = Obj({
  type: Enum(['tcp', 'http'] as const, 'tcp: connect; http: GET path and expect a status'),
  path: Opt(UrlPath('http: path to GET (default /)', true)),
  host: Opt(Type.String({ format: 'host', description: 'http: Host header (sent with HTTP/1.1; HTTP/1.0 without)' })),
  status: Opt(StatusCodeSchema),
  ssl: Opt(Type.Boolean({ description: 'check over TLS (check-ssl; the certificate is not verified)' })),
  port: Opt(Int(1, 65535, 'check this port instead of the server\'s')),
  inter: Opt(Seconds(0.1, 3600, 'between checks (default 2)')),
  rise: Opt(Int(1, 100, 'successes to mark a server up (default 2)')),
  fall: Opt(Int(1, 100, 'failures to mark a server down (default 3)')),
}, 'active health check, run by HAProxy (Nginx open source has passive checks only: max_fails/fail_timeout)');

export const L7StickSchema = Obj({
  type: Enum(['source', 'cookie', 'ssl_session_id'] as const,
    'source: client address; cookie: inserted cookie (http); ssl_session_id: TLS session id of TLS pass-through (tcp)'),
  cookie: Opt(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'cookie name (default SERVERID)' })),
  expire: Opt(Seconds(1, 2592000, 'an idle entry is forgotten after this (default 1800)')),
  size: Opt(Int(1, 100000000, 'table entries (default 100000)')),
});

export const L7BackendSchema = Obj({
  balance: Opt(Enum(['roundrobin', 'leastconn', 'source', 'first', 'random'] as const)),
  check: Opt(L7CheckSchema),
  stick: Opt(L7StickSchema),
  max_fails: Opt(Int(0, 1000, 'Nginx: failures within fail_timeout that take a server out (default 1; 0 = never)')),
  fail_timeout: Opt(Int(1, 86400, 'Nginx: seconds of failure window and time out (default 10)')),
  servers: Type.Array(L7ServerSchema, { minItems: 1, maxItems: 4096 }),
});

export const L7RuleSchema = Obj({
  host: Opt(Type.Union([HostPattern, Type.Array(HostPattern, { minItems: 1, maxItems: 64 })])),
  path_prefix: Opt(UrlPath('requests whose path starts with this')),
  backend: L7Name('backend for matching requests'),
}, 'host/path routing rule; the first matching rule wins');

export const L7ProbeSchema = Obj({
  path: Opt(UrlPath('http: path to GET through the frontend (default /)', true)),
  host: Opt(Type.String({ format: 'host', description: 'http: Host header of the probe (default: none, so the default backend answers)' })),
  status: Opt(StatusCodeSchema),
  tls: Opt(Type.Boolean({ description: 'tcp: a TLS handshake must complete through the frontend (TLS pass-through)' })),
  interval: Opt(Seconds(0.1, 3600, 'between probes (default 2)')),
  timeout: Opt(Seconds(0.1, 3600, 'per probe (default 2)')),
  rise: Opt(Int(1, 100, 'successes to report healthy (default 2)')),
  fall: Opt(Int(1, 100, 'failures to report unhealthy (default 2)')),
}, 'how lbd checks that the frontend serves (its health for VRRP tracking)');

export const L7FrontendSchema = Obj({
  engine: Enum(['haproxy', 'nginx'] as const),
  bind: Type.Array(Type.String({ format: 'endpoint' }), { minItems: 1, maxItems: 64, description: 'ADDRESS:PORT, [IPV6]:PORT or *:PORT' }),
  mode: Opt(Enum(['http', 'tcp'] as const)),
  tls: Opt(Obj({
    certificate: FilePath('PEM certificate (chain); HAProxy also reads the key from it or from CERTIFICATE.key'),
    key: Opt(FilePath('PEM private key, when not in the certificate file')),
  }, 'terminate TLS on every bind of this frontend')),
  default_backend: L7Name(),
  rules: Opt(Type.Array(L7RuleSchema, { maxItems: 256 })),
  maxconn: Opt(Int(1, 10000000)),
  forwardfor: Opt(Type.Boolean({ description: 'http: add X-Forwarded-For (default true)' })),
  probe: Opt(L7ProbeSchema),
});

export const L7TimeoutsSchema = Obj({
  connect: Opt(Seconds(0.001, 3600, 'to connect to a server (default 5)')),
  client: Opt(Seconds(0.001, 86400, 'client inactivity (default 50)')),
  server: Opt(Seconds(0.001, 86400, 'server inactivity (default 50)')),
  http_request: Opt(Seconds(0.001, 3600, 'to receive a complete request header (default 10)')),
  http_keep_alive: Opt(Seconds(0.001, 3600, 'idle keep-alive connection (default 10)')),
  queue: Opt(Seconds(0.001, 3600, 'waiting for a server slot (HAProxy; default 30)')),
  tunnel: Opt(Seconds(0.001, 604800, 'established tunnels: tcp mode, WebSocket (default 3600)')),
  check: Opt(Seconds(0.001, 3600, 'for a health check to answer (default: inter)')),
  hard_stop_after: Opt(Seconds(1, 604800, 'after a reload, old processes close remaining connections after this (default: never)')),
});

export const L7StatsSchema = Obj({
  listen: Type.String({ format: 'endpoint', description: 'ADDRESS:PORT of HAProxy\'s statistics page' }),
  uri: Opt(UrlPath('page path (default /)')),
  refresh: Opt(Int(1, 3600, 'seconds between page refreshes (default 10)')),
  user: Opt(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' })),
  password: Opt(Type.String({ pattern: "^[^'\\x00-\\x1f\\x7f]{1,128}$", description: 'secret: never logged; no single quote' })),
}, 'HAProxy statistics page (read-only)');

export const L7Schema = Obj({
  timeouts: Opt(L7TimeoutsSchema),
  stats: Opt(L7StatsSchema),
  frontends: Opt(NamedMap(L7FrontendSchema, 'listeners, by name')),
  backends: Opt(NamedMap(L7BackendSchema, 'server pools, by name')),
}, 'HAProxy / Nginx reverse proxies run by lbd');

// ---------------------------------------------------------------- the whole appliance

export const ConfigSchema = Obj({
  global: Opt(GlobalSchema),
  vrrp_scripts: Opt(NamedMap(VrrpScriptSchema, 'vrrp_script blocks, by name')),
  vrrp_instances: Opt(NamedMap(VrrpInstanceSchema, 'vrrp_instance blocks, by name')),
  vrrp_sync_groups: Opt(NamedMap(SyncGroupSchema, 'vrrp_sync_group blocks, by name')),
  virtual_server_groups: Opt(NamedMap(VirtualServerGroupSchema, 'virtual_server_group blocks, by name')),
  virtual_servers: Opt(Type.Array(VirtualServerSchema, { maxItems: 10000 })),
  l7: Opt(L7Schema),
}, 'lb-appliance configuration');

export type RawConfig = Static<typeof ConfigSchema>;
export type RawVrrpInstance = Static<typeof VrrpInstanceSchema>;
export type RawVrrpScript = Static<typeof VrrpScriptSchema>;
export type RawVirtualServer = Static<typeof VirtualServerSchema>;
export type RawRealServer = Static<typeof RealServerSchema>;
export type RawCheck = Static<typeof CheckSchema>;
export type RawVip = Static<typeof VipSchema>;
export type RawGlobal = Static<typeof GlobalSchema>;
export type RawL7 = Static<typeof L7Schema>;
