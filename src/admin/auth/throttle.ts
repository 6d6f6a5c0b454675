/**
 * Login brute-force defence. Two independent limits:
 * - per client address: at most `ipFailures` failures in `windowMs`, then every attempt
 *   from that address is refused until the window has passed;
 * - per account: `userFailures` consecutive failures lock the account for `lockMs`,
 *   doubling with each further lockout (capped at 24 h); a success resets it.
 * While blocked, even a correct password is refused, so guessing gains nothing.
 */
export interface ThrottleOptions { ipFailures: number; userFailures: number; windowMs: number; lockMs: number }

export const DEFAULT_THROTTLE: ThrottleOptions = { ipFailures: 20, userFailures: 5, windowMs: 15 * 60_000, lockMs: 5 * 60_000 };

interface UserState { failures: number; lockouts: number; lockedUntil: number }

export class LoginThrottle {
  private ipFails = new Map<string, number[]>();
  private users = new Map<string, UserState>();

  constructor(private readonly opts: ThrottleOptions = DEFAULT_THROTTLE) {}

  /** Milliseconds until this address or account may try again (0 = may try now). */
  blockedFor(ip: string, user: string, at = Date.now()): number {
    const fails = this.recentIpFailures(ip, at);
    const ipWait = fails.length >= this.opts.ipFailures ? fails[0]! + this.opts.windowMs - at : 0;
    const u = this.users.get(user);
    const userWait = u && u.lockedUntil > at ? u.lockedUntil - at : 0;
    return Math.max(ipWait, userWait, 0);
  }

  /** Record a failure; returns true when it locked the account. */
  failure(ip: string, user: string, at = Date.now()): boolean {
    if (this.ipFails.size > 10_000) for (const k of [...this.ipFails.keys()]) this.recentIpFailures(k, at);
    const fails = this.recentIpFailures(ip, at);
    fails.push(at);
    this.ipFails.set(ip, fails);
    const u = this.users.get(user) ?? { failures: 0, lockouts: 0, lockedUntil: 0 };
    u.failures++;
    let locked = false;
    if (u.failures >= this.opts.userFailures) {
      u.lockedUntil = at + Math.min(this.opts.lockMs * 2 ** u.lockouts, 24 * 3600_000);
      u.lockouts++;
      u.failures = 0;
      locked = true;
    }
    this.users.set(user, u);
    return locked;
  }

  success(user: string): void { this.users.delete(user); }

  /** An administrator set a new password: the account may log in again at once. */
  unlock(user: string): void { this.users.delete(user); }

  private recentIpFailures(ip: string, at: number): number[] {
    const fails = (this.ipFails.get(ip) ?? []).filter((t) => at - t < this.opts.windowMs);
    if (fails.length) this.ipFails.set(ip, fails); else this.ipFails.delete(ip);
    return fails;
  }
}
