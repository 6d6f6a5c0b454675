/**
 * Network-namespace labs for tests: unique namespace names per run, a switch
 * (bridge) in its own namespace so nothing touches the host's network, veth
 * links, processes started inside namespaces, and a cleanup that runs even
 * when a test fails or the runner is interrupted.
 */
import { spawn, execSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { must, run, waitFor, type ExecResult } from '../../src/util/exec.js';

export { must, run, waitFor, type ExecResult };

const liveLabs = new Set<Lab>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const sync = () => { for (const lab of liveLabs) lab.cleanupSync(); };
  process.on('exit', sync);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { sync(); process.exit(130); });
}

export interface Link { ns: string; ifname: string; peer: string }

export class Lab {
  readonly id: string;
  readonly switchNs: string;
  private namespaces: string[] = [];
  private procs: ChildProcess[] = [];
  private bridges = new Set<string>();
  private linkCount = 0;

  private constructor(readonly prefix: string) {
    this.id = randomBytes(3).toString('hex');
    this.switchNs = this.nsName('sw');
  }

  /** A lab with its switch namespace; `prefix` (≤ 4 chars) shows in namespace names. */
  static async create(prefix = 'lab'): Promise<Lab> {
    const lab = new Lab(prefix.slice(0, 4));
    hookExit();
    liveLabs.add(lab);
    await lab.addNs('sw');
    return lab;
  }

  nsName(short: string): string { return `${this.prefix}-${this.id}-${short}`; }

  async addNs(short: string): Promise<string> {
    const name = this.nsName(short);
    await must('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    await must('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** A bridge in the switch namespace (the lab's L2 segment). */
  async bridge(name = 'br0'): Promise<string> {
    if (!this.bridges.has(name)) {
      await must('ip', ['-n', this.switchNs, 'link', 'add', name, 'type', 'bridge']);
      // No STP/forward delay: ports forward at once, like an unmanaged switch.
      await must('ip', ['-n', this.switchNs, 'link', 'set', name, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0']);
      await must('ip', ['-n', this.switchNs, 'link', 'set', name, 'up']);
      this.bridges.add(name);
    }
    return name;
  }

  /** Connect namespace `ns` to bridge `br` with interface `ifname` and optional addresses (CIDR). */
  async connect(ns: string, ifname: string, br: string, addrs: string[] = []): Promise<Link> {
    await this.bridge(br);
    const peer = `v${this.id}${this.linkCount++}`;
    const tmp = `t${this.id}${this.linkCount}`;
    await must('ip', ['link', 'add', tmp, 'type', 'veth', 'peer', 'name', peer]);
    await must('ip', ['link', 'set', tmp, 'netns', ns]);
    await must('ip', ['-n', ns, 'link', 'set', tmp, 'name', ifname]);
    await must('ip', ['link', 'set', peer, 'netns', this.switchNs]);
    await must('ip', ['-n', this.switchNs, 'link', 'set', peer, 'master', br]);
    await must('ip', ['-n', this.switchNs, 'link', 'set', peer, 'up']);
    for (const a of addrs) await must('ip', ['-n', ns, 'addr', 'add', a, 'dev', ifname, ...(a.includes(':') ? ['nodad'] : [])]);
    await must('ip', ['-n', ns, 'link', 'set', ifname, 'up']);
    return { ns, ifname, peer };
  }

  /** Take a link down or up from the switch side (a cable pull the namespace sees as carrier loss). */
  async cable(link: Link, up: boolean): Promise<void> {
    await must('ip', ['-n', this.switchNs, 'link', 'set', link.peer, up ? 'up' : 'down']);
  }

  exec(ns: string, cmd: string, args: string[], timeoutMs = 30_000): Promise<ExecResult> {
    return run('ip', ['netns', 'exec', ns, cmd, ...args], timeoutMs);
  }

  /** Start a long-running process in `ns`; it is killed at cleanup. */
  spawn(ns: string, cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    const p = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts, detached: true });
    this.procs.push(p);
    return p;
  }

  async cleanup(): Promise<void> {
    this.cleanupSync();
  }

  /** Kill every process group we started, then delete the namespaces (synchronously, for exit hooks). */
  cleanupSync(): void {
    for (const p of this.procs) {
      if (p.pid && p.exitCode === null && p.signalCode === null) {
        try { process.kill(-p.pid, 'SIGKILL'); } catch { /* already gone */ }
      }
    }
    this.procs = [];
    // Anything else still running inside our namespaces (e.g. daemons that forked) goes too.
    for (const ns of this.namespaces) {
      try {
        const pids = shSync(`ip netns pids ${ns}`).split(/\s+/).filter(Boolean);
        for (const pid of pids) { try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ } }
      } catch { /* namespace already gone */ }
    }
    for (const ns of this.namespaces.reverse()) {
      try { shSync(`ip netns del ${ns}`); } catch { /* already gone */ }
    }
    this.namespaces = [];
    liveLabs.delete(this);
  }
}

function shSync(cmd: string): string {
  return execSync(cmd, { stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).toString();
}
