/**
 * VRRP labs on top of Lab: lbd and keepalived nodes on one bridge, a client
 * namespace that captures traffic with tcpdump, and helpers to read what each
 * node did (transitions from lbd's JSON log, VIPs from `ip addr`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { Lab, must, waitFor } from './netns.js';
import type { VrrpInstanceStatus, VrrpStatus } from '../../src/vrrp/status.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const LBD = join(ROOT, 'dist', 'src', 'cli', 'lbd.js');
/** lbd with a command channel on stdin (lbd-harness.ts): operations, status, load. */
export const HARNESS = join(ROOT, 'dist', 'test', 'lib', 'lbd-harness.js');
/** The lab's subnet (RFC 2544 benchmarking range) and its VIPs. */
export const NET = '198.18.0';
export const VIP1 = `${NET}.100`;
export const VIP2 = `${NET}.101`;

export interface TransitionLog { instance: string; from: string; to: string; reason: string; priority: number; at: number; seen: number }

export class VrrpLab {
  readonly tmp = mkdtempSync(join(tmpdir(), 'vrrp-lab-'));
  private constructor(readonly lab: Lab) {}

  static async create(prefix = 'vr'): Promise<VrrpLab> {
    return new VrrpLab(await Lab.create(prefix));
  }

  /** A namespace on the bridge with eth0 = 198.18.0.N/24 (and an IPv6 link-local address). */
  async host(short: string, n: number): Promise<string> {
    const ns = await this.lab.addNs(short);
    await this.lab.connect(ns, 'eth0', 'br0', [`${NET}.${n}/24`]);
    return ns;
  }

