/** The 'lvs' section of the status hub: what the kernel holds for lbd's virtual servers. */
import type { ForwardMethod, Stats } from '../ipvs/index.js';

export interface LvsDestinationStatus {
  /** ADDRESS:PORT ([v6]:PORT). */
  id: string;
  address: string;
  port: number;
  forward: ForwardMethod;
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  activeConns: number;
  inactiveConns: number;
  persistentConns: number;
  /** Counters and the kernel's rate estimates (per second, averaged over ~2 s). */
  stats: Stats;
}

export interface LvsServiceStatus {
  /** The virtual server (config name) this kernel service belongs to. */
  virtualServer: string;
  /** tcp:198.18.0.10:80, fwmark:80, ... */
  id: string;
  /** False when the kernel does not have it (someone deleted it, or creating it failed). */
  present: boolean;
  scheduler?: string;
  persistence?: { timeout: number; netmask: number };
  stats?: Stats;
  destinations: LvsDestinationStatus[];
}

export interface LvsReconcileStatus {
  at: string;
  /** What triggered it: start, reload, pool change of a virtual server, retry. */
  reason: string;
  /** Operations sent to the kernel (each one netlink message). */
  operations: number;
  errors: string[];
  durationMs: number;
}

export interface LvsStatus {
  /** False when the kernel has no IPVS (then `error` says so). */
  available: boolean;
  error?: string;
  ipvsVersion?: string;
  /** When the kernel was last read. */
  updatedAt: string;
  pollIntervalMs: number;
  services: LvsServiceStatus[];
  lastReconcile?: LvsReconcileStatus;
  /** lbd's nftables table for fwmark services. */
  markRules: { table: string; rules: number; error?: string };
  timeouts?: { tcp: number; tcpFin: number; udp: number };
}
