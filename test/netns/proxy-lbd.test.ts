/**
 * Two lbd nodes on one machine, each in its own namespace with its own state
 * dir, running HAProxy and Nginx frontends on a VIP neither holds at first
 * (lbd enables ip_nonlocal_bind in its namespace). The VIP is moved by hand
 * (VRRP is another subsystem): whichever node holds it serves at once. A
 * SIGHUP applies an edited config; SIGTERM leaves no proxy behind.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { Lab, run, waitFor } from '../lib/netns.js';
import { tempDir } from '../lib/proxy.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const VIP = '198.18.0.120';
let lab: Lab, dir: string;
const ns: Record<string, string> = {};
const lbd: Record<string, { proc: ChildProcess; log: string[]; config: string; state: string }> = {};

const BACKEND = `
const http = require('http');
for (const [addr, name] of [['198.18.0.21', 'app1'], ['198.18.0.22', 'app2']])
  http.createServer((q, r) => r.end(name)).listen(8080, addr);`;

function config(node: string, weights: [number, number]): string {
  return `global:
  router_id: ${node}
l7:
  frontends:
    www:
      engine: haproxy
      bind: ["${VIP}:80"]
      default_backend: app
      probe: { interval: 0.5, rise: 1 }
    www-nginx:
      engine: nginx
      bind: ["${VIP}:8080"]
      default_backend: app
      probe: { interval: 0.5, rise: 1 }
  backends:
    app:
      check: { type: http, path: /, inter: 0.5 }
      servers:
        - { name: app1, address: 198.18.0.21, port: 8080, weight: ${weights[0]} }
        - { name: app2, address: 198.18.0.22, port: 8080, weight: ${weights[1]} }
`;
}

async function curl(url: string): Promise<string> {
  const r = await lab.exec(ns.client!, 'curl', ['-sS', '--max-time', '3', url], 10_000);
  return r.code === 0 ? r.stdout : `error: ${r.stderr.trim()}`;
}

before(async () => {
  lab = await Lab.create('pl7');
  for (const n of ['app', 'lb1', 'lb2', 'client']) ns[n] = await lab.addNs(n);
  await lab.connect(ns.app!, 'eth0', 'br0', ['198.18.0.21/24', '198.18.0.22/24']);
  await lab.connect(ns.lb1!, 'eth0', 'br0', ['198.18.0.11/24']);
  await lab.connect(ns.lb2!, 'eth0', 'br0', ['198.18.0.12/24']);
  await lab.connect(ns.client!, 'eth0', 'br0', ['198.18.0.50/24']);
  lab.spawn(ns.app!, 'node', ['-e', BACKEND]);
  dir = tempDir('lbd-l7-nodes');
  for (const node of ['lb1', 'lb2']) {
    const state = join(dir, node, 'state');
    mkdirSync(state, { recursive: true });
    const file = join(dir, node, 'config.yaml');
    writeFileSync(file, config(node, [1, 1]));
    const proc = lab.spawn(ns[node]!, 'node', [join(root, 'dist/src/cli/lbd.js'), '--config', file, '--state-dir', state]);
    const log: string[] = [];
    proc.stdout!.on('data', (d: Buffer) => log.push(...d.toString().split('\n').filter(Boolean)));
    proc.stderr!.on('data', (d: Buffer) => log.push(...d.toString().split('\n').filter(Boolean).map((l) => `stderr: ${l}`)));
    proc.on('exit', (code, signal) => log.push(`exited: ${code ?? signal}`));
    lbd[node] = { proc, log, config: file, state };
  }
});

after(async () => {
  for (const l of Object.values(lbd)) if (l.proc.exitCode === null) l.proc.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await lab?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const logged = (node: string, re: RegExp) => lbd[node]!.log.some((l) => re.test(l));

test('each node runs both proxies on the VIP it does not hold yet, with its own state dir', { timeout: 60_000 }, async () => {
  const hostNonlocal = readFileSync('/proc/sys/net/ipv4/ip_nonlocal_bind', 'utf8').trim();
  for (const node of ['lb1', 'lb2']) {
    await waitFor(`${node}: both proxies serve`, () => logged(node, /haproxy serves the new config/) && logged(node, /nginx serves the new config/), 30_000, 100);
    await waitFor(`${node}: lbd running`, () => logged(node, /"msg":"lbd running"/), 30_000, 100);
    const sysctl = await lab.exec(ns[node]!, 'sysctl', ['-n', 'net.ipv4.ip_nonlocal_bind']);
    assert.equal(sysctl.stdout.trim(), '1', `${node}: lbd enabled non-local binds in its namespace`);
    for (const f of ['haproxy/haproxy.cfg', 'haproxy/haproxy.pid', 'nginx/nginx.conf', 'nginx/nginx.pid'])
      assert.ok(statSync(join(lbd[node]!.state, 'proxy', f)).isFile(), f);
    for (const f of ['haproxy/admin.sock', 'haproxy/probe-www.sock', 'nginx/ctl.sock', 'nginx/probe-www-nginx.sock'])
      assert.ok(statSync(join(lbd[node]!.state, 'proxy', f)).isSocket(), f);
    const listening = await lab.exec(ns[node]!, 'ss', ['-Htln']);
    assert.match(listening.stdout, new RegExp(`${VIP.replace(/\./g, '\\.')}:80\\b`));
    assert.match(listening.stdout, new RegExp(`${VIP.replace(/\./g, '\\.')}:8080\\b`));
  }
  assert.equal(readFileSync('/proc/sys/net/ipv4/ip_nonlocal_bind', 'utf8').trim(), hostNonlocal, 'the host namespace is untouched');
  await waitFor('both frontends healthy on lb1', () => logged('lb1', /frontend www is healthy/) && logged('lb1', /frontend www-nginx is healthy/), 15_000, 100);
});

test('the node that holds the VIP serves through it at once, on both engines', { timeout: 60_000 }, async () => {
  for (const [holder, other] of [['lb1', 'lb2'], ['lb2', 'lb1']] as const) {
    await run('ip', ['-n', ns[other]!, 'addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
    await run('ip', ['-n', ns[holder]!, 'addr', 'add', `${VIP}/24`, 'dev', 'eth0']);
    // A new owner's gratuitous ARP is VRRP's job; here the client just forgets the old one.
    await lab.exec(ns.client!, 'ip', ['neigh', 'flush', 'all']);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) { seen.add(await curl(`http://${VIP}/`)); seen.add(await curl(`http://${VIP}:8080/`)); }
    assert.deepEqual([...seen].sort(), ['app1', 'app2'], `via ${holder}`);
  }
});

test('SIGHUP applies an edited config to the proxies of that node only', { timeout: 60_000 }, async () => {
  writeFileSync(lbd.lb2!.config, config('lb2', [1, 0]));
  const before = lbd.lb2!.log.length;
  lbd.lb2!.proc.kill('SIGHUP');
  await waitFor('lb2 reloaded both proxies', () => {
    const since = lbd.lb2!.log.slice(before);
    return since.some((l) => /haproxy serves the new config/.test(l)) && since.some((l) => /nginx serves the new config/.test(l));
  }, 20_000, 100).catch((e: Error) => { throw new Error(`${e.message}; lb2's last lines:\n${lbd.lb2!.log.slice(-15).join('\n')}`); });
  for (let i = 0; i < 6; i++) {
    assert.equal(await curl(`http://${VIP}/`), 'app1');
    assert.equal(await curl(`http://${VIP}:8080/`), 'app1');
  }
  assert.ok(!lbd.lb1!.log.some((l) => /applying config/.test(l)), 'lb1 untouched');
});

test('SIGTERM stops the proxies with lbd', { timeout: 60_000 }, async () => {
  for (const node of ['lb1', 'lb2']) {
    const exited = new Promise((r) => lbd[node]!.proc.once('exit', r));
    lbd[node]!.proc.kill('SIGTERM');
    await exited;
    const pids = (await run('ip', ['netns', 'pids', ns[node]!])).stdout.split(/\s+/).filter(Boolean);
    const names = await Promise.all(pids.map((p) => run('cat', [`/proc/${p}/comm`]).then((r) => r.stdout.trim())));
    assert.deepEqual(names.filter((n) => /haproxy|nginx/.test(n)), [], `${node}: no proxy left`);
  }
});
