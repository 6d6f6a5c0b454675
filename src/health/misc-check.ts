/**
 * MISC_CHECK: run misc_path (no shell unless the line needs one), killed with its
 * process group after misc_timeout. Exit 0 = up. With misc_dynamic, exit codes
 * 2-255 also mean up and set the server's weight to code − 2 (keepalived's rule);
 * exit 1 is down.
 */
import type { MiscCheck } from '../config/model.js';
import { runCommand } from '../util/command.js';
import { secs, type CheckResult, type Checker } from './checker.js';

export class MiscChecker implements Checker {
  readonly usesProcess = true;

  private inFlight: AbortController | undefined;

  constructor(private readonly check: MiscCheck) {}

  async run(): Promise<CheckResult> {
    const timeoutMs = this.check.misc_timeout * 1000;
    const ac = (this.inFlight = new AbortController());
    const r = await runCommand(this.check.misc_path, { timeoutMs, user: this.check.user, maxOutput: 1024, signal: ac.signal });
    if (this.inFlight === ac) this.inFlight = undefined;
    const output = (r.stderr.trim() || r.stdout.trim()).split('\n')[0]?.slice(0, 200) || undefined;
    const base = { latencyMs: r.durationMs, output };
    if (r.error) return { ok: false, message: `cannot run the script: ${r.error}`, ...base };
    if (r.timedOut) return { ok: false, message: `script timed out after ${secs(timeoutMs)} (killed)`, ...base };
    if (r.code === null) return { ok: false, message: `script killed by ${r.signal}`, ...base };
    if (r.code === 0) return { ok: true, message: 'script exited 0', ...base };
    if (this.check.misc_dynamic && r.code >= 2) return { ok: true, message: `script exited ${r.code}: weight ${r.code - 2}`, weight: r.code - 2, ...base };
    return { ok: false, message: `script exited ${r.code}`, ...base };
  }

  /** Kills a script in flight with its process group; its result is then ignored. */
  abort(): void { this.inFlight?.abort(); }
}
