/**
 * The resolved config's virtual servers as IPVS desired state: one kernel service per
 * endpoint (address:port/protocol or fwmark; several for a virtual_server_group), each with
 * the destinations the pool wants now.
 */
import { SVC_F, serviceId, type DesiredService, type Destination, type ForwardMethod, type ServiceKey } from '../ipvs/index.js';
import type { LbKind, VirtualServer, VsEndpoint } from '../config/model.js';
import type { DesiredDest } from './pool.js';

const FORWARD: Record<LbKind, ForwardMethod> = { DR: 'dr', NAT: 'nat', TUN: 'tun' };

export function endpointKey(ep: VsEndpoint): ServiceKey {
  return ep.kind === 'fwmark'
    ? { family: ep.family, fwmark: ep.fwmark }
    : { family: ep.family, protocol: ep.protocol.toLowerCase() as 'tcp' | 'udp' | 'sctp', address: ep.address, port: ep.port };
}

/** The kernel service ids of a virtual server. */
export function serviceIdsOf(vs: VirtualServer): string[] {
  return vs.endpoints.map((ep) => serviceId(endpointKey(ep)));
}

/** persistence_granularity (a netmask such as 255.255.255.0, or a prefix length) as a prefix length. */
export function granularityPrefix(vs: VirtualServer): number {
  const g = vs.persistence_granularity;
  const max = vs.family === 4 ? 32 : 128;
  if (g === undefined) return max;
  if (/^\d+$/.test(g)) return Number(g);
  return g.split('.').reduce((n, octet) => n + (Number(octet).toString(2).match(/1/g)?.length ?? 0), 0);
}

function serviceFlags(vs: VirtualServer): number {
  let f = 0;
  if (vs.persistence_timeout !== undefined) f |= SVC_F.PERSISTENT;
  if (vs.flags.hashed) f |= SVC_F.HASHED;
  if (vs.flags.ops) f |= SVC_F.ONEPACKET;
  if (vs.flags.sh_fallback) f |= SVC_F.SH_FALLBACK;
  if (vs.flags.sh_port) f |= SVC_F.SH_PORT;
  if (vs.flags.mh_fallback) f |= SVC_F.MH_FALLBACK;
  if (vs.flags.mh_port) f |= SVC_F.MH_PORT;
  return f;
}

export function toDestination(d: DesiredDest): Destination {
  return { address: d.address, port: d.port, forward: FORWARD[d.lb_kind], weight: d.weight, upperThreshold: d.uthreshold, lowerThreshold: d.lthreshold };
}

/** The kernel services of one virtual server with the pool's destinations. */
export function desiredServices(vs: VirtualServer, dests: DesiredDest[]): DesiredService[] {
  const destinations = dests.map(toDestination);
  return vs.endpoints.map((ep) => ({
    key: endpointKey(ep),
    scheduler: vs.lb_algo,
    flags: serviceFlags(vs),
    timeout: vs.persistence_timeout ?? 0,
    netmask: granularityPrefix(vs),
    destinations,
  }));
}
