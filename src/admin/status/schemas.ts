/**
 * The status view: what the API (`GET /api/v1/status`), the dashboard, the
 * console and /metrics all show. It is built from the configured objects plus
 * whatever the subsystems publish in the status hub (see vrrp.ts, services.ts,
 * l7.ts for the mapping from each hub section), so it has every configured
 * object even before a subsystem reports, and nulls where nothing is known.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/*
 * Nullable fields and closed string sets are written as `nullable: true` and `enum` rather than
 * unions: the serializer would otherwise test each union branch on every value, which for a few
 * thousand real servers costs more than the rest of the request together.
 */
const Nullable = <T extends TSchema>(s: T) => Type.Unsafe<Static<T> | null>({ ...s, nullable: true });
const OneOf = <T extends string>(values: readonly T[], description?: string) =>
  Type.Unsafe<T>({ type: 'string', enum: values, ...(description ? { description } : {}) });
const Count = Type.Number({ minimum: 0 });

export const RatesSchema = Type.Object({
  cps: Count, inpps: Count, outpps: Count, inbps: Count, outbps: Count,
}, { description: 'IPVS rate estimates (per second)' });

export const CountersSchema = Type.Object({
  conns: Count, inpkts: Count, outpkts: Count, inbytes: Count, outbytes: Count,
}, { description: 'IPVS totals since the service was created' });

export const NodeViewSchema = Type.Object({
  router_id: Type.String(),
  hostname: Type.String(),
  lbd_version: Type.String(),
  started_at: Type.String({ format: 'date-time' }),
  uptime_s: Type.Number(),
  config_revision: Nullable(Type.Integer()),
  subsystems: Type.Array(Type.String(), { description: 'subsystems running in lbd' }),
  maintenance: Nullable(Type.Boolean({ description: 'node forced to BACKUP by an operator' })),
});

export const VrrpInstanceViewSchema = Type.Object({
  name: Type.String(),
  interface: Type.String(),
  virtual_router_id: Type.Integer(),
  state: Type.String({ description: 'MASTER, BACKUP, FAULT, INIT, STOP, or UNKNOWN when not reported' }),
  priority: Nullable(Type.Integer({ description: 'effective priority (after tracking)' })),
  base_priority: Type.Integer(),
  master: Nullable(Type.String({ description: 'address of the current master' })),
  vips: Type.Array(Type.String()),
  peers: Type.Array(Type.String()),
  last_transition: Nullable(Type.Object({ time: Type.String(), from: Nullable(Type.String()), to: Type.String(), reason: Nullable(Type.String()) })),
  counters: Nullable(Type.Object({
    adverts_sent: Count, adverts_received: Count, transitions: Count,
    dropped: Type.Record(Type.String(), Count, { description: 'adverts dropped, by reason' }),
  })),
});

export const RealServerViewSchema = Type.Object({
  key: Type.String({ description: 'ADDRESS:PORT' }),
  address: Type.String(),
  port: Type.Integer(),
  health: OneOf(['up', 'down', 'unknown'] as const),
  admin: OneOf(['enabled', 'drain', 'disabled'] as const),
  weight_configured: Type.Integer(),
  weight: Nullable(Type.Integer({ description: 'weight in effect (kernel, else health), null when not reported' })),
  active_conns: Nullable(Count),
  inactive_conns: Nullable(Count),
  counters: Nullable(CountersSchema),
  rates: Nullable(RatesSchema),
  last_check: Nullable(Type.Object({ time: Type.String(), ok: Type.Boolean(), latency_ms: Nullable(Type.Number()), message: Nullable(Type.String()) })),
  since: Nullable(Type.String({ description: 'time of the last health change' })),
});

export const VirtualServerViewSchema = Type.Object({
  name: Type.String(),
  endpoints: Type.Array(Type.String()),
  lb_algo: Type.String(),
  lb_kind: Type.String(),
  quorum_ok: Nullable(Type.Boolean()),
  up: Type.Integer(),
  total: Type.Integer(),
  counters: Nullable(CountersSchema),
  rates: Nullable(RatesSchema),
  real_servers: Type.Array(RealServerViewSchema),
});

export const L7ServerViewSchema = Type.Object({
  name: Type.String(),
  address: Type.String(),
  port: Type.Integer(),
  weight_configured: Type.Integer(),
  weight: Nullable(Type.Integer()),
  backup: Type.Boolean(),
  state: Type.String({ description: 'UP, DOWN, DRAIN, MAINT, ... as the proxy reports; UNKNOWN when not reported' }),
  check: Nullable(Type.String()),
  latency_ms: Nullable(Type.Number()),
});

export const L7ViewSchema = Type.Object({
  frontends: Type.Array(Type.Object({
    name: Type.String(), engine: Type.String(), bind: Type.Array(Type.String()), mode: Type.String(),
    default_backend: Type.String(), state: Type.String(),
  })),
  backends: Type.Array(Type.Object({
    name: Type.String(), balance: Type.String(), up: Type.Integer(), total: Type.Integer(), servers: Type.Array(L7ServerViewSchema),
  })),
});

export const StatusViewSchema = Type.Object({
  generated_at: Type.String({ format: 'date-time' }),
  node: NodeViewSchema,
  reported: Type.Object({
    vrrp: Type.Boolean(), lvs: Type.Boolean(), health: Type.Boolean(), l7: Type.Boolean(),
  }, { description: 'which subsystems have published status (false: the view shows configuration only)' }),
  vrrp: Type.Array(VrrpInstanceViewSchema),
  virtual_servers: Type.Array(VirtualServerViewSchema),
  l7: L7ViewSchema,
});

export type Rates = Static<typeof RatesSchema>;
export type Counters = Static<typeof CountersSchema>;
export type NodeView = Static<typeof NodeViewSchema>;
export type VrrpInstanceView = Static<typeof VrrpInstanceViewSchema>;
export type RealServerView = Static<typeof RealServerViewSchema>;
export type VirtualServerView = Static<typeof VirtualServerViewSchema>;
export type L7View = Static<typeof L7ViewSchema>;
export type StatusView = Static<typeof StatusViewSchema>;
