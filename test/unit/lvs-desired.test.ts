/** Config → IPVS desired state, the nftables marking script, ownership records, the real-server script. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import { errorsOf } from '../../src/config/diagnostics.js';
import type { Config } from '../../src/config/model.js';
import { desiredServices, granularityPrefix, serviceIdsOf } from '../../src/lvs/desired.js';
import { StaticPool } from '../../src/lvs/pool.js';
import { markRules, markScript } from '../../src/lvs/marks.js';
import { OwnershipStore } from '../../src/lvs/ownership.js';
import { realServerScript } from '../../src/lvs/realserver-script.js';

function config(yaml: string): Config {
  const r = parseConfigText(yaml, 'test.yaml');
  assert.deepEqual(errorsOf(r.diagnostics), []);
  return r.config!;
}

const CONFIG = `
global: { router_id: t }
virtual_server_groups:
  web-group:
    - { address: 198.18.0.20, last: 22, port: 80 }
    - { fwmark: 7 }
virtual_servers:
  - name: web
    address: 198.18.0.10
    port: 80
    protocol: TCP
    lb_algo: wrr
    lb_kind: DR
    persistence_timeout: 300
    persistence_granularity: 255.255.255.0
    real_servers:
      - { address: 198.18.0.11, weight: 3, uthreshold: 100, lthreshold: 10 }
      - { address: 198.18.0.12, port: 8080, lb_kind: NAT }
  - name: dns
    address: 2001:db8::10
    port: 53
    protocol: UDP
    lb_algo: sh
    sh_port: true
    sh_fallback: true
    ops: true
    real_servers: [{ address: 2001:db8::11 }]
  - name: web-80-443
    fwmark: 80
    mark_rules:
      - { address: 198.18.0.110, protocol: tcp, ports: [80, 443] }
      - { address: 198.18.1.0/24, protocol: udp }
    lb_algo: mh
    mh_port: true
    lb_kind: TUN
    real_servers: [{ address: 198.18.0.13 }]
  - group: web-group
    lb_algo: rr
    real_servers: [{ address: 198.18.0.14, port: 80 }]
`;

describe('virtual servers as IPVS services', () => {
  const c = config(CONFIG);
  const pool = new StaticPool();
  const [web, dns, fw, group] = c.virtual_servers;

  it('maps an address service with persistence, granularity, forwarding methods and thresholds', () => {
    assert.deepEqual(desiredServices(web!, pool.destinations(web!)), [{
      key: { family: 4, protocol: 'tcp', address: '198.18.0.10', port: 80 }, scheduler: 'wrr', flags: 0x1, timeout: 300, netmask: 24,
      destinations: [
        { address: '198.18.0.11', port: 80, forward: 'dr', weight: 3, upperThreshold: 100, lowerThreshold: 10 },
        { address: '198.18.0.12', port: 8080, forward: 'nat', weight: 1, upperThreshold: 0, lowerThreshold: 0 },
      ],
    }]);
  });

  it('maps scheduler flags and one-packet scheduling; IPv6 granularity defaults to /128', () => {
    const [d] = desiredServices(dns!, pool.destinations(dns!));
    assert.deepEqual([d!.key, d!.flags, d!.netmask], [{ family: 6, protocol: 'udp', address: '2001:db8::10', port: 53 }, 0x4 | 0x8 | 0x10, 128]);
    const [f] = desiredServices(fw!, pool.destinations(fw!));
    assert.deepEqual([f!.key, f!.scheduler, f!.flags, f!.destinations[0]!.forward, f!.destinations[0]!.port], [{ family: 4, fwmark: 80 }, 'mh', 0x10, 'tun', 0]);
  });

  it('gives a virtual_server_group one kernel service per member, all with the same destinations', () => {
    assert.deepEqual(serviceIdsOf(group!), ['tcp:198.18.0.20:80', 'tcp:198.18.0.21:80', 'tcp:198.18.0.22:80', 'fwmark:7']);
    const ds = desiredServices(group!, pool.destinations(group!));
    assert.equal(ds.length, 4);
    for (const d of ds) assert.deepEqual(d.destinations.map((x) => x.address), ['198.18.0.14']);
  });

  it('reads persistence_granularity as a mask or a prefix length', () => {
    assert.equal(granularityPrefix({ ...web!, persistence_granularity: '255.255.0.0' }), 16);
    assert.equal(granularityPrefix({ ...web!, persistence_granularity: '20' }), 20);
    assert.equal(granularityPrefix({ ...web!, persistence_granularity: undefined }), 32);
  });

  it('renders marking rules for fwmark services only, and a script that replaces the table atomically', () => {
    const rules = markRules(c.virtual_servers);
    assert.deepEqual(rules, [
      'ip daddr 198.18.0.110 tcp dport { 80, 443 } counter meta mark set 80 comment "web-80-443"',
      'ip daddr 198.18.1.0/24 meta l4proto udp counter meta mark set 80 comment "web-80-443"',
    ]);
    const script = markScript(rules);
    assert.match(script, /^table inet lbd\ndelete table inet lbd\ntable inet lbd \{\n\tchain prerouting \{\n\t\ttype filter hook prerouting priority mangle; policy accept;\n/);
    assert.equal(markScript([]), 'table inet lbd\ndelete table inet lbd\n');
    assert.doesNotMatch(script, /table (ip|ip6|inet) (?!lbd)/, 'no other table is named');
  });
});

describe('config checks the LVS subsystem relies on', () => {
  const check = (vs: string) => parseConfigText(`global: { router_id: t }\nvirtual_servers:\n  - ${vs}\n`, 'c.yaml').diagnostics.map((d) => `${d.severity}: ${d.message}`);
  it('persistence_granularity must fit the service family', () => {
    assert.deepEqual(check('{ address: 198.18.0.10, port: 80, persistence_timeout: 60, persistence_granularity: "64", real_servers: [{ address: 198.18.0.11 }] }'),
      ['error: /64 is not a prefix length for IPv4 (0-32)']);
    assert.deepEqual(check('{ address: 2001:db8::10, port: 80, persistence_timeout: 60, persistence_granularity: 255.255.255.0, real_servers: [{ address: 2001:db8::11 }] }'),
      ['error: an IPv6 service takes a prefix length (1-128), not a netmask']);
    assert.deepEqual(check('{ address: 2001:db8::10, port: 80, persistence_timeout: 60, persistence_granularity: "64", real_servers: [{ address: 2001:db8::11 }] }'), []);
  });
  it('warns that a group\'s marking rules set its first fwmark only', () => {
    const r = parseConfigText(`global: { router_id: t }
virtual_server_groups: { g: [{ fwmark: 5 }, { fwmark: 6 }] }
virtual_servers:
  - { group: g, mark_rules: [{ address: 198.18.0.10, ports: [80] }], real_servers: [{ address: 198.18.0.11 }] }
`, 'c.yaml');
    assert.deepEqual(r.diagnostics.map((d) => d.message), ["the rules set fwmark 5, the group's first; mark the group's other fwmarks yourself"]);
  });
});

describe('OwnershipStore', () => {
  it('starts empty, records and forgets services atomically, and survives a reload', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvs-own-'));
    try {
      const a = new OwnershipStore(dir);
      a.load();
      assert.deepEqual(a.ids(), []);
      a.add([['tcp:198.18.0.10:80', 'web'], ['fwmark:80', 'fw']]);
      a.remove(['fwmark:80']);
      const b = new OwnershipStore(dir);
      b.load();
      assert.deepEqual(b.ids(), ['tcp:198.18.0.10:80']);
      assert.equal(b.owner('tcp:198.18.0.10:80'), 'web');
      assert.deepEqual(JSON.parse(readFileSync(join(dir, 'lvs-owned.json'), 'utf8')), { version: 1, services: { 'tcp:198.18.0.10:80': 'web' } });
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('refuses a corrupt file instead of guessing what it owns', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvs-own-'));
    try {
      writeFileSync(join(dir, 'lvs-owned.json'), '{"version":1,"services":');
      assert.throws(() => new OwnershipStore(dir).load(), /lvs-owned\.json: not valid JSON .*move it aside/);
      writeFileSync(join(dir, 'lvs-owned.json'), '{"version":7}');
      assert.throws(() => new OwnershipStore(dir).load(), /unknown format/);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

describe('realServerScript', () => {
  it('puts IPv4 VIPs on lo as /32 with arp_ignore=1 and arp_announce=2, IPv6 as /128', () => {
    const s = realServerScript(['198.18.0.100', '2001:DB8::100']);
    assert.match(s, /^#!\/bin\/sh\n/);
    assert.match(s, /VIPS4="198\.18\.0\.100"/);
    assert.match(s, /VIPS6="2001:db8::100"/);
    assert.match(s, /arp_settings 1 2/);
    assert.match(s, /ip -4 addr replace "\$vip\/32" dev lo/);
    assert.match(s, /ip -6 addr replace "\$vip\/128" dev lo/);
    assert.throws(() => realServerScript([]), /at least one --vip/);
    assert.throws(() => realServerScript(['vip.example']), /not an IP address/);
  });
});
