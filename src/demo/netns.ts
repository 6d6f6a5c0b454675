/**
 * The few network-namespace operations the demo lab needs. Every link is made
 * inside the switch namespace and its far end moved straight into a node's
 * namespace, so the host's own network never sees a lab interface.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { must, run } from '../util/exec.js';

export async function addNamespace(name: string): Promise<void> {
  await must('ip', ['netns', 'add', name]);
  await must('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

export async function namespaceExists(name: string): Promise<boolean> {
  return (await run('ip', ['netns', 'list'])).stdout.split('\n').some((l) => l.split(' ')[0] === name);
}

/** A bridge without STP or forward delay: its ports forward at once, like an unmanaged switch. */
export async function addBridge(ns: string, name: string): Promise<void> {
  await must('ip', ['-n', ns, 'link', 'add', name, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0']);
  await must('ip', ['-n', ns, 'link', 'set', name, 'up']);
}

/** Plug namespace `ns` into bridge `br` (in `switchNs`) as `ifname` with `cidr`. */
export async function plug(switchNs: string, br: string, port: string, ns: string, ifname: string, cidr: string): Promise<void> {
  await must('ip', ['-n', switchNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', ifname, 'netns', ns]);
  await must('ip', ['-n', switchNs, 'link', 'set', port, 'master', br, 'up']);
  await must('ip', ['-n', ns, 'addr', 'add', cidr, 'dev', ifname]);
  await must('ip', ['-n', ns, 'link', 'set', ifname, 'up']);
}

export async function namespacePids(ns: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', ns]);
  return r.code === 0 ? r.stdout.split(/\s+/).filter(Boolean).map(Number) : [];
}

export function kill(pid: number, signal: NodeJS.Signals): void {
  try { process.kill(pid, signal); } catch { /* already gone */ }
}

export const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/**
 * Start a long-running program in `ns`, detached (its own process group, so a
 * Ctrl-C in the demo's terminal reaches only the demo, which stops it in
 * order), output appended to `logFile`. Returns its pid.
 */
export function spawnInNamespace(ns: string, argv: string[], logFile: string): number {
  const fd = openSync(logFile, 'a');
  try {
    const p = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', fd, fd], detached: true });
    p.unref();
    if (!p.pid) throw new Error(`could not start ${argv[0]} in ${ns}`);
    return p.pid;
  } finally {
    closeSync(fd);
  }
}

/** Kill everything still running in the namespace, then delete it. */
export async function deleteNamespace(ns: string): Promise<void> {
  if (!(await namespaceExists(ns))) return;
  for (const pid of await namespacePids(ns)) kill(pid, 'SIGKILL');
  await run('ip', ['netns', 'del', ns]);
}
