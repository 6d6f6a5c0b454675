import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateRaw } from '../../src/config/load.js';
import type { HttpCheck, MiscCheck } from '../../src/config/model.js';
import { mustConfig } from '../lib/config.js';
import { buildRequest } from '../../src/health/http-check.js';

const vs = (checks: unknown[], extra: Record<string, unknown> = {}) => ({
  virtual_servers: [{ address: '198.18.0.10', port: 80, delay_loop: 6, ...extra, real_servers: [{ address: '198.18.0.11', checks }] }],
});

test('keepalived defaults: warmup and misc_timeout are delay_loop; retry 1 (MISC 0); connect_timeout 5', () => {
  const cfg = mustConfig(vs([{ type: 'HTTP_GET', url: [{ path: '/' }] }, { type: 'MISC_CHECK', misc_path: '/bin/true' }]));
  const [h, m] = cfg.virtual_servers[0]!.real_servers[0]!.checks as [HttpCheck, MiscCheck];
  assert.deepEqual([h.delay_loop, h.warmup, h.retry, h.connect_timeout, h.delay_before_retry], [6, 6, 1, 5, 1]);
  assert.deepEqual([m.misc_timeout, m.retry], [6, 0]);
  assert.deepEqual(h.url[0]!.status_code, [[200, 299]]);
  const w = mustConfig(vs([{ type: 'TCP_CHECK', warmup: 0, delay_loop: 2 }]));
  assert.deepEqual([w.virtual_servers[0]!.real_servers[0]!.checks[0]!.warmup, w.virtual_servers[0]!.real_servers[0]!.checks[0]!.delay_loop], [0, 2]);
});

test('bind_if only with an IPv6 link-local connect_ip; http_protocol values are keepalived\'s', () => {
  const bad = validateRaw(vs([{ type: 'TCP_CHECK', bind_if: 'eth0' }]));
  assert.match(bad.diagnostics.map((d) => d.message).join('\n'), /bind_if names the interface of an IPv6 link-local connect_ip/);
  const ok = validateRaw(vs([{ type: 'TCP_CHECK', bind_if: 'eth0', connect_ip: 'fe80::1' }], { address: '2001:db8::10' }));
  assert.equal(ok.diagnostics.filter((d) => d.severity === 'error' && /bind_if/.test(d.message)).length, 0);
  assert.ok(validateRaw(vs([{ type: 'HTTP_GET', url: [{ path: '/' }], http_protocol: '1.0K' }])).diagnostics.length > 0);
});

test('the request: Host from the virtualhost or ADDRESS:PORT ([v6]:PORT), Connection: close for 1.0C and 1.1', () => {
  const checks = (extra: Record<string, unknown>, address = '198.18.0.10') => mustConfig({
    virtual_servers: [{ address, port: 8080, real_servers: [{ address: address.replace(/10$/, '11'), checks: [{ type: 'HTTP_GET', url: [{ path: '/a?b=1' }, { path: '/v', virtualhost: 'u.example' }], ...extra }] }] }],
  }).virtual_servers[0]!.real_servers[0]!.checks[0] as HttpCheck;
  const c = checks({});
  assert.equal(buildRequest(c, c.url[0]!).toString(), 'GET /a?b=1 HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 198.18.0.11:8080\r\n\r\n');
  assert.equal(buildRequest(c, c.url[1]!).toString(), 'GET /v HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: u.example\r\n\r\n');
  const v = checks({ virtualhost: 'www.example', http_protocol: '1.1' });
  assert.equal(buildRequest(v, v.url[0]!).toString(), 'GET /a?b=1 HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example\r\n\r\n');
  const six = checks({ http_protocol: '1.0C' }, '2001:db8::10');
  assert.equal(buildRequest(six, six.url[0]!).toString(), 'GET /a?b=1 HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: [2001:db8::11]:8080\r\n\r\n');
});
