/** TCP_CHECK: up when a TCP connection is established within connect_timeout. */
import { connect, type NetConnectOpts, type Socket } from 'node:net';
import type { TcpCheck } from '../config/model.js';
import { connectOptions, describeSocketError, secs, type CheckResult, type Checker } from './checker.js';

export class TcpChecker implements Checker {
  readonly usesProcess = false;
  private readonly opts: NetConnectOpts;
  private readonly timeoutMs: number;
  private socket: Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private started = 0;
  private resolve: ((r: CheckResult) => void) | null = null;

  constructor(check: TcpCheck) {
    this.opts = connectOptions(check);
    this.timeoutMs = check.connect_timeout * 1000;
  }

  run(): Promise<CheckResult> {
    return new Promise((resolve) => {
      this.resolve = resolve;
      this.started = performance.now();
      const s = this.socket = connect(this.opts);
      s.on('connect', this.onConnect);
      s.on('error', this.onError);
      this.timer = setTimeout(this.onTimeout, this.timeoutMs);
    });
  }

  abort(): void { this.finish(false, 'aborted'); }

  // Bound once per checker, not per attempt.
  private readonly onConnect = () => this.finish(true, 'connected');
  private readonly onError = (e: NodeJS.ErrnoException) => this.finish(false, describeSocketError(e));
  private readonly onTimeout = () => this.finish(false, `connect timeout after ${secs(this.timeoutMs)}`);

  private finish(ok: boolean, message: string): void {
    const resolve = this.resolve;
    if (!resolve) return;
    this.resolve = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.socket?.destroy();
    this.socket = null;
    resolve({ ok, message, latencyMs: performance.now() - this.started });
  }
}
