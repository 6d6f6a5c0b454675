/**
 * Who should take traffic for a virtual server right now. The LVS reconciler
 * programs the kernel from a PoolSource; the health subsystem provides the
 * live one (health, inhibit_on_failure, sorry server, quorum, operator drain),
 * and StaticPool serves every configured real server when nothing checks them.
 */
import { EventEmitter } from 'node:events';
import type { LbKind, VirtualServer } from '../config/model.js';

export interface DesiredDest {
  address: string;
  port: number;
  weight: number;
  lb_kind: LbKind;
  uthreshold: number;
  lthreshold: number;
}

export interface PoolEvents { change: [vsName: string] }

export interface PoolSource extends EventEmitter<PoolEvents> {
  /** The destinations the kernel service(s) of `vs` should have now. */
  destinations(vs: VirtualServer): DesiredDest[];
}

/** Every configured real server at its configured weight. */
export class StaticPool extends EventEmitter<PoolEvents> implements PoolSource {
  destinations(vs: VirtualServer): DesiredDest[] {
    return vs.real_servers.map((rs) => ({
      address: rs.address, port: rs.port, weight: rs.weight, lb_kind: rs.lb_kind, uthreshold: rs.uthreshold, lthreshold: rs.lthreshold,
    }));
  }
}
