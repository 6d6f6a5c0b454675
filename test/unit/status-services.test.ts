import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servicesView } from '../../src/admin/status/services.js';
import { runToEnd } from '../../src/admin/status/steps.js';
import type { VirtualServer } from '../../src/config/model.js';
import { healthService, healthStatus, lvsDestination, lvsService, lvsStatus, realServer, stats } from '../lib/status-fixtures.js';

// Only the fields the view reads: a virtual_server_group of three endpoints with two real servers.
const group = {
  name: 'grp', lb_algo: 'wlc', lb_kind: 'DR',
  endpoints: [
    { kind: 'address', address: '198.18.0.100', port: 80, protocol: 'TCP' },
    { kind: 'fwmark', fwmark: 7, family: 4 },
    { kind: 'address', address: '198.18.0.102', port: 80, protocol: 'TCP' },
  ],
  real_servers: [
    { key: '198.18.0.11:80', address: '198.18.0.11', port: 80, weight: 2 },
    { key: '198.18.0.12:80', address: '198.18.0.12', port: 80, weight: 1 },
  ],
} as unknown as VirtualServer;

test('a server in several kernel services (a group) shows the sums of its entries; absent services count for nothing', () => {
  const lvs = lvsStatus([
    lvsService('grp', 'tcp:198.18.0.100:80', [
      lvsDestination('198.18.0.11', 80, { weight: 2, activeConns: 3, inactiveConns: 1, stats: stats({ conns: 10, cps: 1 }) }),
    ], { stats: stats({ conns: 10, inBytes: 100 }) }),
    lvsService('grp', 'fwm:7', [
      lvsDestination('198.18.0.11', 80, { weight: 2, activeConns: 4, inactiveConns: 5, stats: stats({ conns: 20, cps: 2 }) }),
      lvsDestination('198.18.0.12', 80, { weight: 1, activeConns: 6, stats: stats({ conns: 1 }) }),
    ], { stats: stats({ conns: 21, inBytes: 50 }) }),
    lvsService('grp', 'tcp:198.18.0.102:80', [lvsDestination('198.18.0.11', 80, { weight: 2, activeConns: 10, stats: stats({ conns: 5 }) })]),
    lvsService('grp', 'tcp:198.18.0.101:80', [lvsDestination('198.18.0.12', 80, { activeConns: 100 })], { present: false, stats: stats({ conns: 1000 }) }),
  ]);
  const health = healthStatus([healthService('grp', [realServer('198.18.0.11:80', true, { weight: 2 }), realServer('198.18.0.12:80', false, { disabled: true })])]);
  const [v] = runToEnd(servicesView([group], lvs, health));
  assert.deepEqual(v!.endpoints, ['198.18.0.100:80/TCP', 'fwmark 7', '198.18.0.102:80/TCP']);
  assert.deepEqual([v!.counters!.conns, v!.counters!.inbytes, v!.up, v!.total, v!.quorum_ok], [31, 150, 1, 2, true]);
  const [a, b] = v!.real_servers;
  assert.deepEqual([a!.active_conns, a!.inactive_conns, a!.counters!.conns, a!.rates!.cps, a!.weight, a!.health], [17, 6, 35, 3, 2, 'up']);
  assert.deepEqual([b!.active_conns, b!.inactive_conns, b!.counters!.conns, b!.weight, b!.health, b!.admin], [6, 0, 1, 1, 'down', 'disabled']);
});

test('without kernel or health status every configured server is there, unknown, with nulls', () => {
  const [v] = runToEnd(servicesView([group], undefined, undefined));
  assert.deepEqual([v!.counters, v!.rates, v!.up, v!.quorum_ok], [null, null, 0, null]);
  assert.deepEqual(v!.real_servers.map((r) => [r.key, r.health, r.admin, r.weight, r.active_conns, r.counters, r.last_check]),
    [['198.18.0.11:80', 'unknown', 'enabled', null, null, null, null], ['198.18.0.12:80', 'unknown', 'enabled', null, null, null, null]]);
});
