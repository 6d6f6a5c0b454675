/**
 * GET /metrics: Prometheus text, computed at scrape time from the same status
 * view as the API and dashboard (so a field mapping fixed once is fixed here
 * too). Counters mirror the subsystems' own totals.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { AdminContext } from './context.js';
import type { StatusView } from './status/schemas.js';

const VRRP_STATES = ['INIT', 'BACKUP', 'MASTER', 'FAULT', 'STOP', 'UNKNOWN'];

export class AdminMetrics {
  readonly registry = new Registry();
  private g = <T extends string>(name: string, help: string, labelNames: T[] = []) => new Gauge({ name, help, labelNames, registers: [this.registry] });
  private c = <T extends string>(name: string, help: string, labelNames: T[] = []) => new Counter({ name, help, labelNames, registers: [this.registry] });

  private readonly info = this.g('lbd_info', 'lbd version and node (always 1)', ['version', 'router_id']);
  private readonly revision = this.g('lbd_config_revision', 'newest config revision');
  private readonly maintenance = this.g('lbd_maintenance', '1 while an operator forces this node to BACKUP');
  private readonly vrrpState = this.g('lbd_vrrp_instance_state', 'VRRP state (1 for the current state)', ['instance', 'state']);
  private readonly vrrpPriority = this.g('lbd_vrrp_instance_priority', 'effective VRRP priority', ['instance']);
  private readonly vrrpTransitions = this.c('lbd_vrrp_transitions_total', 'VRRP state transitions', ['instance']);
  private readonly advertsSent = this.c('lbd_vrrp_adverts_sent_total', 'VRRP adverts sent', ['instance']);
  private readonly advertsReceived = this.c('lbd_vrrp_adverts_received_total', 'VRRP adverts received', ['instance']);
  private readonly advertsDropped = this.c('lbd_vrrp_adverts_dropped_total', 'VRRP adverts dropped, by reason', ['instance', 'reason']);
  private readonly rsUp = this.g('lbd_real_server_up', 'real server health (1 up, 0 down; absent when unknown)', ['virtual_server', 'real_server']);
  private readonly rsLatency = this.g('lbd_real_server_check_latency_seconds', 'duration of the last health check', ['virtual_server', 'real_server']);
  private readonly rsWeight = this.g('lbd_real_server_weight', 'weight in effect', ['virtual_server', 'real_server']);
  private readonly rsActive = this.g('lbd_real_server_active_connections', 'IPVS active connections', ['virtual_server', 'real_server']);
  private readonly rsInactive = this.g('lbd_real_server_inactive_connections', 'IPVS inactive connections', ['virtual_server', 'real_server']);
  private readonly rsConns = this.c('lbd_real_server_connections_total', 'IPVS connections scheduled to this real server', ['virtual_server', 'real_server']);
  private readonly rsBytesIn = this.c('lbd_real_server_in_bytes_total', 'IPVS bytes in', ['virtual_server', 'real_server']);
  private readonly rsBytesOut = this.c('lbd_real_server_out_bytes_total', 'IPVS bytes out', ['virtual_server', 'real_server']);
  private readonly vsConns = this.c('lbd_virtual_server_connections_total', 'IPVS connections', ['virtual_server']);
  private readonly vsPktsIn = this.c('lbd_virtual_server_in_packets_total', 'IPVS packets in', ['virtual_server']);
  private readonly vsPktsOut = this.c('lbd_virtual_server_out_packets_total', 'IPVS packets out', ['virtual_server']);
  private readonly vsBytesIn = this.c('lbd_virtual_server_in_bytes_total', 'IPVS bytes in', ['virtual_server']);
  private readonly vsBytesOut = this.c('lbd_virtual_server_out_bytes_total', 'IPVS bytes out', ['virtual_server']);
  private readonly vsUp = this.g('lbd_virtual_server_real_servers_up', 'real servers up', ['virtual_server']);
  private readonly l7Up = this.g('lbd_l7_server_up', 'L7 server state (1 UP, 0 otherwise; absent when unknown)', ['backend', 'server']);

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'lbd_process_' });
  }

  update(v: StatusView): void {
    for (const m of [this.vrrpState, this.vrrpPriority, this.rsUp, this.rsLatency, this.rsWeight, this.rsActive, this.rsInactive, this.vsUp, this.l7Up, this.info]) m.reset();
    for (const m of [this.vrrpTransitions, this.advertsSent, this.advertsReceived, this.advertsDropped, this.rsConns, this.rsBytesIn, this.rsBytesOut, this.vsConns, this.vsPktsIn, this.vsPktsOut, this.vsBytesIn, this.vsBytesOut]) m.reset();
    this.info.set({ version: v.node.lbd_version, router_id: v.node.router_id }, 1);
    if (v.node.config_revision !== null) this.revision.set(v.node.config_revision);
    this.maintenance.set(v.node.maintenance ? 1 : 0);
    for (const i of v.vrrp) {
      const instance = i.name;
      for (const state of VRRP_STATES) this.vrrpState.set({ instance, state }, i.state === state ? 1 : 0);
      if (i.priority !== null) this.vrrpPriority.set({ instance }, i.priority);
      if (i.counters) {
        this.vrrpTransitions.inc({ instance }, i.counters.transitions);
        this.advertsSent.inc({ instance }, i.counters.adverts_sent);
        this.advertsReceived.inc({ instance }, i.counters.adverts_received);
        for (const [reason, n] of Object.entries(i.counters.dropped)) this.advertsDropped.inc({ instance, reason }, n);
      }
    }
    for (const vs of v.virtual_servers) {
      const virtual_server = vs.name;
      this.vsUp.set({ virtual_server }, vs.up);
      if (vs.counters) {
        this.vsConns.inc({ virtual_server }, vs.counters.conns);
        this.vsPktsIn.inc({ virtual_server }, vs.counters.inpkts);
        this.vsPktsOut.inc({ virtual_server }, vs.counters.outpkts);
        this.vsBytesIn.inc({ virtual_server }, vs.counters.inbytes);
        this.vsBytesOut.inc({ virtual_server }, vs.counters.outbytes);
      }
      for (const rs of vs.real_servers) {
        const l = { virtual_server, real_server: rs.key };
        if (rs.health !== 'unknown') this.rsUp.set(l, rs.health === 'up' ? 1 : 0);
        if (rs.last_check?.latency_ms != null) this.rsLatency.set(l, rs.last_check.latency_ms / 1000);
        this.rsWeight.set(l, rs.weight ?? rs.weight_configured);
        if (rs.active_conns !== null) this.rsActive.set(l, rs.active_conns);
        if (rs.inactive_conns !== null) this.rsInactive.set(l, rs.inactive_conns);
        if (rs.counters) {
          this.rsConns.inc(l, rs.counters.conns);
          this.rsBytesIn.inc(l, rs.counters.inbytes);
          this.rsBytesOut.inc(l, rs.counters.outbytes);
        }
      }
    }
    for (const b of v.l7.backends) for (const s of b.servers) {
      if (s.state !== 'UNKNOWN') this.l7Up.set({ backend: b.name, server: s.name }, /^UP/i.test(s.state) ? 1 : 0);
    }
  }
}

export const metricsRoutes: FastifyPluginAsync<{ ctx: AdminContext; metrics: AdminMetrics }> = async (app, { ctx, metrics }) => {
  app.get('/metrics', {
    schema: { summary: 'Prometheus metrics (text exposition format)', tags: ['metrics'], produces: ['text/plain'] },
  }, async (_req, reply) => {
    metrics.update(ctx.status.view());
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
};
