/**
 * Build, run and tear down the demo lab: a switch namespace with one bridge;
 * lb1 and lb2 running lbd (VRRP sharing the VIP, HAProxy, and LVS-DR when the
 * kernel has IPVS); three real web servers and a sorry server; a client. Each
 * node's admin UI is forwarded to a port on the host's 127.0.0.1.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, waitFor } from '../util/exec.js';
import { addBridge, addNamespace, alive, deleteNamespace, kill, plug, spawnInNamespace } from './netns.js';
import { pipeBoth } from './pipe.js';
import { demoRunning, isLbd, processesIn, readState, writeState, type DemoOptions, type DemoState } from './state.js';
import { ADMIN_PORT_IN_NS, CLIENT, NODES, REAL_SERVERS, SUBNET_PREFIX, VIP, WEB, l7Port, nodeConfig, type NodeName, type Variant, type WebName } from './topology.js';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** L4 needs kernel IPVS: present, or loadable. */
export async function detectVariant(): Promise<{ variant: Variant; reason: string }> {
  if (existsSync('/proc/net/ip_vs') || ((await run('modprobe', ['-q', 'ip_vs'])).code === 0 && existsSync('/proc/net/ip_vs')))
    return { variant: 'l4', reason: 'the kernel has IPVS: LVS-DR on the VIP port 80 with HTTP_GET checks and a sorry server, HAProxy on port 8080' };
  return {
    variant: 'l7',
    reason: 'this kernel has no IPVS (no /proc/net/ip_vs, and "modprobe ip_vs" failed), so the L4 LVS-DR variant cannot run here; ' +
      'the lab shows the L7 variant instead: HAProxy on the VIP port 80 with HTTP checks and a sorry server (backup). ' +
      'LVS-DR runs wherever the kernel has IPVS (docs/LVS-DR.md; test/vm runs it under QEMU)',
  };
}

export class AlreadyRunning extends Error {}

export interface RunningLab { state: DemoState; stop(): Promise<void> }

