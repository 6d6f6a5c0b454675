/**
 * Count netlink messages for real: an nlmon device in a namespace sees every netlink message
 * sent to or from the kernel there; tcpdump writes them to a pcap that we parse. Used to
 * prove how many IPVS commands a change costs, independently of what lbd says it sent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseMessages } from '../../../src/ipvs/netlink.js';

export interface CapturedMessage { type: number; flags: number; cmd: number }

const NLM_F_REQUEST = 1;
const COOKED_HEADER = 16; // LINKTYPE_NETLINK: a Linux cooked header before the netlink message(s)

/** Netlink messages in a pcap written from an nlmon device. */
export function readNetlinkPcap(file: string): CapturedMessage[] {
  const b = readFileSync(file);
  if (b.length < 24 || b.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error(`${file}: not a little-endian pcap`);
  if (b.readUInt32LE(20) !== 253) throw new Error(`${file}: link type ${b.readUInt32LE(20)}, not NETLINK (253)`);
  const out: CapturedMessage[] = [];
  for (let off = 24; off + 16 <= b.length;) {
    const len = b.readUInt32LE(off + 8);
    if (off + 16 + len > b.length) break; // still being written
    const data = b.subarray(off + 16 + COOKED_HEADER, off + 16 + len);
    off += 16 + len;
    for (const m of parseMessages(Buffer.from(data))) out.push({ type: m.type, flags: m.flags, cmd: m.payload[0] ?? 0 });
  }
  return out;
}

/** Requests (user space → kernel) of one generic netlink family, counted by command. */
export function countRequests(msgs: CapturedMessage[], family: number): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const m of msgs) if (m.type === family && m.flags & NLM_F_REQUEST) counts[m.cmd] = (counts[m.cmd] ?? 0) + 1;
  return counts;
}

/** A running capture on an nlmon device (created if missing) in `ns` ('' = this namespace). */
export class NetlinkCapture {
  private constructor(private readonly proc: ChildProcess, readonly file: string) {}

  static async start(ns: string, file: string, dev = 'nlmon0'): Promise<NetlinkCapture> {
    const inNs = (cmd: string[]) => (ns ? ['ip', 'netns', 'exec', ns, ...cmd] : cmd);
    const run = (cmd: string[]) => new Promise<number>((res) => spawn(cmd[0]!, cmd.slice(1), { stdio: 'ignore' }).on('close', (c) => res(c ?? 1)));
    if (await run(inNs(['ip', 'link', 'show', dev])) !== 0) {
      if (await run(inNs(['ip', 'link', 'add', dev, 'type', 'nlmon'])) !== 0) throw new Error(`cannot create nlmon device ${dev}`);
    }
    await run(inNs(['ip', 'link', 'set', dev, 'up']));
    const argv = inNs(['tcpdump', '-i', dev, '-U', '-s', '0', '-w', file]);
    const proc = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((res, rej) => {
      let err = '';
      const t = setTimeout(() => rej(new Error(`tcpdump did not start: ${err}`)), 30_000);
      proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); if (err.includes('listening on')) { clearTimeout(t); res(); } });
      proc.on('close', () => { clearTimeout(t); rej(new Error(`tcpdump exited: ${err}`)); });
    });
    return new NetlinkCapture(proc, file);
  }

  /**
   * Stop once everything sent so far is in the file: `marker` sends a message that `isMarker`
   * recognises (tcpdump may lag behind the kernel, and drops what it has not read on SIGINT).
   */
  async stop(marker: () => Promise<unknown>, isMarker: (m: CapturedMessage) => boolean, timeoutMs = 60_000): Promise<CapturedMessage[]> {
    await marker();
    const started = Date.now();
    while (!readNetlinkPcap(this.file).some(isMarker)) {
      if (Date.now() - started > timeoutMs) throw new Error(`${this.file}: the marker message never reached the capture`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise<void>((res) => { this.proc.on('close', () => res()); this.proc.kill('SIGINT'); });
    return readNetlinkPcap(this.file);
  }
}