  async cleanup(): Promise<void> {
    await this.lab.cleanup();
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

/** The processes in a namespace (list them ahead of a crash that must land at a precise time). */
export async function namespacePids(ns: string): Promise<number[]> {
  return (await must('ip', ['netns', 'pids', ns])).split(/\s+/).filter(Boolean).map(Number);
}

/**
 * A node crash: every process in the namespace is frozen (SIGSTOP), then killed.
 * Freezing first matters: a daemon's helper process that notices its parent die
 * (keepalived's VRRP child, lbd's engine) would otherwise send a priority-0
 * goodbye, which is a clean stop, not a crash. Returns the time of the crash.
 */
async function crashNamespace(ns: string, known?: number[]): Promise<number> {
  const pids = known ?? await namespacePids(ns);
  const t = Date.now();
  for (const pid of pids) { try { process.kill(pid, 'SIGSTOP'); } catch { /* gone */ } }
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  return t;
}

/** One lbd process in a namespace, with its log parsed as it arrives. */
export class LbdNode {
  readonly dir: string;
  readonly configFile: string;
  proc?: ChildProcess;
  lines: Record<string, unknown>[] = [];
  transitions: TransitionLog[] = [];
  private stdoutTail = '';

  /**
   * `args`: more lbd arguments (--admin-socket ...); `env`: extra environment; `uts`: lbd in its own
   * UTS namespace, so that setting the host name (console network setup) leaves the machine's alone.
   */
  constructor(readonly vl: VrrpLab, readonly ns: string, readonly name: string, readonly opts: { harness?: boolean; args?: string[]; env?: NodeJS.ProcessEnv; uts?: boolean } = {}) {
    this.dir = join(vl.tmp, name);
    this.configFile = join(this.dir, 'config.yaml');
    mkdirSync(join(this.dir, 'state'), { recursive: true });
  }

  writeConfig(config: unknown): void {
    writeFileSync(this.configFile, JSON.stringify(config, null, 2));
  }

  async start(config?: unknown): Promise<void> {
    if (config) this.writeConfig(config);
    this.lines = [];
    this.transitions = [];
    const argv = [this.opts.harness ? HARNESS : LBD, '--config', this.configFile, '--state-dir', join(this.dir, 'state'), ...(this.opts.args ?? [])];
    const p = this.vl.lab.spawn(this.ns, this.opts.uts ? 'unshare' : process.execPath, this.opts.uts ? ['--uts', process.execPath, ...argv] : argv,
      { stdio: [this.opts.harness ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.opts.env } });
    this.proc = p;
    p.stdout!.setEncoding('utf8');
    p.stdout!.on('data', (d: string) => {
      const parts = (this.stdoutTail + d).split('\n');
      this.stdoutTail = parts.pop()!;
      for (const text of parts) {
        if (!text) continue;
        let o: Record<string, unknown>;
        try { o = JSON.parse(text) as Record<string, unknown>; } catch { continue; }
        this.lines.push(o);
        if (typeof o.from === 'string' && typeof o.to === 'string' && typeof o.instance === 'string') {
          this.transitions.push({ instance: o.instance, from: o.from, to: o.to, reason: String(o.reason), priority: Number(o.priority), at: Number(o.at), seen: Date.now() });
        }
      }
    });
    p.stderr!.setEncoding('utf8');
    p.stderr!.on('data', (d: string) => { if (process.env.LAB_DEBUG) process.stderr.write(`[${this.name}] ${d}`); });
    await waitFor(`${this.name}: lbd running`, () => this.lines.some((l) => l.msg === 'lbd running') || this.exited(), 45_000); // generous: a loaded 2-core machine starts lbd in seconds, not milliseconds
    if (this.exited()) throw new Error(`${this.name}: lbd exited at start: ${this.lines.map((l) => l.msg).join(' | ')}`);
  }

  /** Send a harness command (see lbd-harness.ts). */
  command(cmd: Record<string, unknown>): void {
    this.proc!.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }

  /** The 'vrrp' status section, read through the harness. */
  async status(): Promise<VrrpStatus> {
    const mark = this.lines.length;
    this.command({ op: 'status' });
    const line = await waitFor(`${this.name} status`, () => this.lines.slice(mark).find((l) => l.msg === 'status'), 5000, 10);
    return line.status as VrrpStatus;
  }

  async instanceStatus(name: string): Promise<VrrpInstanceStatus> {
    const s = (await this.status()).instances.find((i) => i.name === name);
    if (!s) throw new Error(`${this.name}: no status for ${name}`);
    return s;
  }

  exited(): boolean { return !this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null; }

  state(instance: string): string | undefined {
    return this.transitions.filter((t) => t.instance === instance).at(-1)?.to;
  }

  async waitState(instance: string, state: string, timeoutMs = 10_000): Promise<TransitionLog> {
    return waitFor(`${this.name} ${instance} ${state} (now ${this.state(instance)})`, () => {
      const t = this.transitions.filter((x) => x.instance === instance).at(-1);
      return t?.to === state ? t : undefined;
    }, timeoutMs, 10);
  }

  /** Transitions of `instance` after index `since` (use transitions.length as a mark). */
  after(since: number, instance?: string): TransitionLog[] {
    return this.transitions.slice(since).filter((t) => !instance || t.instance === instance);
  }

  async addresses(dev = 'eth0'): Promise<string[]> {
    const out = await must('ip', ['-n', this.ns, '-o', 'addr', 'show', 'dev', dev]);
    return out.split('\n').map((l) => /inet6? (\S+)/.exec(l)?.[1]).filter((x): x is string => !!x);
  }

  async hasVip(vip: string, dev = 'eth0'): Promise<boolean> {
    return (await this.addresses(dev)).some((a) => a.split('/')[0] === vip);
  }

  /** Kill every process of the node (lbd and its VRRP engine): a crash, no goodbye. */
  async crash(pids?: number[]): Promise<number> {
    const t = await crashNamespace(this.ns, pids);
    await waitFor(`${this.name} dead`, () => this.exited(), 5000);
    return t;
  }

  /** SIGTERM to lbd: the clean stop path. Resolves when lbd exited. */
  async terminate(): Promise<number> {
    const t = Date.now();
    this.proc?.kill('SIGTERM');
    await waitFor(`${this.name} stopped`, () => this.exited(), 20_000);
    return t;
  }

  /** Rewrite the config and SIGHUP lbd; resolves when the reload was applied. */
  async reload(config: unknown): Promise<void> {
    const mark = this.lines.length;
    this.writeConfig(config);
    this.proc!.kill('SIGHUP');
    await waitFor(`${this.name} reload applied`, () => this.lines.slice(mark).some((l) => l.msg === 'applying config'), 10_000);
    // The engine answers after applying; give its log lines a moment to arrive.
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A packet capture (tcpdump -l) in a namespace, lines with kernel timestamps. */
export class Capture {
  lines: { ts: number; text: string }[] = [];
  private proc: ChildProcess;
  private tail = '';

  private constructor(vl: VrrpLab, ns: string, args: string[], realtime: boolean) {
    const cmd = ['tcpdump', '-l', '-n', '-tt', '-i', 'eth0', ...args];
    // Realtime (benchmarks): lines reach us without scheduling delay on a loaded machine.
    this.proc = realtime ? vl.lab.spawn(ns, 'chrt', ['-f', '5', ...cmd]) : vl.lab.spawn(ns, cmd[0]!, cmd.slice(1));
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stdout!.on('data', (d: string) => {
      const parts = (this.tail + d).split('\n');
      this.tail = parts.pop()!;
      for (const text of parts) {
        const m = /^(\d+\.\d+) (.*)$/.exec(text);
        if (m) this.lines.push({ ts: Number(m[1]) * 1000, text: m[2]! });
        else if (this.lines.length) this.lines[this.lines.length - 1]!.text += `\n${text}`;
      }
    });
  }

  static async start(vl: VrrpLab, ns: string, args: string[], opts: { realtime?: boolean } = {}): Promise<Capture> {
    const c = new Capture(vl, ns, args, opts.realtime ?? false);
    let err = '';
    c.proc.stderr!.setEncoding('utf8');
    c.proc.stderr!.on('data', (d: string) => { err += d; });
    await waitFor('tcpdump listening', () => err.includes('listening on'), 10_000);
    return c;
  }

  /** The first captured line matching `re` with a timestamp ≥ `since` (ms since the epoch). */
  async first(re: RegExp, since: number, timeoutMs = 10_000): Promise<{ ts: number; text: string }> {
    return waitFor(`capture of ${re}`, () => this.lines.find((l) => l.ts >= since && re.test(l.text)), timeoutMs, 10);
  }

  stop(): void {
    try { this.proc.kill('SIGTERM'); } catch { /* gone */ }
  }
}

/** Gratuitous ARP for `vip` as tcpdump prints it (keepalived's carry a broadcast target MAC, lbd's a zero one). */
export const garpRe = (vip: string) => {
  const v = vip.replace(/\./g, '\\.');
  return new RegExp(`ARP, Request who-has ${v}(?: \\([0-9a-f:]+\\))? tell ${v}`);
};

/** A config with one or more VRRP instances (keepalived key names). */
export function vrrpConfig(instances: Record<string, Record<string, unknown>>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { global: { router_id: 'lab', logging: { level: 'debug' }, ...(extra.global as object ?? {}) }, vrrp_instances: instances, ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'global')) };
}

/** keepalived (Debian's package) in a namespace, VRRP only, its console log parsed for state changes. */
export class KeepalivedNode {
  readonly dir: string;
  proc?: ChildProcess;
  log: { at: number; text: string }[] = [];
  private tail = '';

  constructor(readonly vl: VrrpLab, readonly ns: string, readonly name: string) {
    this.dir = join(vl.tmp, name);
    mkdirSync(this.dir, { recursive: true });
  }

  async start(conf: string): Promise<void> {
    const file = join(this.dir, 'keepalived.conf');
    writeFileSync(file, conf);
    for (const f of ['k.pid', 'v.pid']) rmSync(join(this.dir, f), { force: true });
    this.log = [];
    const p = this.vl.lab.spawn(this.ns, 'keepalived', ['-n', '-l', '-D', '-P', '-f', file, '-p', join(this.dir, 'k.pid'), '-r', join(this.dir, 'v.pid')]);
    this.proc = p;
    for (const s of [p.stdout!, p.stderr!]) {
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        const parts = (this.tail + d).split('\n');
        this.tail = parts.pop()!;
        for (const text of parts) this.log.push({ at: Date.now(), text });
      });
    }
    await waitFor(`${this.name}: keepalived VRRP running`, () => this.log.some((l) => /Entering (BACKUP|MASTER|FAULT) STATE/.test(l.text)) || this.exited(), 15_000);
    if (this.exited()) throw new Error(`${this.name}: keepalived exited: ${this.log.map((l) => l.text).join('\n')}`);
  }

