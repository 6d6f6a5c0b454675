/**
 * A generic netlink socket that sends many requests in one sendmsg and matches every
 * reply to its request by sequence number (late or foreign replies are ignored). Requests
 * carry NLM_F_ACK, so each one settles exactly once: with its replies, or with its errno.
 * The socket holds the event loop only while requests are in flight.
 */
import { RawNetlinkSocket } from 'netlink';
import { NETLINK_GENERIC, NLM_F, NLMSG } from './constants.js';
import { MessageWriter, errorOf, parseMessages, readS32, type NlMessage } from './netlink.js';
import { KernelError, TransportError } from './errors.js';

export interface GenlRequest {
  family: number;
  cmd: number;
  version: number;
  dump?: boolean;
  /** Writes the request's attributes. */
  attrs?: (w: MessageWriter) => void;
}

/** One request as a netlink message: dumps ask for NLM_F_DUMP, everything else for an ACK. */
export function writeRequest(w: MessageWriter, r: GenlRequest, seq: number, pid: number): void {
  w.begin(r.family, NLM_F.REQUEST | (r.dump ? NLM_F.DUMP : NLM_F.ACK), seq, pid, r.cmd, r.version);
  r.attrs?.(w);
  w.end();
}

interface Pending {
  dump: boolean;
  replies: NlMessage[];
  resolve: (replies: NlMessage[]) => void;
  reject: (err: Error) => void;
}

export interface TransportOptions {
  /** SO_RCVBUF wish; the kernel caps it at net.core.rmem_max. */
  recvBufferSize?: number;
  /** Bound for one batch's replies (ms). */
  timeoutMs?: number;
}

export class GenlTransport {
  private readonly sock: RawNetlinkSocket;
  private readonly pid: number;
  private readonly timeoutMs: number;
  private readonly pending = new Map<number, Pending>();
  private seq = 1 + Math.floor(Math.random() * 0x7fffffff);
  private closed = false;

  constructor(opts: TransportOptions = {}) {
    const size = opts.recvBufferSize ?? 4 << 20;
    this.sock = new RawNetlinkSocket(NETLINK_GENERIC, { recvBufferSize: size, sendBufferSize: 1 << 20 });
    this.sock.unref();
    this.pid = this.sock.address().port;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.sock.on('message', (buf) => this.receive(buf));
    // ENOBUFS: the kernel dropped replies, so we cannot know which requests were applied.
    this.sock.on('error', (e) => this.failAll(new TransportError(`netlink receive failed: ${e.message}`, e.errno ?? 0)));
  }

  /** The receive buffer the kernel granted (bytes). */
  get recvBufferSize(): number { return this.sock.getRecvBufferSize(); }

  /**
   * Send requests in one datagram. The kernel processes them in order; each promise
   * settles with that request's replies (empty for a plain ACK) or its KernelError.
   */
  send(reqs: GenlRequest[]): Promise<NlMessage[]>[] {
    if (this.closed) return reqs.map(() => Promise.reject(new TransportError('netlink socket is closed', 0)));
    // Small batches fit Node's pooled buffers; big ones start near their final size.
    const w = new MessageWriter(Math.max(256, reqs.length * 192));
    const seqs: number[] = [];
    const promises = reqs.map((r) => {
      const start = w.length;
      const seq = this.nextSeq();
      try {
        writeRequest(w, r, seq, this.pid);
      } catch (e) {
        // A value that cannot be encoded fails its own request only; the rest still go.
        w.truncate(start);
        return Promise.reject(e as Error);
      }
      seqs.push(seq);
      return new Promise<NlMessage[]>((resolve, reject) => {
        this.pending.set(seq, { dump: !!r.dump, replies: [], resolve, reject });
      });
    });
    if (seqs.length === 0) return promises;
    if (this.pending.size === seqs.length) this.sock.ref();
    const timer = setTimeout(() => {
      for (const s of seqs) this.settle(s, new TransportError(`no netlink reply within ${this.timeoutMs} ms`, 110 /* ETIMEDOUT */));
    }, this.timeoutMs);
    timer.unref();
    Promise.allSettled(promises).then(() => clearTimeout(timer), () => undefined);
    this.sock.send(w.finish(), {}, (err) => {
      if (err) for (const s of seqs) this.settle(s, new TransportError(`netlink send failed: ${err.message}`, err.errno));
    });
    return promises;
  }

  request(req: GenlRequest): Promise<NlMessage[]> {
    return this.send([req])[0]!;
  }

  close(): void {
    if (this.closed) return;
    this.failAll(new TransportError('netlink socket closed', 0));
    this.closed = true;
    this.sock.close();
  }

  private nextSeq(): number {
    this.seq = this.seq >= 0xfffffffe ? 1 : this.seq + 1;
    return this.seq;
  }

  private receive(buf: Buffer): void {
    let msgs: NlMessage[];
    try { msgs = parseMessages(buf); } catch { return; }
    for (const m of msgs) {
      const p = this.pending.get(m.seq);
      if (!p) continue; // a reply to a request that already settled (timeout) or is not ours
      if (m.type === NLMSG.ERROR) {
        const errno = errorOf(m);
        this.settle(m.seq, errno ? new KernelError(errno) : undefined);
      } else if (m.type === NLMSG.DONE) {
        const errno = m.payload.length >= 4 ? -readS32(m.payload, 0) : 0;
        this.settle(m.seq, errno > 0 ? new KernelError(errno) : undefined);
      } else if (m.type !== NLMSG.NOOP) {
        p.replies.push(m);
        if (p.dump && !(m.flags & NLM_F.MULTI)) this.settle(m.seq);
      }
    }
  }

  private settle(seq: number, err?: Error): void {
    const p = this.pending.get(seq);
    if (!p) return;
    this.pending.delete(seq);
    if (this.pending.size === 0 && !this.closed) this.sock.unref();
    if (err) p.reject(err); else p.resolve(p.replies);
  }

  private failAll(err: Error): void {
    for (const seq of [...this.pending.keys()]) this.settle(seq, err);
  }
}