/** Start the lab; on any failure everything made so far is removed before the error is thrown. */
export async function startLab(opts: DemoOptions, progress: (msg: string) => void): Promise<RunningLab> {
  const previous = readState(opts.dir);
  if (demoRunning(previous)) throw new AlreadyRunning(`a demo lab is already running (pid ${previous!.pid}); use "lbctl demo status", or stop it with Ctrl-C in its terminal or "lbctl demo stop"`);
  if (previous) {
    progress('removing what a demo that did not stop cleanly left behind');
    await teardown(previous, opts.dir);
  }
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const { variant, reason } = opts.variant ? { variant: opts.variant, reason: `variant ${opts.variant} asked for by LB_DEMO_VARIANT` } : await detectVariant();
  const ns = (short: string) => `${opts.prefix}-${short}`;
  const state: DemoState = {
    pid: process.pid, variant, reason, vip: VIP, port: 80,
    namespaces: ['sw', 'lb1', 'lb2', ...Object.keys(WEB), CLIENT.name].map(ns), nodes: {}, web: {},
  };
  writeState(opts.dir, state);
  const servers: Server[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    for (const s of servers) s.close();
    await teardown(readState(opts.dir) ?? state, opts.dir);
  })());
  try {
    await buildNetwork(state, ns, variant, progress);
    progress('starting the web servers');
    for (const name of Object.keys(WEB) as WebName[]) startWeb(state, opts.dir, name, ns(name));
    writeState(opts.dir, state);
    for (const node of ['lb1', 'lb2'] as NodeName[]) {
      progress(`starting lbd on ${node}`);
      const dir = join(opts.dir, node);
      mkdirSync(join(dir, 'state'), { recursive: true });
      writeFileSync(join(dir, 'config.yaml'), nodeConfig(node, variant));
      const argv = [process.execPath, here('../cli/lbd.js'), '--config', join(dir, 'config.yaml'), '--state-dir', join(dir, 'state'),
        '--admin-listen', `http://127.0.0.1:${ADMIN_PORT_IN_NS}`];
      const log = join(dir, 'lbd.log');
      spawnInNamespace(ns(node), argv, log);
      const socket = join(dir, 'admin.sock');
      spawnInNamespace(ns(node), [process.execPath, here('relay.js'), socket, String(ADMIN_PORT_IN_NS)], join(dir, 'relay.log'));
      const port = opts.adminPort ? opts.adminPort + (node === 'lb1' ? 0 : 1) : 0;
      const server = await forward(port, socket);
      servers.push(server);
      state.nodes[node] = { ns: ns(node), address: NODES[node].address, argv, log, admin: `http://127.0.0.1:${(server.address() as { port: number }).port}/` };
      writeState(opts.dir, state);
    }
    for (const node of ['lb1', 'lb2'] as NodeName[]) {
      const n = state.nodes[node]!;
      // As long as lbd allows its VRRP engine to start: a slow machine (an emulated VM) takes minutes; a failure shows in its log at once.
      const started = await waitFor(`lbd on ${node} to start (its log: ${n.log})`, () => startOutcome(n.log), 180_000, 200);
      if (started.fatal) throw new Error(`lbd on ${node} failed to start: ${started.fatal} (its log: ${n.log})`);
      n.token = started.token;
    }
    writeState(opts.dir, state);
    progress('waiting for lb1 to take the VIP and serve through it');
    await waitFor('the VIP on lb1', async () => (await vipHolder(state)) === 'lb1', 60_000, 200);
    await waitFor('an answer through the VIP', async () => /^rs\d/.test(await request(state)), 60_000, 300);
    return { state, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function buildNetwork(state: DemoState, ns: (s: string) => string, variant: Variant, progress: (msg: string) => void): Promise<void> {
  progress(`creating namespaces ${state.namespaces.join(' ')}`);
  await addNamespace(ns('sw'));
  await addBridge(ns('sw'), 'br0');
  const hosts: [string, string][] = [['lb1', NODES.lb1.address], ['lb2', NODES.lb2.address], ...Object.entries(WEB), [CLIENT.name, CLIENT.address]];
  for (const [short, address] of hosts) {
    await addNamespace(ns(short));
    await plug(ns('sw'), 'br0', `p-${short}`, ns(short), 'eth0', `${address}/${SUBNET_PREFIX}`);
  }
  state.client = ns(CLIENT.name);
  if (variant === 'l4') {
    // LVS-DR: real servers accept packets for the VIP but never answer ARP for it (what `lbctl realserver-script` sets up).
    for (const name of [...REAL_SERVERS, 'sorry'] as WebName[]) {
      await run('ip', ['-n', ns(name), 'addr', 'add', `${VIP}/32`, 'dev', 'lo']);
      for (const [k, v] of [['arp_ignore', '1'], ['arp_announce', '2']])
        for (const dev of ['all', 'eth0']) await run('ip', ['netns', 'exec', ns(name), 'sysctl', '-qw', `net.ipv4.conf.${dev}.${k}=${v}`]);
    }
  } else {
    state.port = l7Port(variant);
  }
}

export function startWeb(state: DemoState, dir: string, name: WebName, ns: string): void {
  const w = state.web[name] ?? { ns, address: WEB[name], argv: [process.execPath, here('web-server.js'), name, WEB[name]], log: join(dir, `${name}.log`) };
  state.web[name] = w;
  spawnInNamespace(w.ns, w.argv, w.log);
}

/** Host 127.0.0.1:port → the relay's Unix socket; a busy preferred port falls back to a free one. */
async function forward(port: number, socket: string): Promise<Server> {
  const open = new Set<Socket>();
  const server = createServer((c) => {
    const u = connect(socket);
    for (const s of [c, u]) { open.add(s); s.once('close', () => open.delete(s)); }
    pipeBoth(c, u);
  });
  server.on('close', () => { for (const s of open) s.destroy(); });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE' && port) server.listen(0, '127.0.0.1', resolve); else reject(e);
    });
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

/** lbd's start as its log tells it: the one-time setup token it logs while no admin account exists, or its fatal error. */
function startOutcome(log: string): { token?: string; fatal?: string } | undefined {
  if (!existsSync(log)) return undefined;
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const token = /one-time setup token (\S+)/.exec(line)?.[1];
    if (token) return { token };
    if (/"level":60/.test(line)) return { fatal: line };
  }
  return undefined;
}

/** Which node holds the VIP right now (undefined when neither does). */
export async function vipHolder(state: DemoState): Promise<NodeName | undefined> {
  for (const node of ['lb1', 'lb2'] as NodeName[]) {
    const n = state.nodes[node];
    if (!n) continue;
    const r = await run('ip', ['-n', n.ns, '-4', '-o', 'addr', 'show', 'dev', 'eth0'], 5000);
    if (r.stdout.includes(` ${state.vip}/`)) return node;
  }
  return undefined;
}

/** One HTTP request from the client to the VIP on a new connection: the answering server's line, or the error. */
export async function request(state: DemoState): Promise<string> {
  const r = await run('ip', ['netns', 'exec', state.client!, 'curl', '-sS', '--max-time', '2', `http://${state.vip}:${state.port}/`], 5000);
  return r.code === 0 ? r.stdout.trim() : `no answer: ${r.stderr.trim() || `curl exit ${r.code}`}`;
}

/**
 * Stop lbd on each node (SIGTERM: it releases the VIP and stops HAProxy), then
 * remove every namespace with whatever still runs in it, then the run directory.
 */
export async function teardown(state: DemoState, dir: string): Promise<void> {
  const lbds: number[] = [];
  for (const n of Object.values(state.nodes)) for (const p of await processesIn(n.ns)) if (isLbd(p.cmdline)) { lbds.push(p.pid); kill(p.pid, 'SIGTERM'); }
  await waitFor('lbd to stop', () => !lbds.some(alive), 8000, 100).catch(() => undefined);
  for (const ns of [...state.namespaces].reverse()) await deleteNamespace(ns);
  rmSync(dir, { recursive: true, force: true });
}
