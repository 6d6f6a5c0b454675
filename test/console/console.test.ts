/**
 * The text console end to end: `lbctl console` in an 80×24 tmux pane, talking
 * to a real lbd (VRRP instance, LVS-DR virtual service with HTTP checks of
 * real servers in their own namespaces) over lbd's admin socket. What the
 * console shows and does is checked against lbd's API and the kernel (`ip`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { must, waitFor } from '../lib/netns.js';
import { Tmux } from '../lib/tmux.js';
import { LbdNode, VrrpLab, VIP1 } from '../lib/vrrp-lab.js';
import { exampleConfig } from '../lib/admin.js';
import { lbctlJs } from '../lib/paths.js';

/** The example LVS-DR node with quick checks, so a server's state is known within seconds. */
const CONFIG = exampleConfig().replace('delay_loop: 5', 'delay_loop: 1').replace(/connect_timeout: 3/g, 'connect_timeout: 1')
  .replace(/retry: 3/g, 'retry: 1').replace(/delay_before_retry: 2/g, 'delay_before_retry: 1');
const HTTP_SERVER = `require('http').createServer((q, s) => s.end('ok ' + q.url)).listen(80, process.argv[1]);`;
/** The management test interface and the subnet the wizard puts on it. */
const MGMT = 'mgmt0';
const MGMT_NET = '198.18.7';

interface Env { vl: VrrpLab; lb: LbdNode; ns: string; socket: string; files: { network: string; hostname: string; resolvConf: string }; rs: ChildProcess }
let env: Env;

function api<T = any>(method: string, path: string, body?: unknown): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ socketPath: env.socket, method, path: `/api/v1${path}`, headers: data ? { 'content-type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => { try { resolve(JSON.parse(Buffer.concat(chunks).toString())); } catch (e) { reject(e); } });
    });
    req.on('error', reject);
    req.end(data);
  });
}

const ipAddr = async (dev: string) => (await must('ip', ['-n', env.ns, '-o', 'addr', 'show', 'dev', dev])).split('\n')
  .map((l) => /inet6? (\S+)/.exec(l)?.[1]).filter((x): x is string => !!x && !x.startsWith('fe80'));

/**
 * The console in a tmux pane (80×24 unless the terminal says otherwise). A node with neither saved
 * network settings nor a web account gets the first-boot setup first: skipped unless `firstBoot`.
 */
async function startConsole(opts: { env?: Record<string, string>; firstBoot?: boolean } = {}): Promise<Tmux> {
  const t = await Tmux.start([process.execPath, lbctlJs, 'console', '--socket', env.socket], { env: opts.env ?? { TERM: 'xterm-256color', LANG: 'C.UTF-8' } });
  const fresh = !existsSync(env.files.network) && !(await api<unknown[]>('GET', '/users')).length;
  if (fresh && !opts.firstBoot) {
    await t.waitFor(/This node is not set up yet/);
    await t.keys('s');
  }
  await t.waitFor(opts.firstBoot ? /This node is not set up yet/ : /Main menu\s*$/m);
  return t;
}

