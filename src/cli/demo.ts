/** `lbctl demo VERB`: act on the lab `npm run demo` is running (found through its state file). */
import { alive, kill, spawnInNamespace } from '../demo/netns.js';
import { request, startWeb, teardown, vipHolder } from '../demo/lab.js';
import { demoOptions, demoRunning, isLbd, isRelay, processesIn, readState, writeState, type DemoState } from '../demo/state.js';
import { SUBNET_PREFIX, WEB, type NodeName, type WebName } from '../demo/topology.js';
import { run, waitFor } from '../util/exec.js';

const USAGE = `usage: lbctl demo VERB
  status                 who holds the VIP, what runs where, the admin UI URLs
  curl [-n N]            N requests (default 6) from the client through the VIP: which server answered
  fail lb1|lb2           kill that node's lbd and everything it runs (a crash): the other node takes the VIP
  recover lb1|lb2        start lbd again on that node
  stop-web NAME          stop a web server (${Object.keys(WEB).join(', ')})
  start-web NAME         start it again
  stop                   stop the whole lab (as Ctrl-C in the demo's terminal does)
`;

const out = (s: string) => process.stdout.write(`${s}\n`);
const nodeArg = (a: string | undefined): NodeName => {
  if (a === 'lb1' || a === 'lb2') return a;
  throw new Error(`expected lb1 or lb2, not "${a ?? ''}"`);
};
const webArg = (a: string | undefined): WebName => {
  if (a && a in WEB) return a as WebName;
  throw new Error(`expected one of ${Object.keys(WEB).join(', ')}, not "${a ?? ''}"`);
};

async function status(s: DemoState): Promise<void> {
  out(`demo lab (${s.variant}), owned by pid ${s.pid}; VIP ${s.vip} is on ${(await vipHolder(s)) ?? 'no node'}`);
  for (const [name, n] of Object.entries(s.nodes)) {
    const lbd = (await processesIn(n.ns)).some((p) => isLbd(p.cmdline));
    out(`  ${name}  ${n.address}  lbd ${lbd ? 'running' : 'NOT running'}  admin ${n.admin}`);
  }
  for (const [name, w] of Object.entries(s.web)) out(`  ${name}  ${w.address}  web server ${(await processesIn(w.ns)).length ? 'running' : 'stopped'}`);
}

async function curl(s: DemoState, args: string[]): Promise<void> {
  const n = args[0] === '-n' ? Number(args[1]) : 6;
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error('-n expects a count from 1 to 1000');
  out(`${n} requests from ${s.client} to http://${s.vip}:${s.port}/ (VIP on ${(await vipHolder(s)) ?? 'no node'}):`);
  for (let i = 1; i <= n; i++) out(`  ${i}: ${await request(s)}`);
}

async function fail(s: DemoState, node: NodeName): Promise<void> {
  const n = s.nodes[node]!;
  // Everything but the admin relay, which stands in for the host's port and is not part of the node.
  const victims = (await processesIn(n.ns)).filter((p) => !isRelay(p.cmdline));
  if (!victims.some((p) => isLbd(p.cmdline))) throw new Error(`lbd is not running on ${node}`);
  for (const p of victims) kill(p.pid, 'SIGKILL');
  // A crashed machine's addresses go with it; a killed process would leave the VIP configured in the namespace.
  await run('ip', ['-n', n.ns, 'addr', 'del', `${s.vip}/${SUBNET_PREFIX}`, 'dev', 'eth0']);
  out(`killed lbd on ${node} and all it ran (${victims.length} processes), as if the machine had crashed`);
  const other: NodeName = node === 'lb1' ? 'lb2' : 'lb1';
  const t0 = Date.now();
  const holder = await waitFor('the VIP to move', async () => { const h = await vipHolder(s); return h === other && h; }, 10_000, 100).catch(() => undefined);
  out(holder ? `VIP ${s.vip} is now on ${holder} (${((Date.now() - t0) / 1000).toFixed(1)} s after the kill)` : `VIP ${s.vip} is on ${(await vipHolder(s)) ?? 'no node'}`);
}

async function recover(s: DemoState, node: NodeName): Promise<void> {
  const n = s.nodes[node]!;
  if ((await processesIn(n.ns)).some((p) => isLbd(p.cmdline))) throw new Error(`lbd is already running on ${node}`);
  spawnInNamespace(n.ns, n.argv, n.log);
  out(`started lbd on ${node} (log: ${n.log}); it takes the VIP back once its frontend is healthy (its priority is higher)`);
}

async function stopWeb(s: DemoState, name: WebName): Promise<void> {
  const w = s.web[name]!;
  const procs = await processesIn(w.ns);
  if (!procs.length) throw new Error(`${name} is not running`);
  for (const p of procs) kill(p.pid, 'SIGKILL');
  out(`stopped ${name} (${w.address}); the health checks take it out within a few seconds`);
}

async function startWebVerb(s: DemoState, dir: string, name: WebName): Promise<void> {
  if ((await processesIn(s.web[name]!.ns)).length) throw new Error(`${name} is already running`);
  startWeb(s, dir, name, s.web[name]!.ns);
  writeState(dir, s);
  out(`started ${name}; the health checks bring it back within a few seconds`);
}

async function stop(s: DemoState, dir: string): Promise<void> {
  if (demoRunning(s)) {
    kill(s.pid, 'SIGTERM');
    await waitFor('the demo to stop', () => !alive(s.pid), 20_000, 100);
  } else {
    await teardown(s, dir); // its owner died without cleaning up
  }
  out('the demo lab is stopped');
}

export async function runDemo(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (!verb || verb === '-h' || verb === '--help') { process.stdout.write(USAGE); return verb ? 0 : 2; }
  const { dir } = demoOptions();
  const s = readState(dir);
  if (!s) { process.stderr.write('lbctl demo: no demo lab is running (start one with "npm run demo")\n'); return 1; }
  if (verb !== 'stop' && !demoRunning(s)) { process.stderr.write('lbctl demo: the demo that made this lab is gone; "lbctl demo stop" removes what it left\n'); return 1; }
  switch (verb) {
    case 'status': await status(s); break;
    case 'curl': await curl(s, rest); break;
    case 'fail': await fail(s, nodeArg(rest[0])); break;
    case 'recover': await recover(s, nodeArg(rest[0])); break;
    case 'stop-web': await stopWeb(s, webArg(rest[0])); break;
    case 'start-web': await startWebVerb(s, dir, webArg(rest[0])); break;
    case 'stop': await stop(s, dir); break;
    default: process.stderr.write(`lbctl demo: unknown verb "${verb}"\n${USAGE}`); return 2;
  }
  return 0;
}
