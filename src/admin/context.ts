/** What every route of the admin app shares: lbd, the security stores, and who is asking. */
import type { Daemon } from '../lbd/daemon.js';
import type { Logger, LogRing } from '../log/logger.js';
import type { AccountStore } from './auth/accounts.js';
import type { Session, SessionStore } from './auth/sessions.js';
import type { LoginThrottle } from './auth/throttle.js';
import type { AuditLog } from './audit.js';
import type { LiveUpdates } from './live.js';
import type { AdminMetrics } from './metrics.js';
import type { StatusCache } from './status/cache.js';

export interface Identity {
  user: string;
  via: 'session' | 'token' | 'socket';
  /** API token name, for via = 'token'. */
  token?: string;
  session?: Session;
}

/** How lbd records who made a change (config history, audit log). */
export const actorName = (id: Identity) => (id.via === 'token' ? `${id.user} (token ${id.token})` : id.user);

export interface Endpoint {
  /** Base URL of the web UI, once listening. */
  url?: string;
  /** SHA-256 fingerprint of the HTTPS certificate. */
  fingerprint256?: string;
  secure: boolean;
  socket?: string;
}

export interface AdminContext {
  daemon: Daemon;
  log: Logger;
  ring?: LogRing;
  accounts: AccountStore;
  sessions: SessionStore;
  throttle: LoginThrottle;
  audit: AuditLog;
  live: LiveUpdates;
  /** The status view, rebuilt only when something changed. */
  status: StatusCache;
  metrics: AdminMetrics;
  endpoint: Endpoint;
}

/** An error with the HTTP status it should produce. */
export class HttpError extends Error {
  constructor(readonly statusCode: number, message: string) { super(message); }
}

declare module 'fastify' {
  interface FastifyRequest { identity: Identity | null }
  interface FastifyContextConfig {
    /** Reachable without logging in (login, setup, static assets). */
    public?: boolean;
  }
}