before(async () => {
  const vl = await VrrpLab.create('con');
  try {
    const ns = await vl.host('lb', 2);
    // A second link for the management network, with no address yet.
    await vl.lab.connect(ns, MGMT, 'br1');
    const rsNs = await vl.host('rs11', 11);
    const rs = vl.lab.spawn(rsNs, process.execPath, ['-e', HTTP_SERVER, '198.18.0.11']);
    // 198.18.0.12 has no server: its check fails.
    await vl.host('rs12', 12);
    const files = { network: join(vl.tmp, 'etc', '10-mgmt.network'), hostname: join(vl.tmp, 'etc', 'hostname'), resolvConf: join(vl.tmp, 'etc', 'resolv.conf') };
    const socket = join(vl.tmp, 'lbd.sock');
    // lbd runs as root on this shared machine: its systemctl is a stand-in that records the request
    // (a real reboot or power-off cannot be part of a test) and says "inactive" to anything else.
    const bin = join(vl.tmp, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> ${join(vl.tmp, 'systemctl.log')}\ncase "$1" in reboot|poweroff) exit 0;; *) exit 3;; esac\n`, { mode: 0o755 });
    const lb = new LbdNode(vl, ns, 'lb1', {
      uts: true, args: ['--admin-socket', socket, '--admin-listen', '127.0.0.1:0'],
      env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, LBD_MGMT_NETWORK_FILE: files.network, LBD_HOSTNAME_FILE: files.hostname, LBD_RESOLV_CONF: files.resolvConf },
    });
    writeFileSync(lb.configFile, CONFIG);
    await lb.start();
    env = { vl, lb, ns, socket, files, rs };
  } catch (e) {
    await vl.cleanup();
    throw e;
  }
});

after(async () => {
  if (env && !env.lb.exited()) await env.lb.terminate().catch(() => undefined);
  await env?.vl.cleanup();
});

test('first boot: the setup offers the web admin password with the web UI address and certificate fingerprint', { timeout: 60_000 }, async () => {
  const t = await startConsole({ firstBoot: true });
  try {
    await t.keys('2');
    const sys = await api('GET', '/system');
    const fp = String(sys.admin.tls_fingerprint_sha256);
    const screen = await t.waitFor(/Accounts:\s+none yet/);
    assert.ok(screen.includes(`Web UI:      ${sys.admin.url}`), `the URL lbd listens on (${sys.admin.url})`);
    assert.ok(screen.replace(/[\s:]+/g, '').toUpperCase().includes(fp.replace(/:/g, '').toUpperCase()), 'the whole SHA-256 fingerprint of lbd\'s certificate');
    await t.keys('Enter');
    await t.type('correct horse battery');
    await t.keys('Enter');
    await t.type('correct horse batterY');
    await t.keys('Enter');
    await t.waitFor(/the two passwords differ/);
    await t.keys('C-u');
    await t.type('correct horse battery');
    await t.keys('Enter', 'Enter');
    await t.waitFor(/Sign in to the web UI as admin/, 15_000);
    assert.deepEqual((await api('GET', '/users')).map((u: { name: string }) => u.name), ['admin']);
    await t.waitFor(/Main menu\s*$/m, 5000);
  } finally {
    await t.kill();
  }
});

test('the status screen shows the VRRP state, the VIP and each real server\'s health as lbd reports them', { timeout: 60_000 }, async () => {
  await env.lb.waitState('VI_WEB', 'MASTER', 15_000);
  const t = await startConsole();
  try {
    await t.keys('1');
    const screen = await t.waitFor(/198\.18\.0\.11:80\s+up[\s\S]*198\.18\.0\.12:80\s+DOWN/, 20_000);
    assert.match(screen, /VI_WEB\s+eth0\s+MASTER\s+150\s+\S+\s+198\.18\.0\.100/, 'instance, interface, state, priority, VIP');
    assert.match(screen, /web\s+198\.18\.0\.100:80.*1\/2 up/);
    const st = await api('GET', '/status');
    assert.equal(st.vrrp[0].state, 'MASTER');
    assert.deepEqual(st.virtual_servers[0].real_servers.map((r: { health: string }) => r.health), ['up', 'down']);
    assert.match(screen, /VI_WEB\s+\S+\s+MASTER/m, 'recent transitions list the election');
    for (const line of screen.split('\n')) assert.ok(line.length <= 80, `fits 80 columns: ${line}`);
    assert.equal(screen.split('\n').filter((l, i, a) => i < a.length - 1 || l).length <= 24, true, 'fits 24 rows');
    // Live: the stopped server's state follows without a key press.
    env.rs.kill('SIGKILL');
    await t.waitFor(/198\.18\.0\.11:80\s+DOWN/, 15_000);
  } finally {
    await t.kill();
  }
});

test('maintenance from the menu (with confirmation) makes the instance BACKUP and removes the VIP, and back', { timeout: 60_000 }, async (tc) => {
  const t = await startConsole();
  try {
    assert.ok(await env.lb.hasVip(VIP1), 'MASTER holds the VIP');
    await t.keys('4');
    await t.waitFor(/Put this node in maintenance\?/);
    await t.keys('n');
    await t.waitFor(/Maintenance unchanged/);
    assert.equal((await api('GET', '/status')).vrrp[0].state, 'MASTER', 'refusing changes nothing');

    await t.keys('4');
    await t.waitFor(/Put this node in maintenance\?/);
    const pressed = Date.now();
    await t.keys('y');
    await t.waitFor(/Maintenance on/);
    // The menu's summary line follows lbd's status without a key press.
    await t.waitFor(/VRRP VI_WEB BACKUP/, 10_000);
    tc.diagnostic(`key press to BACKUP shown on the menu: ${Date.now() - pressed} ms (includes tmux polling, 100 ms)`);
    await env.lb.waitState('VI_WEB', 'BACKUP', 10_000);
    const st = await api('GET', '/status');
    assert.equal(st.node.maintenance, true);
    assert.equal(st.vrrp[0].state, 'BACKUP');
    assert.equal(await env.lb.hasVip(VIP1), false, 'the VIP left eth0');
    await t.waitFor(/Leave maintenance/);

    await t.keys('4');
    await t.waitFor(/Take this node out of maintenance\?/);
    await t.keys('y');
    await env.lb.waitState('VI_WEB', 'MASTER', 15_000);
    assert.equal((await api('GET', '/status')).node.maintenance, false);
    assert.ok(await env.lb.hasVip(VIP1), 'the VIP is back');
  } finally {
    await t.kill();
  }
});

/** Open the network wizard and fill the static fields (interface first in the list is eth0: move to mgmt0). */
async function fillNetwork(t: Tmux, v: { address: string; prefix: string; gateway: string; dns: string; hostname: string }): Promise<void> {
  await t.keys('2');
  await t.waitFor(/Interface\s+< /);
  // Choose the interface by cycling until mgmt0 shows.
  for (let i = 0; i < 4 && !/< mgmt0/.test(await t.screen()); i++) await t.keys('Right');
  await t.waitFor(/< mgmt0/);
  await t.keys('Down');
  for (let i = 0; i < 2 && !/Addressing\s+< static/.test(await t.screen()); i++) await t.keys('Right');
  await t.keys('Down');
  for (const [text] of [[v.address], [v.prefix], [v.gateway], [v.dns], [v.hostname]] as const) {
    await t.keys('C-u');
    await t.type(text);
    await t.keys('Enter');
  }
}

test('the network wizard refuses a bad address and a bad prefix with a message and changes nothing', { timeout: 60_000 }, async () => {
  const before = await ipAddr(MGMT);
  const t = await startConsole();
  try {
    await t.keys('2');
    await t.waitFor(/Interface\s+< /);
    for (let i = 0; i < 4 && !/< mgmt0/.test(await t.screen()); i++) await t.keys('Right');
    await t.keys('Down', 'Down', 'C-u');
    await t.type(`${MGMT_NET}.300`);
    await t.keys('Enter');
    await t.waitFor(/"198\.18\.7\.300" is not an IPv4 or IPv6 address/);
    assert.match(await t.screen(), /Address\s+\[198\.18\.7\.300/, 'the focus stays on the bad field');
    await t.keys('C-u');
    await t.type(`${MGMT_NET}.10`);
    await t.keys('Enter', 'C-u');
    await t.type('33');
    await t.keys('Enter');
    await t.waitFor(/prefix 33 is out of range: 1 to 32 for IPv4/);
    // Tab over the bad prefix to the button and submit anyway: still refused, nothing sent.
    await t.keys('Down', 'Down', 'Down', 'Down', 'Enter');
    await t.waitFor(/prefix 33 is out of range/);
    assert.doesNotMatch(await t.screen(), /Apply network settings\?/);
    assert.deepEqual(await ipAddr(MGMT), before, 'no address was set');
    assert.equal(existsSync(env.files.network), false, 'no network file was written');
  } finally {
    await t.kill();
  }
  // lbd refuses the same settings on its own (the API is the last line, whoever the client is).
  const r = await api('PUT', '/system/network', { interface: MGMT, mode: 'static', address: `${MGMT_NET}.10`, prefix: 33, dns: [], hostname: 'lb1' });
  assert.match(r.message, /prefix 33 is out of range/);
  assert.deepEqual(await ipAddr(MGMT), before);
});

test('a network change that fails half-way is undone: address, route and host name as they were', { timeout: 30_000 }, async () => {
  const before = { addrs: await ipAddr(MGMT), route: await must('ip', ['-n', env.ns, 'route', 'show', 'default']), host: (await api('GET', '/system/network')).hostname };
  // The directory of the persisted files is a plain file: the first file write fails, after the kernel steps.
  const etc = dirname(env.files.network);
  writeFileSync(etc, 'not a directory\n');
  try {
    const r = await api('PUT', '/system/network', { interface: MGMT, mode: 'static', address: `${MGMT_NET}.20`, prefix: 24, gateway: `${MGMT_NET}.1`, dns: [], hostname: 'half-way' });
    assert.equal(r.statusCode, 500);
    assert.match(r.message, /^write \S+hostname failed: EEXIST.*The 3 earlier step\(s\) were undone; nothing changed\.$/);
  } finally {
    unlinkSync(etc);
  }
  assert.deepEqual(await ipAddr(MGMT), before.addrs, 'the address added first is gone again');
  assert.equal(await must('ip', ['-n', env.ns, 'route', 'show', 'default']), before.route, 'the default route is as it was');
  assert.equal((await api('GET', '/system/network')).hostname, before.host, 'the host name is as it was');
});

test('the network wizard sets the address, gateway, name server and host name, applied and persisted', { timeout: 60_000 }, async () => {
  const t = await startConsole();
  try {
    await fillNetwork(t, { address: `${MGMT_NET}.10`, prefix: '24', gateway: `${MGMT_NET}.1`, dns: `${MGMT_NET}.53`, hostname: 'lb1-mgmt' });
    // The last Enter left the host name for the button: apply.
    await t.keys('Enter');
    const plan = await t.waitFor(/Apply network settings\?/, 15_000);
    assert.match(plan, new RegExp(`add ${MGMT_NET.replace(/\./g, '\\.')}\\.10/24 to ${MGMT}`));
    await t.keys('y');
    await t.waitFor(/Network settings applied/, 20_000);
    assert.deepEqual(await ipAddr(MGMT), [`${MGMT_NET}.10/24`], 'ip addr shows the new address');
    const route = await must('ip', ['-n', env.ns, 'route', 'show', 'default']);
    assert.match(route, new RegExp(`default via ${MGMT_NET}\\.1 dev ${MGMT}`));
    assert.match(readFileSync(env.files.network, 'utf8'), new RegExp(`Name=${MGMT}[\\s\\S]*Address=${MGMT_NET}\\.10/24[\\s\\S]*Gateway=${MGMT_NET}\\.1[\\s\\S]*DNS=${MGMT_NET}\\.53`));
    assert.equal(readFileSync(env.files.hostname, 'utf8'), 'lb1-mgmt\n');
    assert.match(readFileSync(env.files.resolvConf, 'utf8'), new RegExp(`nameserver ${MGMT_NET}\\.53`));
    assert.equal((await api('GET', '/system/network')).hostname, 'lb1-mgmt', 'lbd\'s UTS namespace has the new name');
    assert.ok(await env.lb.hasVip(VIP1), 'VRRP kept its VIP on eth0 through the change');
  } finally {
    await t.kill();
  }
});

test('real servers: drain with confirmation, then enable; config: roll back a revision after seeing its diff', { timeout: 60_000 }, async () => {
  const rsAdmin = async () => (await api('GET', '/status')).virtual_servers[0].real_servers.map((r: { admin: string }) => r.admin);
  const t = await startConsole();
  try {
    await t.keys('5');
    await t.waitFor(/198\.18\.0\.11:80/);
    await t.keys('d');
    await t.waitFor(/Drain 198\.18\.0\.11:80 of web\?/);
    await t.keys('y');
    await t.waitFor(/198\.18\.0\.11:80 of web: drain done/);
    // The health subsystem publishes the operator's state right after it applied it.
    await waitFor('drain in lbd\'s status', async () => JSON.stringify(await rsAdmin()) === '["drain","enabled"]', 5000, 50);
    await t.keys('e');
    await t.waitFor(/198\.18\.0\.11:80 of web: enable done/);
    await waitFor('enabled in lbd\'s status', async () => JSON.stringify(await rsAdmin()) === '["enabled","enabled"]', 5000, 50);
    await t.keys('Escape');

    // A change made elsewhere (the web UI, a script): priority 150 → 140.
    const cur = await api('GET', '/config');
    const changed = await api('PUT', '/config', { text: cur.text.replace('priority: 150', 'priority: 140'), reason: 'test: lower priority', base_sha256: cur.sha256 });
    assert.ok(changed.revision, JSON.stringify(changed));
    await t.keys('6', '2');
    await t.waitFor(/\(running\) test: lower priority/);
    // The revision before it: its diff against the running config, then roll back to it.
    await t.keys('Down', 'Enter');
    const diff = await t.waitFor(/\+\s+priority: 150/);
    assert.match(diff, /-\s+priority: 140/);
    assert.match(diff, /VALID/);
    await t.keys('r');
    await t.waitFor(/Roll back to revision \d+\?/);
    await t.keys('y');
    await t.waitFor(/Rolled back: now revision/, 20_000);
    assert.match((await api('GET', '/config')).text, /priority: 150/);
    assert.equal((await api('GET', '/config/history'))[0].reason, `rollback to revision ${changed.revision - 1} from the console`);
  } finally {
    await t.kill();
  }
});

test('on a serial terminal (vt220, no UTF-8 locale) the console draws 7-bit ASCII only', { timeout: 30_000 }, async () => {
  const t = await startConsole({ env: { TERM: 'vt220', LC_ALL: 'C' } });
  try {
    await t.keys('1');
    const screen = await t.waitFor(/VI_WEB\s+eth0\s+MASTER/, 10_000);
    assert.match(screen, /^ lb-appliance \| /m, 'ASCII separators in the header');
    assert.ok([...screen].every((c) => c.charCodeAt(0) < 0x80), `only ASCII on screen:\n${screen}`);
  } finally {
    await t.kill();
  }
});

test('logs follow lbd\'s log live; diagnostics: a refused target is explained, TCP connect and HTTP GET report what answered', { timeout: 45_000 }, async () => {
  // A web server on the test's own loopback, where the console (not in a namespace) runs.
  const server = createServer((_q, s) => { s.setHeader('x-lab', 'console'); s.end('hello from the lab\n'); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const t = await startConsole();
  try {
    await api('POST', '/ops/maintenance', { on: false, reason: 'log marker ab3' });
    await t.keys('8');
    await t.waitFor(/log marker ab3/);
    await t.keys('f');
    await t.waitFor(/stop following/);
    // Something lbd logs now, through the API: it appears without a key press.
    await api('POST', '/ops/maintenance', { on: false, reason: 'log marker zq7' });
    await t.waitFor(/log marker zq7/, 10_000);
    await t.keys('Escape', '9');
    await t.waitFor(/Test\s+< ping/);
    await t.keys('Right', 'Down');
    await t.type('127.0.0.1');
    await t.keys('Enter');
    await t.waitFor(/"127\.0\.0\.1" is not HOST:PORT/);
    await t.type(`:${port}`);
    await t.keys('Enter', 'Enter');
    await t.waitFor(new RegExp(`connected to 127\\.0\\.0\\.1 port ${port} from 127\\.0\\.0\\.1:\\d+ in [\\d.]+ ms`), 10_000);
    await t.keys('Up', 'Up', 'Right', 'Down', 'C-u');
    await t.type(`http://127.0.0.1:${port}/x`);
    await t.keys('Enter', 'Enter');
    const screen = await t.waitFor(/hello from the lab/, 10_000);
    assert.match(screen, /HTTP\/1\.1 200 OK in [\d.]+ ms from 127\.0\.0\.1/);
    assert.match(screen, /x-lab: console/);
  } finally {
    await t.kill();
    server.close();
  }
});