  exited(): boolean { return !this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null; }

  state(instance: string): string | undefined {
    const re = new RegExp(`\\(${instance}\\) Entering (\\w+) STATE`);
    return this.log.map((l) => re.exec(l.text)?.[1]).filter(Boolean).at(-1);
  }

  async waitState(instance: string, state: string, timeoutMs = 10_000): Promise<void> {
    await waitFor(`${this.name} ${instance} ${state} (now ${this.state(instance)})`, () => this.state(instance) === state, timeoutMs, 10);
  }

  /** Kill every process of the node (lbd and its VRRP engine): a crash, no goodbye. */
  async crash(pids?: number[]): Promise<number> {
    const t = await crashNamespace(this.ns, pids);
    await waitFor(`${this.name} dead`, () => this.exited(), 5000);
    return t;
  }

  async terminate(): Promise<number> {
    const t = Date.now();
    this.proc?.kill('SIGTERM');
    // keepalived's VRRP child exits after its parent: wait for the whole namespace to be empty.
    await waitFor(`${this.name} stopped`, async () => this.exited() && (await must('ip', ['netns', 'pids', this.ns])).trim() === '', 15_000);
    return t;
  }
}

/** A keepalived.conf with one VRRP instance. */
export function keepalivedConf(o: { version: 2 | 3; priority: number; advertInt: number; vrid?: number; vip?: string; password?: string; state?: string; globalDefs?: string[] }): string {
  return `global_defs {
  router_id ka
  vrrp_version ${o.version}
${(o.globalDefs ?? []).map((l) => `  ${l}\n`).join('')}}
vrrp_instance VI_1 {
  state ${o.state ?? 'BACKUP'}
  interface eth0
  virtual_router_id ${o.vrid ?? 51}
  priority ${o.priority}
  advert_int ${o.advertInt}
${o.password ? `  authentication {\n    auth_type PASS\n    auth_pass ${o.password}\n  }\n` : ''}  virtual_ipaddress {
    ${o.vip ?? VIP1}/24
  }
}
`;
}
