/**
 * One net.Socket a checker connects again for every attempt, as Node documents
 * for socket.connect() after 'close'. Building a socket (a duplex stream with
 * its state objects and listeners) thousands of times a second was a third of
 * a plain check's CPU; reconnecting keeps only the kernel socket per attempt.
 */
import { Socket, type NetConnectOpts, type OnReadOpts, type SocketConstructorOpts } from 'node:net';

export interface SocketHandlers {
  connect: () => void;
  end: () => void;
  error: (e: NodeJS.ErrnoException) => void;
}

export class ReusedSocket {
  readonly socket: Socket;
  private closed = true;
  /** connect() came while the last connection was still closing: connect on its 'close'. */
  private pending = false;

  constructor(private readonly opts: NetConnectOpts, h: SocketHandlers, onread?: OnReadOpts) {
    // Node takes onread in the constructor too (its typings list it for connect() only).
    this.socket = new Socket((onread ? { onread } : {}) as SocketConstructorOpts);
    this.socket.on('connect', h.connect);
    this.socket.on('end', h.end);
    this.socket.on('error', h.error);
    this.socket.on('close', () => {
      this.closed = true;
      if (this.pending) this.connect();
    });
  }

  connect(): void {
    if (!this.closed) { this.pending = true; return; }
    this.pending = false;
    this.closed = false;
    this.socket.connect(this.opts);
  }

  /** End the connection (or a connect still waiting for the last one to close). */
  destroy(): void {
    this.pending = false;
    this.socket.destroy();
  }
}
