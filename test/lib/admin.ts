/**
 * An lbd Daemon with the admin subsystem (and optionally other subsystems) in
 * a temp dir, for API tests through Fastify's inject, plus login helpers.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { Daemon } from '../../src/lbd/daemon.js';
import type { Subsystem } from '../../src/lbd/subsystem.js';
import { createLogger, LogRing } from '../../src/log/logger.js';
import { AdminSubsystem } from '../../src/admin/subsystem.js';
import type { AdminContext } from '../../src/admin/context.js';
import type { AdminApp } from '../../src/admin/server.js';
import { example } from './paths.js';

export const exampleConfig = () => readFileSync(example('lvs-dr', 'lb1.yaml'), 'utf8');

export interface AdminHarness {
  dir: string;
  configFile: string;
  daemon: Daemon;
  admin: AdminSubsystem;
  ctx: AdminContext;
  built: AdminApp;
  ring: LogRing;
  stop(): Promise<void>;
}

export async function startAdmin(opts: { config?: string; listen?: string; extra?: Subsystem[] } = {}): Promise<AdminHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'lbadmin-'));
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, opts.config ?? exampleConfig());
  const ring = new LogRing();
  const log = createLogger({ ring, level: 'info', stream: { write: () => undefined } });
  let admin!: AdminSubsystem;
  const daemon = new Daemon({
    configFile, stateDir: join(dir, 'state'), log, ring, admin: { listen: opts.listen },
    subsystems: (ctx, d) => [...(opts.extra ?? []), (admin = new AdminSubsystem(ctx, d))],
  });
  await daemon.start();
  return { dir, configFile, daemon, admin, ctx: admin.context!, built: admin.server!, ring, stop: () => daemon.stop() };
}

/** A logged-in browser session: cookie header and CSRF token (created directly, not through /login). */
export async function session(h: AdminHarness, user = 'alice'): Promise<{ cookie: string; csrf: string }> {
  if (!h.ctx.accounts.users().some((u) => u.name === user)) await h.ctx.accounts.setPassword(user, 'correct horse battery');
  const s = h.ctx.sessions.create(user);
  return { cookie: `lbd_session=${s.id}`, csrf: s.csrf };
}

/** An API token for `user`. */
export async function apiToken(h: AdminHarness, user = 'alice', name = `t${Date.now()}${Math.random()}`.replace('.', '')): Promise<string> {
  if (!h.ctx.accounts.users().some((u) => u.name === user)) await h.ctx.accounts.setPassword(user, 'correct horse battery');
  return h.ctx.accounts.createToken(user, name).token;
}

export const json = <T = Record<string, unknown>>(r: LightMyRequestResponse) => r.json() as T;
