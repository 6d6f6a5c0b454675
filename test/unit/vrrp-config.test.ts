import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseYamlConfig, validateRaw } from '../../src/config/load.js';
import { errorsOf } from '../../src/config/diagnostics.js';

const vi = (extra: Record<string, unknown> = {}) => ({ interface: 'eth0', virtual_router_id: 51, virtual_ipaddress: ['198.18.0.100/24'], ...extra });
const l7 = { frontends: { web: { engine: 'haproxy', bind: ['198.18.0.100:80'], default_backend: 'app' } }, backends: { app: { servers: [{ name: 's1', address: '198.18.0.50', port: 80 }] } } };

test('track_proxy: names or {frontend, weight}, resolved to weight 0 by default', () => {
  const r = validateRaw({ vrrp_instances: { VI_1: vi({ track_proxy: ['web', { frontend: 'web2', weight: -20 }] }) }, l7: { ...l7, frontends: { ...l7.frontends, web2: { ...l7.frontends.web, bind: ['198.18.0.100:81'] } } } });
  assert.deepEqual(errorsOf(r.diagnostics), []);
  assert.deepEqual(r.config!.vrrp_instances[0]!.track_proxy, [{ frontend: 'web', weight: 0 }, { frontend: 'web2', weight: -20 }]);
});

test('track_proxy: an unknown frontend is an error at its line, with a suggestion', () => {
  const text = `vrrp_instances:
  VI_1:
    interface: eth0
    virtual_router_id: 51
    virtual_ipaddress: [198.18.0.100/24]
    track_proxy: [wbe]
l7:
  frontends:
    web: { engine: haproxy, bind: ["198.18.0.100:80"], default_backend: app }
  backends:
    app: { servers: [{ name: s1, address: 198.18.0.50, port: 80 }] }
`;
  const r = parseYamlConfig(text, 'c.yaml');
  const errs = errorsOf(r.diagnostics);
  assert.equal(errs.length, 1);
  assert.match(errs[0]!.message, /frontend "wbe" is not defined in l7\.frontends \(did you mean "web"\?\)/);
  assert.equal(errs[0]!.line, 6);
});

test('AH authentication is refused with a clear error', () => {
  const r = validateRaw({ vrrp_instances: { VI_1: vi({ authentication: { auth_type: 'AH', auth_pass: 'x' } }) } });
  assert.match(errorsOf(r.diagnostics)[0]!.message, /AH authentication is not supported by lbd.*use auth_type: PASS/);
});

test('engine scheduling: realtime by default, keepalived keywords to tune or turn it off', () => {
  assert.deepEqual(validateRaw({}).config!.global.vrrp_scheduling, { nice: -10, rt_priority: 10, rlimit_rtime_us: 500_000 });
  const r = validateRaw({ global: { vrrp_priority: 0, vrrp_rt_priority: 0, vrrp_rlimit_rtime: 20000 } });
  assert.deepEqual(r.config!.global.vrrp_scheduling, { nice: 0, rt_priority: 0, rlimit_rtime_us: 20000 });
  assert.ok(errorsOf(validateRaw({ global: { vrrp_rt_priority: 100 } }).diagnostics).length > 0);
});
