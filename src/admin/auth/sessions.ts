/**
 * Browser sessions, in memory: a restart of lbd logs everyone out, which is
 * the safe direction. A session ends after `idleMs` without a request or
 * after `maxMs` in total; each carries its own CSRF token.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface Session {
  id: string; user: string; csrf: string; created: number; seen: number;
  /** One message for the next page (after a redirect). */
  flash?: { text: string; kind: 'ok' | 'bad' };
}

const MAX_AGE_MS = 12 * 3600_000;

export class SessionStore {
  private sessions = new Map<string, Session>();
  constructor(public idleMs: number, private readonly maxMs = MAX_AGE_MS) {}

  create(user: string): Session {
    this.sweep();
    const s: Session = { id: randomBytes(32).toString('base64url'), user, csrf: randomBytes(32).toString('base64url'), created: Date.now(), seen: Date.now() };
    this.sessions.set(s.id, s);
    return s;
  }

  /** The live session for a cookie value; `touch` extends its idle deadline. */
  get(id: string | undefined, touch = true): Session | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (this.expired(s)) { this.sessions.delete(id); return undefined; }
    if (touch) s.seen = Date.now();
    return s;
  }

  expired(s: Session, at = Date.now()): boolean {
    return at - s.seen > this.idleMs || at - s.created > this.maxMs || !this.sessions.has(s.id);
  }

  destroy(id: string): void { this.sessions.delete(id); }

  /** End every session of a user (password change, account removal). */
  destroyUser(user: string, except?: string): void {
    for (const [id, s] of this.sessions) if (s.user === user && id !== except) this.sessions.delete(id);
  }

  private sweep(): void {
    for (const [id, s] of this.sessions) if (this.expired(s)) this.sessions.delete(id);
  }
}

export function csrfMatches(session: Session, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length !== session.csrf.length) return false;
  return timingSafeEqual(Buffer.from(presented), Buffer.from(session.csrf));
}
