#!/usr/bin/env node
/**
 * `npm run demo` (after src/demo/prepare.sh): start the demo lab, print where
 * to look and what to try, and keep it running until Ctrl-C (or SIGTERM, or
 * `lbctl demo stop`), which removes every namespace, process and VIP it made.
 */
import { AlreadyRunning, startLab, type RunningLab } from './lab.js';
import { demoOptions } from './state.js';
import { REAL_SERVERS, WEB } from './topology.js';

const say = (msg: string) => process.stdout.write(`${msg}\n`);

function banner(lab: RunningLab): string {
  const s = lab.state;
  const lines = [
    '',
    `The demo lab is running (${s.variant === 'l4' ? 'L4: LVS-DR + L7 HAProxy' : 'L7: HAProxy'}).`,
    `  why this variant: ${s.reason}`,
    `  VIP ${s.vip} shared by lb1 (MASTER, ${s.nodes.lb1!.address}) and lb2 (BACKUP, ${s.nodes.lb2!.address}) over VRRP`,
    `  real servers: ${REAL_SERVERS.map((r) => `${r} ${WEB[r]}`).join(', ')}; sorry server ${WEB.sorry}; client ${s.client}`,
    '',
    'Admin UI (open in a browser on this machine; create the first account with the one-time setup token):',
  ];
  for (const node of ['lb1', 'lb2'] as const) {
    const n = s.nodes[node]!;
    lines.push(`  ${node}: ${n.admin}setup   one-time setup token: ${n.token}`);
  }
  lines.push('', 'Try, in another terminal (as root, in this directory):',
    '  npx lbctl demo curl            requests from the client through the VIP: which server answered',
    '  npx lbctl demo stop-web rs1    stop a real server; the checks take it out',
    '  npx lbctl demo start-web rs1   and bring it back',
    '  npx lbctl demo fail lb1        kill the master: lb2 takes over the VIP',
    '  npx lbctl demo recover lb1     restart lbd on lb1: it takes the VIP back',
    '  npx lbctl demo status          who holds the VIP, what runs where',
    `  ip netns exec ${s.nodes.lb1!.ns} bash   a shell on lb1 (namespaces: ${s.namespaces.join(' ')})`,
    '',
    'Press Ctrl-C to stop the lab and remove everything it made.');
  return lines.join('\n');
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) { say('demo: run as root (it creates network namespaces)'); return 1; }
  let signalled: string | undefined;
  let wake: () => void = () => undefined;
  // Installed before anything is made: a signal during start-up ends it at the next step, and what was made is removed.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => { signalled ??= sig; wake(); });
  say('demo: starting the lab (about 20 s)');
  let lab: RunningLab;
  try {
    lab = await startLab(demoOptions(), (msg) => {
      if (signalled) throw new Error(`${signalled} during start-up`);
      say(`demo: ${msg}`);
    });
  } catch (e) {
    if (e instanceof AlreadyRunning) { say(`demo: ${e.message}`); return 1; }
    say(`demo: could not start the lab: ${(e as Error).message}\ndemo: everything it made has been removed`);
    return signalled ? 130 : 1;
  }
  if (!signalled) {
    say(banner(lab));
    await new Promise<void>((r) => { wake = r; });
  }
  say(`\ndemo: ${signalled}: stopping lbd on both nodes, removing namespaces and processes`);
  await lab.stop();
  say('demo: stopped; nothing is left behind');
  return 0;
}

main().then((code) => process.exit(code), (e: Error) => { say(`demo: ${e.stack ?? e.message}`); process.exit(1); });
