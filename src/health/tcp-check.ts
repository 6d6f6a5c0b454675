/** TCP_CHECK: up when a TCP connection is established within connect_timeout. */
import type { TcpCheck } from '../config/model.js';
import { connectOptions, describeSocketError, secs, type CheckResult, type Checker } from './checker.js';
import { ReusedSocket } from './reused-socket.js';

export class TcpChecker implements Checker {
  readonly usesProcess = false;
  private readonly conn: ReusedSocket;
  private readonly timeoutMs: number;
  private timer: NodeJS.Timeout | null = null;
  private started = 0;
  private resolve: ((r: CheckResult) => void) | null = null;

  constructor(check: TcpCheck) {
    this.timeoutMs = check.connect_timeout * 1000;
    this.conn = new ReusedSocket(connectOptions(check), {
      connect: () => this.finish(true, 'connected'),
      // Only a connection we already counted can end: nothing to do.
      end: () => undefined,
      error: (e) => this.finish(false, describeSocketError(e)),
    });
  }

  run(): Promise<CheckResult> {
    return new Promise((resolve) => {
      this.resolve = resolve;
      this.started = performance.now();
      this.timer = setTimeout(this.onTimeout, this.timeoutMs);
      this.conn.connect();
    });
  }

  abort(): void { this.finish(false, 'aborted'); }

  private readonly onTimeout = () => this.finish(false, `connect timeout after ${secs(this.timeoutMs)}`);

  private finish(ok: boolean, message: string): void {
    const resolve = this.resolve;
    if (!resolve) return;
    this.resolve = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.conn.destroy();
    resolve({ ok, message, latencyMs: performance.now() - this.started });
  }
}
