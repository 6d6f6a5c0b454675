import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../src/config/load.js';
import { elementsFile, firewallElements, syncScript } from '../../src/firewall/elements.js';

const config = (yaml: string) => {
  const r = parseConfigText(yaml);
  assert.ok(r.config, JSON.stringify(r.diagnostics));
  return r.config;
};

test('firewall elements: unicast peers by family; L4 services, port 0 as all ports; mark_rules; L7 binds, "*" on every VIP', () => {
  const e = firewallElements(config(`
vrrp_instances:
  VI_4: { interface: eth0, virtual_router_id: 1, priority: 100, unicast_peer: [198.18.0.2, 198.18.0.3], virtual_ipaddress: [198.18.0.100/24] }
  VI_6: { interface: eth0, virtual_router_id: 2, priority: 100, unicast_peer: ["2001:db8::2"], virtual_ipaddress: ["2001:db8::100/64"] }
virtual_servers:
  - { address: 198.18.0.100, port: 80, protocol: TCP, real_servers: [] }
  - { address: 198.18.0.100, port: 0, protocol: UDP, persistence_timeout: 60, real_servers: [] }
  - { address: "2001:db8::100", port: 443, protocol: TCP, real_servers: [] }
  - fwmark: 7
    mark_rules:
      - { address: 198.18.1.0/24, protocol: tcp, ports: [80, 443] }
      - { address: 198.18.0.101, protocol: udp }
    real_servers: []
l7:
  frontends:
    www: { engine: haproxy, bind: ["*:8443", "198.18.0.102:80", "[2001:db8::102]:80"], default_backend: app }
  backends:
    app: { servers: [{ name: a1, address: 198.18.0.11, port: 80 }] }
`));
  assert.deepEqual(e, {
    lbd_vrrp_peers4: ['198.18.0.2', '198.18.0.3'],
    lbd_vrrp_peers6: ['2001:db8::2'],
    lbd_vip_services4: [
      '198.18.0.100 . tcp . 80', '198.18.0.100 . tcp . 8443', '198.18.0.100 . udp . 0-65535', '198.18.0.101 . udp . 0-65535',
      '198.18.0.102 . tcp . 80', '198.18.1.0/24 . tcp . 443', '198.18.1.0/24 . tcp . 80',
    ],
    lbd_vip_services6: ['2001:db8::100 . tcp . 443', '2001:db8::100 . tcp . 8443', '2001:db8::102 . tcp . 80'],
  });
  // Live: lbd's sets (and only those) emptied and refilled in one transaction; the file only adds.
  const script = syncScript(e);
  assert.match(script, /^flush set inet lb_filter lbd_vrrp_peers4\nflush set inet lb_filter lbd_vrrp_peers6\nflush set inet lb_filter lbd_vip_services4\nflush set inet lb_filter lbd_vip_services6\n/);
  assert.match(script, /^add element inet lb_filter lbd_vrrp_peers4 \{ 198\.18\.0\.2, 198\.18\.0\.3 \}$/m);
  assert.doesNotMatch(script, /set inet lb_filter (vrrp_peers|vip_services)/, 'the operator\'s sets are not named');
  assert.doesNotMatch(elementsFile(e), /flush/);
});

test('a config with nothing to let in empties lbd\'s sets and adds nothing', () => {
  const e = firewallElements(config('global: { router_id: x }\n'));
  assert.deepEqual(Object.values(e).flat(), []);
  assert.equal(syncScript(e).split('\n').filter((l) => l.startsWith('add')).length, 0);
  assert.equal(elementsFile(e).split('\n').filter((l) => l.startsWith('add')).length, 0);
});
