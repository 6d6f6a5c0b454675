/**
 * Pieces shared by the guest scenarios that drive a director namespace: the VM's root namespace
 * as the client, lbd with its JSON log collected, ipvsadm read-backs, and counting which real
 * server answers.
 */
import type { ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { request } from 'node:http';
import { Lab, must, waitFor } from '../../lib/netns.js';
import { outPath } from './guest.js';
import { CHECKOUT } from './vm.js';

export const STATE = '/tmp/lbd-state';
export const CONFIG = '/tmp/lbd-config.yaml';

/** The VM's root namespace as the client: veth cl0 with `address`/24, its peer on the lab's switch. */
export async function connectRootClient(lab: Lab, address: string): Promise<void> {
  await must('ip', ['link', 'add', 'cl0', 'type', 'veth', 'peer', 'name', 'clp']);
  await must('ip', ['link', 'set', 'clp', 'netns', lab.switchNs]);
  await must('ip', ['-n', lab.switchNs, 'link', 'set', 'clp', 'master', 'br0', 'up']);
  await must('ip', ['addr', 'add', `${address}/24`, 'dev', 'cl0']);
  await must('ip', ['link', 'set', 'cl0', 'up']);
}

/** lbd in the director namespace, its JSON log lines collected. */
export class Lbd {
  static started = 0;
  readonly lines: Record<string, unknown>[] = [];
  readonly proc: ChildProcess;
  constructor(lab: Lab, ns: string) {
    const log = outPath(`lbd-${++Lbd.started}.log`);
    this.proc = lab.spawn(ns, 'node', [`${CHECKOUT}/dist/src/cli/lbd.js`, '--config', CONFIG, '--state-dir', STATE]);
    let buf = '';
    this.proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const text = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        appendFileSync(log, text + '\n');
        try { this.lines.push(JSON.parse(text) as Record<string, unknown>); } catch { this.lines.push({ msg: text }); }
      }
    });
    this.proc.stderr!.on('data', (d: Buffer) => { appendFileSync(log, d); this.lines.push({ stderr: d.toString() }); });
  }

  /** The first log line after `from` whose message matches. */
  async waitLog(what: RegExp, from = 0, timeoutMs = 180_000): Promise<Record<string, unknown>> {
    return waitFor(`lbd log ${what}`, () => this.lines.slice(from).find((l) => what.test(String(l.msg ?? ''))), timeoutMs, 100);
  }

  reconcileLogs(from: number): Record<string, unknown>[] {
    return this.lines.slice(from).filter((l) => /^IPVS: \d+ of \d+ operation/.test(String(l.msg ?? '')));
  }

  errors(): Record<string, unknown>[] {
    return this.lines.filter((l) => Number(l.level) >= 50 || l.stderr);
  }

  exited(): Promise<number | null> {
    return new Promise((res) => (this.proc.exitCode !== null || this.proc.signalCode !== null ? res(this.proc.exitCode) : this.proc.on('close', (c) => res(c))));
  }
}

/** Sequential HTTP GETs, each on a new connection; the body names the real server. */
export async function countResponses(address: string, port: number, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const body = await new Promise<string>((res, rej) => {
      const req = request({ host: address, port, path: '/', agent: false, timeout: 10_000 }, (r) => {
        let b = '';
        r.on('data', (d: Buffer) => { b += d.toString(); });
        r.on('end', () => res(b.trim()));
      });
      req.on('timeout', () => req.destroy(new Error(`request ${i} to ${address}:${port} timed out`)));
      req.on('error', rej);
      req.end();
    });
    counts[body] = (counts[body] ?? 0) + 1;
  }
  return counts;
}

export const ipvsadm = async (ns: string, args: string[]) => (await must('ip', ['netns', 'exec', ns, 'ipvsadm', ...args])).trimEnd();
/** ipvsadm -Ln without the header lines, nor the connection counters (TIME_WAITs expire meanwhile). */
export const table = async (ns: string) => (await ipvsadm(ns, ['-Ln'])).split('\n').slice(3).map((l) => l.trim().replace(/\s+/g, ' ').replace(/^(->.*) \d+ \d+$/, '$1'));
