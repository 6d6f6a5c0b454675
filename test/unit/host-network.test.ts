/** The management network rules (shared by lbd and the console) and the persisted file formats. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressProblem, checkNetworkSettings, gatewayProblem, hostnameProblem, parseDns, parsePrefixLength, subnetProblem, type NetworkSettings } from '../../src/host/settings.js';
import { parseNetworkFile, parseResolvConf, renderNetworkFile, renderResolvConf } from '../../src/host/networkd.js';
import { targetProblem } from '../../src/console/diagnostics.js';
import { detectCaps } from '../../src/console/term/terminal.js';

const base: NetworkSettings = { interface: 'eth0', mode: 'static', address: '198.18.7.10', prefix: 24, gateway: '198.18.7.1', dns: ['198.18.7.53'], hostname: 'lb1' };

test('addresses: a host\'s own unicast address only, with a reason for each refusal', () => {
  assert.equal(addressProblem('198.18.7.10'), null);
  assert.equal(addressProblem('2001:db8::10'), null);
  assert.match(addressProblem('198.18.7.300')!, /is not an IPv4 or IPv6 address/);
  assert.match(addressProblem('198.18.7.10/24')!, /without "\/prefix"/);
  assert.match(addressProblem('127.0.0.2')!, /loopback/);
  assert.match(addressProblem('224.0.0.18')!, /multicast/);
  assert.match(addressProblem('169.254.1.1')!, /link-local/);
  assert.match(addressProblem('fe80::1')!, /link-local/);
  assert.match(addressProblem('::')!, /unspecified/);
  assert.match(addressProblem('')!, /required/);
});

test('prefixes: 1-32 / 1-128, digits only; network and broadcast addresses refused', () => {
  assert.equal(parsePrefixLength('24', 4), 24);
  assert.equal(parsePrefixLength('/64', 6), 64);
  assert.match(String(parsePrefixLength('33', 4)), /out of range: 1 to 32 for IPv4/);
  assert.match(String(parsePrefixLength('0', 4)), /out of range/);
  assert.match(String(parsePrefixLength('024', 4)), /must be a number/);
  assert.match(String(parsePrefixLength('2x', 4)), /must be a number/);
  assert.match(subnetProblem('198.18.7.0', 24)!, /network address/);
  assert.match(subnetProblem('198.18.7.255', 24)!, /broadcast address/);
  assert.equal(subnetProblem('198.18.7.255', 31), null, '/31 has no broadcast (RFC 3021)');
});

test('gateways: inside the subnet, same family, not the node itself; IPv6 link-local allowed', () => {
  assert.equal(gatewayProblem('198.18.7.1', '198.18.7.10', 24), null);
  assert.match(gatewayProblem('198.18.8.1', '198.18.7.10', 24)!, /outside the subnet 198\.18\.7\.0\/24/);
  assert.match(gatewayProblem('198.18.7.10', '198.18.7.10', 24)!, /own address/);
  assert.match(gatewayProblem('2001:db8::1', '198.18.7.10', 24)!, /IPv6 but the address is IPv4/);
  assert.equal(gatewayProblem('fe80::1', '2001:db8::10', 64), null);
});

test('name servers and host names', () => {
  assert.deepEqual(parseDns('198.18.7.53, 198.18.7.54'), ['198.18.7.53', '198.18.7.54']);
  assert.match(String(parseDns('1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4')), /at most 3/);
  assert.match(String(parseDns('dns.example')), /not an IPv4 or IPv6 address/);
  assert.match(String(parseDns('198.18.7.53 198.18.7.53')), /twice/);
  assert.equal(hostnameProblem('lb1.example.net'), null);
  assert.match(hostnameProblem('-lb1')!, /not starting or ending with "-"/);
  assert.match(hostnameProblem('lb_1')!, /letters, digits or "-"/);
  assert.match(hostnameProblem('10.0.0.1')!, /all-numeric/);
  assert.match(hostnameProblem('a'.repeat(65))!, /at most 64/);
});

test('whole settings: every problem with its field; DHCP takes no address', () => {
  assert.deepEqual(checkNetworkSettings(base), []);
  assert.deepEqual(checkNetworkSettings({ ...base, prefix: 33 }).map((e) => e.field), ['prefix']);
  assert.deepEqual(checkNetworkSettings({ ...base, interface: 'eth 0', hostname: '' }).map((e) => e.field).sort(), ['hostname', 'interface']);
  assert.deepEqual(checkNetworkSettings({ interface: 'eth0', mode: 'dhcp', dns: [], hostname: 'lb1' }), []);
  assert.deepEqual(checkNetworkSettings({ interface: 'eth0', mode: 'dhcp', address: '198.18.7.10', dns: [], hostname: 'lb1' }).map((e) => e.field), ['address']);
});

test('the .network file round-trips; a file lbd did not write is not guessed at', () => {
  const text = renderNetworkFile(base);
  assert.match(text, /\[Match\]\nName=eth0\n\n\[Network\]\nDHCP=no\nAddress=198\.18\.7\.10\/24\nGateway=198\.18\.7\.1\nDNS=198\.18\.7\.53\n$/);
  assert.deepEqual(parseNetworkFile(text, 'lb1'), base);
  const dhcp = { interface: 'eth0', mode: 'dhcp' as const, dns: [], hostname: 'lb1' };
  assert.deepEqual(parseNetworkFile(renderNetworkFile(dhcp), 'lb1'), dhcp);
  assert.equal(parseNetworkFile('[Match]\nName=en*\n[Network]\nDHCP=yes\n', 'lb1'), null, 'a wildcard match is not one interface');
  assert.equal(parseNetworkFile('[Match]\nName=eth0\n[Network]\nAddress=198.18.7.10/24\nAddress=198.18.7.11/24\n', 'lb1'), null, 'two addresses');
});

test('resolv.conf: name servers replaced, search and options kept', () => {
  const prev = '# managed\nsearch example.net\nnameserver 192.0.2.1\noptions timeout:2\nnameserver 192.0.2.2\n';
  const next = renderResolvConf(prev, ['198.18.7.53']);
  assert.equal(next, '# managed\nsearch example.net\noptions timeout:2\nnameserver 198.18.7.53\n');
  assert.deepEqual(parseResolvConf(next), ['198.18.7.53']);
});

test('console: diagnostics targets are checked before anything runs; serial terminals get ASCII without colour', () => {
  assert.equal(targetProblem('ping', '198.18.0.11'), null);
  assert.match(targetProblem('ping', '-f')!, /not a host name or IP address/);
  assert.equal(targetProblem('tcp', '[2001:db8::1]:443'), null);
  assert.match(targetProblem('tcp', '198.18.0.11')!, /not HOST:PORT/);
  assert.match(targetProblem('http', 'ftp://x/')!, /only http:\/\/ and https:\/\//);
  assert.deepEqual(detectCaps({ TERM: 'vt220', LANG: 'C.UTF-8' }), { unicode: false, color: false });
  assert.deepEqual(detectCaps({ TERM: 'xterm-256color', LANG: 'en_US.UTF-8' }), { unicode: true, color: true });
  assert.deepEqual(detectCaps({ TERM: 'xterm', LANG: 'C' }), { unicode: false, color: true });
  assert.deepEqual(detectCaps({ TERM: 'xterm', LANG: 'C.UTF-8', NO_COLOR: '' }), { unicode: true, color: false });
});