test('reboot and shut down ask first, naming what this node is MASTER for; only a yes reaches systemd', { timeout: 30_000 }, async () => {
  const requests = () => (existsSync(join(env.vl.tmp, 'systemctl.log')) ? readFileSync(join(env.vl.tmp, 'systemctl.log'), 'utf8').split('\n').filter((l) => /^(reboot|poweroff)/.test(l)) : []);
  const host = String((await api('GET', '/status')).node.hostname).replace(/\./g, '\\.');
  const t = await startConsole();
  try {
    await t.keys('0');
    await t.waitFor(/Reboot this node/);
    await t.keys('r');
    const ask = await t.waitFor(new RegExp(`Reboot ${host} now\\?`));
    assert.match(ask, /It is MASTER for VI_WEB: a peer takes over/);
    await t.keys('n');
    await t.waitFor(/Reboot cancelled/);
    await t.keys('0');
    await t.waitFor(/Shut down \(power off\) this node/);
    await t.keys('s');
    await t.waitFor(new RegExp(`Shut down ${host} now\\?`));
    await t.keys('Escape');
    await t.waitFor(/Shut down cancelled/);
    assert.deepEqual(requests(), [], 'no and Esc asked systemd for nothing');
    await t.keys('0', 's');
    await t.waitFor(new RegExp(`Shut down ${host} now\\?`));
    await t.keys('y');
    await t.waitFor(/Shut down requested/, 10_000);
    assert.deepEqual(requests(), ['poweroff']);
  } finally {
    await t.kill();
  }
});
