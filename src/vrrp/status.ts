/** The 'vrrp' section of the status hub: what the API, UI, console and metrics read. */
import type { Family } from '../util/ip.js';
import type { InstanceCounters, Transition, VrrpState } from './instance.js';
import type { JitterStats } from './jitter.js';
import type { DropReason } from './packet.js';
import type { GroupState } from './sync-group.js';
import type { TrackedItem } from './trackers.js';

export type { InstanceCounters, Transition, VrrpState, JitterStats, DropReason, TrackedItem, GroupState };

export interface VrrpInstanceStatus {
  name: string;
  interface: string;
  family: Family;
  vrid: number;
  version: 2 | 3;
  state: VrrpState;
  basePriority: number;
  effectivePriority: number;
  /** Seconds. */
  advertInt: number;
  /** The master's interval as learned from its adverts (VRRPv3), seconds. */
  masterAdvertInt: number;
  /** 3 × master advert interval + skew, seconds. */
  masterDownInterval: number;
  /** The current master's address (ours when MASTER); null when unknown. */
  masterAddress: string | null;
  /** The address our adverts go out from. */
  sourceAddress: string | null;
  /** Multicast group, or the unicast peers. */
  destinations: string[];
  /** Configured VIPs as ADDRESS/PREFIX (dev DEV when not the instance's interface). */
  vips: string[];
  /** VIPs currently on this node. */
  vipsHeld: string[];
  syncGroup: string | null;
  /** Why the instance is in FAULT (empty otherwise). */
  faults: string[];
  lastTransition: Transition | null;
  counters: InstanceCounters;
  /** Lateness of our advert timer against its schedule (MASTER only). */
  jitter: JitterStats;
  trackers: TrackedItem[];
}

export interface VrrpSyncGroupStatus { name: string; state: GroupState; members: string[] }

export interface VrrpSocketStatus { interface: string; family: Family; dropped: Partial<Record<DropReason, number>> }

/** What the engine (child process) reports. */
export interface VrrpEngineStatus {
  maintenance: boolean;
  instances: VrrpInstanceStatus[];
  syncGroups: VrrpSyncGroupStatus[];
  /** Packets dropped before any instance could claim them (unknown VRID, runt packets). */
  sockets: VrrpSocketStatus[];
  externalTrackers: Record<string, boolean>;
  /** How the engine is scheduled (e.g. "SCHED_RR 10", "nice -15"). */
  scheduling: string;
}

/** The published 'vrrp' section. */
export interface VrrpStatus extends VrrpEngineStatus {
  engine: {
    running: boolean;
    pid: number | null;
    /** Restarts after a crash since lbd started. */
    restarts: number;
    startedAt: string | null;
    lastExit: string | null;
  };
}
