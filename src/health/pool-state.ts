/**
 * Who takes traffic for one virtual server, from the health of its real servers,
 * operator overrides, quorum and the sorry server, with keepalived's rules:
 *
 * - A real server serves when every check passes and no operator disabled it.
 *   One that does not serve leaves the pool, or stays at weight 0 with
 *   inhibit_on_failure. It serves with its configured weight, or the weight an
 *   operator set, or the one misc_dynamic asked for; drained, it serves at 0.
 * - Quorum: the summed weight of serving servers. It is gained at
 *   quorum + hysteresis and lost below quorum − hysteresis (or at 0).
 * - Without quorum, a sorry server (weight 1) replaces the real servers; those
 *   with inhibit_on_failure stay at weight 0. sorry_server_inhibit keeps the
 *   sorry server in the service at weight 0 while it is not needed.
 *
 * Pure state: no timers, sockets or logs, so the rules are tested directly.
 */
import type { RealServer, VirtualServer } from '../config/model.js';
import type { DesiredDest } from '../lvs/pool.js';
import { CheckState } from './check-state.js';

export interface Overrides {
  /** Serve at weight 0: no new connections, established ones continue. */
  drain?: boolean;
  /** Maintenance: out of the pool whatever its health. */
  disabled?: boolean;
  /** Replaces the configured (and misc_dynamic) weight. */
  weight?: number;
}

/** The sorry server's weight while it serves, as keepalived gives it. */
export const SORRY_WEIGHT = 1;

export class RealServerState {
  alive: boolean;
  /** Epoch ms of the last alive change (or of creation). */
  since: number;
  /** Why the server is in its current state, for logs and status. */
  reason: string;
  overrides: Overrides = {};
  /** The state is assumed (start, reload), not yet confirmed by every check. */
  provisional: boolean;

  constructor(public rs: RealServer, public checks: CheckState[], now: number, reason?: string) {
    this.alive = this.checksPass();
    this.since = now;
    this.provisional = rs.checks.length > 0;
    this.reason = reason ?? (rs.checks.length === 0 ? 'no checks configured' : this.alive ? 'assumed up at start (alpha is off)' : 'down at start until its checks pass (alpha)');
  }

  checksPass(): boolean { return this.checks.every((c) => c.up); }

  /** In the pool with a weight (0 when drained). */
  get serving(): boolean { return this.alive && !this.overrides.disabled; }

  /** The weight it serves with. misc_dynamic checks: the lowest weight any of them asked for. */
  get weight(): number {
    if (this.overrides.drain) return 0;
    if (this.overrides.weight !== undefined) return this.overrides.weight;
    let dyn: number | undefined;
    for (const c of this.checks) if (c.weight !== undefined && (dyn === undefined || c.weight < dyn)) dyn = c.weight;
    return dyn ?? this.rs.weight;
  }
}

export type QuorumChange = 'gained' | 'lost' | null;

export class VirtualServerPool {
  servers = new Map<string, RealServerState>();
  quorumUp = false;

  constructor(public vs: VirtualServer) {}

  /** Summed weight of the servers that serve. */
  liveWeight(): number {
    let sum = 0;
    for (const s of this.servers.values()) if (s.serving) sum += s.weight;
    return sum;
  }

  /** The state at start (keepalived: quorum is up when the live weight reaches quorum + hysteresis). */
  initQuorum(): void {
    this.quorumUp = this.liveWeight() >= this.vs.quorum + this.vs.hysteresis;
  }

  /** Re-evaluate quorum after any change of health, weight or override. */
  updateQuorum(): QuorumChange {
    const sum = this.liveWeight();
    if (!this.quorumUp && sum >= this.vs.quorum + this.vs.hysteresis) {
      this.quorumUp = true;
      return 'gained';
    }
    if (this.quorumUp && (sum === 0 || sum < this.vs.quorum - this.vs.hysteresis)) {
      this.quorumUp = false;
      return 'lost';
    }
    return null;
  }

  get sorryActive(): boolean { return !!this.vs.sorry_server && !this.quorumUp; }

  destinations(): DesiredDest[] {
    const out: DesiredDest[] = [];
    const sorry = this.sorryActive;
    for (const s of this.servers.values()) {
      const rs = s.rs;
      // Disabled means out, even with inhibit_on_failure: that is the difference from drain.
      const weight = s.serving && !sorry ? s.weight : rs.inhibit_on_failure && !s.overrides.disabled ? 0 : -1;
      if (weight >= 0) out.push({ address: rs.address, port: rs.port, weight, lb_kind: rs.lb_kind, uthreshold: rs.uthreshold, lthreshold: rs.lthreshold });
    }
    const ss = this.vs.sorry_server;
    if (ss && (sorry || this.vs.sorry_server_inhibit))
      out.push({ address: ss.address, port: ss.port, weight: sorry ? SORRY_WEIGHT : 0, lb_kind: ss.lb_kind, uthreshold: 0, lthreshold: 0 });
    return out;
  }
}

/** A stable text form of a destination list, to tell whether a change must be announced. */
export function destinationsKey(d: DesiredDest[]): string {
  let k = '';
  for (const x of d) k += `${x.address}|${x.port}|${x.weight}|${x.lb_kind}|${x.uthreshold}|${x.lthreshold};`;
  return k;
}
