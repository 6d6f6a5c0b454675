/**
 * lbd's side of systemd's service protocol (Type=notify / notify-reload): READY=1 once
 * every subsystem started, RELOADING=1 … READY=1 around a SIGHUP reload, STOPPING=1 on
 * stop, and WATCHDOG=1 keep-alives at half of WATCHDOG_USEC so a hung main loop gets lbd
 * restarted. Outside systemd (no NOTIFY_SOCKET) every call is a no-op.
 */
import type { Logger } from '../log/logger.js';
import { sdNotify } from '../net/sd-notify.js';

type Send = (state: string, env: NodeJS.ProcessEnv) => boolean;

export class ServiceNotifier {
  private watchdog?: NodeJS.Timeout;
  private failed = false;

  constructor(
    private readonly log: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly send: Send = sdNotify,
  ) {}

  /** The keep-alive period systemd asked for (half its WatchdogSec), or undefined. */
  watchdogIntervalMs(): number | undefined {
    const usec = Number(this.env.WATCHDOG_USEC);
    if (!Number.isFinite(usec) || usec <= 0) return undefined;
    // WATCHDOG_PID names the process the watchdog is for; a child that inherited it must not answer.
    if (this.env.WATCHDOG_PID && Number(this.env.WATCHDOG_PID) !== process.pid) return undefined;
    return Math.max(1, Math.floor(usec / 2000));
  }

  ready(status: string): void {
    this.notify(`READY=1\nSTATUS=${status}`);
    const every = this.watchdogIntervalMs();
    if (every !== undefined && !this.watchdog) {
      // A timer on the main loop: if the loop stalls, the keep-alives stop and systemd acts.
      this.watchdog = setInterval(() => this.notify('WATCHDOG=1'), every);
      this.watchdog.unref();
      this.notify('WATCHDOG=1');
    }
  }

  /** Type=notify-reload: the reload starts now; `ready()` ends it. */
  reloading(): void {
    // CLOCK_MONOTONIC, which process.hrtime reads, in µs: systemd matches it to its reload request.
    this.notify(`RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`);
  }

  stopping(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.notify('STOPPING=1\nSTATUS=stopping');
  }

  private notify(state: string): void {
    try {
      this.send(state, this.env);
      this.failed = false;
    } catch (err) {
      // Logged once per outage, not at every keep-alive.
      if (!this.failed) this.log.error({ err }, `sd_notify failed (${state.split('\n')[0]})`);
      this.failed = true;
    }
  }
}
