/**
 * What the appliance firewall (appliance/firewall/nftables.conf, table `inet lb_filter`)
 * must let in for a config: the unicast VRRP peers, and every address . protocol . port
 * a service listens on (L4 virtual servers, fwmark mark_rules, L7 frontends' binds).
 * Pure: config in, nft set elements and scripts out.
 */
import type { Config } from '../config/model.js';
import { ipFamily, parseEndpoint } from '../util/ip.js';

export const FILTER_TABLE = 'inet lb_filter';
/** lbd's own sets in that table; the operator's (vrrp_peers4, vip_services4, ...) are never touched. */
export const SETS = ['lbd_vrrp_peers4', 'lbd_vrrp_peers6', 'lbd_vip_services4', 'lbd_vip_services6'] as const;
export type SetName = typeof SETS[number];
export type Elements = Record<SetName, string[]>;

const ALL_PORTS = '0-65535';

export function firewallElements(config: Config): Elements {
  const sets: Record<SetName, Set<string>> = {
    lbd_vrrp_peers4: new Set(), lbd_vrrp_peers6: new Set(), lbd_vip_services4: new Set(), lbd_vip_services6: new Set(),
  };
  const service = (address: string, proto: string, port: number | string) => {
    const f = ipFamily(address);
    if (f) sets[f === 4 ? 'lbd_vip_services4' : 'lbd_vip_services6'].add(`${address} . ${proto} . ${port}`);
  };
  const vips: string[] = [];
  for (const vi of config.vrrp_instances) {
    for (const p of vi.unicast_peer) {
      const f = ipFamily(p);
      if (f) sets[f === 4 ? 'lbd_vrrp_peers4' : 'lbd_vrrp_peers6'].add(p);
    }
    for (const v of [...vi.virtual_ipaddress, ...vi.virtual_ipaddress_excluded]) vips.push(v.address);
  }
  for (const vs of config.virtual_servers) {
    for (const e of vs.endpoints) {
      // Port 0 is a persistent all-ports service (keepalived's "port 0").
      if (e.kind === 'addr') service(e.address, e.protocol.toLowerCase(), e.port || ALL_PORTS);
    }
    for (const r of vs.mark_rules) {
      const addr = r.prefix === (r.family === 4 ? 32 : 128) ? r.address : `${r.address}/${r.prefix}`;
      const f = r.family === 4 ? 'lbd_vip_services4' : 'lbd_vip_services6';
      if (!r.ports.length) sets[f].add(`${addr} . ${r.protocol} . ${ALL_PORTS}`);
      for (const port of r.ports) sets[f].add(`${addr} . ${r.protocol} . ${port}`);
    }
  }
  for (const fe of config.l7.frontends) {
    for (const b of fe.bind) {
      const ep = parseEndpoint(b);
      if (!ep) continue;
      // "*:PORT" listens on every address: the traffic comes to the VIPs.
      if (ep.host === '*') for (const v of vips) service(v, 'tcp', ep.port);
      else service(ep.host, 'tcp', ep.port); // a host name is not resolved here: the operator's sets cover it
    }
  }
  return Object.fromEntries(SETS.map((s) => [s, [...sets[s]].sort()])) as Elements;
}

const adds = (e: Elements) => SETS.filter((s) => e[s].length).map((s) => `add element ${FILTER_TABLE} ${s} { ${e[s].join(', ')} }\n`).join('');

/** The live update: lbd's sets emptied and refilled in one nft transaction. */
export function syncScript(e: Elements): string {
  return SETS.map((s) => `flush set ${FILTER_TABLE} ${s}\n`).join('') + adds(e);
}

/** The file the base firewall includes at every (re)load, so that a reload keeps lbd's elements. */
export function elementsFile(e: Elements): string {
  return '# Written by lbd from its running config; do not edit (it is rewritten at every apply).\n' + adds(e);
}
