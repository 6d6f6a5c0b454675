/**
 * The demo lab's shape: who lives in which namespace at which address (all in
 * 198.18.0.0/15, the benchmarking range, so nothing collides with a real
 * network), and the lbd config of each load balancer node.
 */
export type Variant = 'l4' | 'l7';
export type NodeName = 'lb1' | 'lb2';

export const VIP = '198.18.0.100';
export const SUBNET_PREFIX = 24;
export const CLIENT = { name: 'client', address: '198.18.0.50' } as const;
export const NODES: Record<NodeName, { address: string; state: 'MASTER' | 'BACKUP'; priority: number }> = {
  lb1: { address: '198.18.0.11', state: 'MASTER', priority: 150 },
  lb2: { address: '198.18.0.12', state: 'BACKUP', priority: 100 },
};
/** Real web servers, plus the sorry server that answers only when all of them are down. */
export const WEB = {
  rs1: '198.18.0.21',
  rs2: '198.18.0.22',
  rs3: '198.18.0.23',
  sorry: '198.18.0.30',
} as const;
export type WebName = keyof typeof WEB;
export const REAL_SERVERS = ['rs1', 'rs2', 'rs3'] as const;
/** Inside each lb namespace the admin UI listens here; the demo forwards a host loopback port to it. */
export const ADMIN_PORT_IN_NS = 8080;
/** The L7 frontend's port: 80 when it is the only service, 8080 next to LVS on 80. */
export const l7Port = (variant: Variant) => (variant === 'l7' ? 80 : 8080);

const indent = (text: string, n: number) => text.split('\n').map((l) => (l ? ' '.repeat(n) + l : l)).join('\n');

/** lbd's config for one node: VRRP for the VIP, LVS-DR with HTTP_GET checks (l4), an HAProxy frontend. */
export function nodeConfig(node: NodeName, variant: Variant): string {
  const n = NODES[node];
  const servers = REAL_SERVERS.map((rs) => `- { name: ${rs}, address: ${WEB[rs]}, port: 80 }`).join('\n');
  const lvs = variant === 'l4' ? `
virtual_servers:
  - name: web
    address: ${VIP}
    port: 80
    protocol: TCP
    lb_algo: rr
    lb_kind: DR
    delay_loop: 2
    sorry_server: { address: ${WEB.sorry}, port: 80 }
    real_servers:
${indent(REAL_SERVERS.map((rs) => `- address: ${WEB[rs]}
  port: 80
  checks:
    - { type: HTTP_GET, url: [{ path: /, status_code: 200 }], connect_timeout: 1, retry: 1, delay_before_retry: 1 }`).join('\n'), 6)}
` : '';
  return `# Demo lab node ${node} (written by npm run demo; removed when the demo stops).
global:
  router_id: ${node}
  logging: { level: info }

vrrp_instances:
  VI_WEB:
    state: ${n.state}
    interface: eth0
    virtual_router_id: 51
    priority: ${n.priority}
    advert_int: 1
    virtual_ipaddress:
      - ${VIP}/${SUBNET_PREFIX}
    track_proxy:
      - { frontend: www, weight: -60 }
${lvs}
l7:
  frontends:
    www:
      engine: haproxy
      mode: http
      bind: ["${VIP}:${l7Port(variant)}"]
      default_backend: web
      probe: { interval: 1, rise: 1 }
  backends:
    web:
      balance: roundrobin
      check: { type: http, path: /, inter: 1, rise: 1, fall: 2 }
      servers:
${indent(servers, 8)}
        - { name: sorry, address: ${WEB.sorry}, port: 80, backup: true }
`;
}
