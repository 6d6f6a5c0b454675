/**
 * notify_up / notify_down / quorum_up / quorum_down: run asynchronously with a
 * timeout, no arguments (as keepalived) and LBD_* variables in the environment.
 * Hooks of one subject (a real server, a virtual server) run one after another,
 * so a quick flap cannot reorder DOWN and UP.
 */
import type { Logger } from '../log/logger.js';
import { runCommand } from '../util/command.js';
import type { RealServerState, VirtualServerPool } from './pool-state.js';

export const HOOK_TIMEOUT_MS = 30_000;

export class HookRunner {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly log: Logger, private readonly timeoutMs = HOOK_TIMEOUT_MS) {}

  realServer(pool: VirtualServerPool, s: RealServerState, state: 'UP' | 'DOWN', reason: string): void {
    const line = state === 'UP' ? s.rs.notify_up : s.rs.notify_down;
    if (line) this.run(`${pool.vs.name} ${s.rs.key}`, line, state === 'UP' ? 'notify_up' : 'notify_down',
      { LBD_VIRTUAL_SERVER: pool.vs.name, LBD_REAL_SERVER: s.rs.key, LBD_STATE: state, LBD_REASON: reason });
  }

  quorum(pool: VirtualServerPool, up: boolean): void {
    const line = up ? pool.vs.quorum_up : pool.vs.quorum_down;
    if (line) this.run(pool.vs.name, line, up ? 'quorum_up' : 'quorum_down',
      { LBD_VIRTUAL_SERVER: pool.vs.name, LBD_QUORUM: up ? 'UP' : 'DOWN', LBD_LIVE_WEIGHT: String(pool.liveWeight()) });
  }

  /** Resolves when every hook started so far has ended (each is bounded by the timeout). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.chains.values()]);
  }

  private run(subject: string, line: string, what: string, env: Record<string, string>): void {
    const prev = this.chains.get(subject) ?? Promise.resolve();
    const next = prev.then(async () => {
      const r = await runCommand(line, { timeoutMs: this.timeoutMs, keepBackground: true, env: { ...process.env, ...env } });
      const failed = r.error ?? (r.timedOut ? 'timed out (killed)' : r.code !== 0 ? (r.code === null ? `killed by ${r.signal}` : `exited ${r.code}`) : null);
      if (failed) this.log.warn({ hook: what, ...env }, `${what} hook ${failed}`);
      else this.log.debug({ hook: what, ...env }, `${what} hook done`);
    });
    this.chains.set(subject, next);
    void next.finally(() => { if (this.chains.get(subject) === next) this.chains.delete(subject); });
  }
}
