/**
 * The admin subsystem of lbd: the web UI/REST API on the management address
 * and the same API on a local Unix socket for the console. It only reads the
 * daemon (status, config store) and calls it (apply, rollback, operations), so
 * it starts last and stops first.
 */
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../config/model.js';
import type { ConfigDiff } from '../config/diff.js';
import type { Daemon } from '../lbd/daemon.js';
import type { Subsystem, SubsystemContext } from '../lbd/subsystem.js';
import { AccountStore } from './auth/accounts.js';
import { SessionStore } from './auth/sessions.js';
import { LoginThrottle } from './auth/throttle.js';
import { AuditLog } from './audit.js';
import { LiveUpdates } from './live.js';
import { StatusCache } from './status/cache.js';
import { AdminMetrics } from './metrics.js';
import { buildAdminApp, type AdminApp } from './server.js';
import { loadOrCreateCertificate } from './tls.js';
import { clearStaleSocket, listenSettings, protectSocket, urlOf, type ListenSettings } from './listen.js';
import type { AdminContext } from './context.js';

export class AdminSubsystem implements Subsystem {
  readonly name = 'admin';
  private admin?: AdminContext;
  private settings?: ListenSettings;
  private app?: AdminApp;
  private socketPath?: string;
  private restarting: Promise<void> = Promise.resolve();

  constructor(private readonly sctx: SubsystemContext, private readonly daemon: Daemon) {}

  /** The shared context (for tests and the benchmark). */
  get context(): AdminContext | undefined { return this.admin; }

  /** The running app and its servers (for inject-based tests and the benchmark). */
  get server(): AdminApp | undefined { return this.app; }

  async start(config: Config): Promise<void> {
    const log = this.sctx.log.child({ subsystem: 'admin' });
    const dir = join(this.sctx.stateDir, 'admin');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const status = new StatusCache(this.daemon, this.sctx.status);
    const live = new LiveUpdates(this.sctx.status, undefined, (cb) => status.whenCurrent(cb));
    this.admin = {
      daemon: this.daemon, log, ring: this.daemon.opts.ring, live, status,
      accounts: new AccountStore(join(dir, 'accounts.json')),
      sessions: new SessionStore(config.global.admin.session_idle_timeout * 1000),
      throttle: new LoginThrottle(),
      audit: new AuditLog(join(dir, 'audit.log'), log),
      metrics: new AdminMetrics(),
      endpoint: { secure: false },
    };
    this.settings = listenSettings(config, this.sctx.stateDir, this.daemon.opts.admin);
    await this.listen(this.settings);
    const token = this.admin.accounts.beginSetup();
    if (token) {
      // Deliberately logged: whoever can read lbd's log (the console, root) may create the first account.
      log.warn({ url: this.admin.endpoint.url ? `${this.admin.endpoint.url}setup` : undefined },
        `no admin account exists yet: create the first one at /setup with the one-time setup token ${token} (valid until an account exists or lbd restarts), or set a password from the console`);
    }
  }

  private async listen(s: ListenSettings): Promise<void> {
    const admin = this.admin!;
    let https: { key: string; cert: string } | undefined;
    let fingerprint256: string | undefined;
    if (s.tcp?.secure) {
      const tls = await loadOrCreateCertificate({ stateDir: this.sctx.stateDir, certificate: s.certificate, key: s.key, listenHost: s.tcp.host });
      if (tls.generated) admin.log.info({ file: tls.certFile, fingerprint256: tls.fingerprint256 }, 'generated a self-signed certificate for the web admin UI');
      https = { key: tls.key, cert: tls.cert };
      fingerprint256 = tls.fingerprint256;
    }
    admin.endpoint = { secure: !!https, fingerprint256, socket: s.socket };
    const built = await buildAdminApp(admin, { https });
    this.app = built;

    await clearStaleSocket(s.socket);
    await new Promise<void>((resolve, reject) => {
      built.socketServer.once('error', reject);
      built.socketServer.listen(s.socket, () => { built.socketServer.off('error', reject); resolve(); });
    });
    this.socketPath = s.socket;
    const group = protectSocket(s.socket, s.socketGroup);
    admin.log.info({ socket: s.socket, group: group ?? '(owner only)' }, 'admin API listening on the local socket');

    if (!s.tcp) {
      admin.log.info('web admin UI not listening on the network: set global.admin.listen or lbd --admin-listen');
      return;
    }
    await built.app.listen({ host: s.tcp.host, port: s.tcp.port });
    const addr = built.networkServer.address();
    const port = typeof addr === 'object' && addr ? addr.port : s.tcp.port;
    admin.endpoint.url = urlOf(s.tcp.host, port, s.tcp.secure);
    admin.log.info({ url: admin.endpoint.url, fingerprint256: admin.endpoint.fingerprint256 }, 'web admin UI listening');
  }

  private async close(): Promise<void> {
    const built = this.app;
    this.app = undefined;
    if (built) {
      const sock = built.socketServer;
      const closed = new Promise<void>((resolve) => sock.close(() => resolve()));
      sock.closeAllConnections();
      await Promise.all([built.app.close(), closed]);
    }
    if (this.socketPath) await rm(this.socketPath, { force: true });
    this.socketPath = undefined;
  }

  async reload(next: Config, diff: ConfigDiff): Promise<void> {
    if (!diff.global || !this.admin) return;
    this.admin.sessions.idleMs = next.global.admin.session_idle_timeout * 1000;
    const settings = listenSettings(next, this.sctx.stateDir, this.daemon.opts.admin);
    if (isDeepStrictEqual(settings, this.settings)) return;
    this.settings = settings;
    // Not awaited: the request that applied this config is still being answered by the listener we replace.
    this.restarting = this.restarting.then(async () => {
      await new Promise((r) => setTimeout(r, 200));
      await this.close();
      await this.listen(settings);
    }).catch((err: unknown) => this.admin?.log.error({ err }, 'web admin listener restart failed; fix global.admin and apply again'));
  }

  async stop(): Promise<void> {
    await this.restarting;
    await this.close();
    this.admin?.live.close();
    this.admin?.status.close();
  }
}
