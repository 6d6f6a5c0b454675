/** The IPVS objects as this client speaks of them (kernel numbers live in constants.ts). */

export type Family = 4 | 6;
export type Protocol = 'tcp' | 'udp' | 'sctp';

/** What identifies a virtual service in the kernel: protocol + address + port, or a firewall mark. */
export type ServiceKey =
  | { family: Family; protocol: Protocol; address: string; port: number }
  | { family: Family; fwmark: number };

export interface Service {
  key: ServiceKey;
  /** rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos... whatever the kernel offers. */
  scheduler: string;
  /** IP_VS_SVC_F_* bits (SVC_F); PERSISTENT makes `timeout` and `netmask` apply. */
  flags: number;
  /** Persistence timeout in seconds (used with SVC_F.PERSISTENT). */
  timeout: number;
  /** Persistence granularity as a prefix length (32 or 128 = per client address). */
  netmask: number;
  /** Persistence engine (e.g. "sip"); none when absent. */
  pe?: string;
}

export type ForwardMethod = 'nat' | 'local' | 'tun' | 'dr' | 'bypass';
export type TunnelType = 'ipip' | 'gue' | 'gre';

export interface Tunnel {
  type: TunnelType;
  /** UDP port of GUE encapsulation. */
  port?: number;
  /** TUN_FLAG bits (checksum, remote checksum offload) for GUE/GRE. */
  flags?: number;
}

/** What identifies a destination within its service. */
export interface DestKey {
  address: string;
  port: number;
  /** The destination's own family (differs from the service's only for tunnelling); default: the service's. */
  family?: Family;
}

export interface Destination extends DestKey {
  forward: ForwardMethod;
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  tunnel?: Tunnel;
}

/** Counters since creation (or the last zero) and the kernel's 2-second rate estimates. */
export interface Stats {
  conns: number;
  inPackets: number;
  outPackets: number;
  inBytes: number;
  outBytes: number;
  cps: number;
  inPps: number;
  outPps: number;
  inBps: number;
  outBps: number;
}

export interface ServiceInfo extends Service { stats: Stats }

export interface DestinationInfo extends Destination {
  family: Family;
  activeConns: number;
  inactiveConns: number;
  persistentConns: number;
  stats: Stats;
}

/** Connection timeouts in seconds; 0 in a set means "leave unchanged". */
export interface Timeouts { tcp: number; tcpFin: number; udp: number }

export interface SyncDaemon {
  state: 'master' | 'backup';
  /** Interface the sync messages use. */
  interface: string;
  syncId: number;
  /** UDP payload size limit. */
  maxLength?: number;
  /** Multicast group (IPv4 or IPv6), port and TTL; kernel defaults when absent. */
  group?: string;
  port?: number;
  ttl?: number;
}

export interface IpvsInfo { version: string; versionCode: number; connTableSize: number }

export type Operation =
  | { op: 'add-service'; service: Service }
  | { op: 'update-service'; service: Service }
  | { op: 'delete-service'; key: ServiceKey }
  | { op: 'add-dest'; key: ServiceKey; dest: Destination }
  | { op: 'update-dest'; key: ServiceKey; dest: Destination }
  | { op: 'delete-dest'; key: ServiceKey; dest: DestKey };
