/**
 * Where the admin app listens: the management address (HTTPS unless plain
 * HTTP was asked for on loopback) and the local Unix socket, from the config
 * and lbd's --admin-listen / --admin-socket overrides.
 */
import { connect } from 'node:net';
import { chmodSync, chownSync, existsSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/model.js';
import { isLoopbackEndpoint } from '../util/ip.js';

export interface ListenSettings {
  tcp?: { host: string; port: number; secure: boolean };
  certificate?: string;
  key?: string;
  socket: string;
  socketGroup?: string;
}

/** `[http://|https://]HOST:PORT` (IPv6 in brackets); port 0 picks a free port (tests). */
export function parseListen(text: string, defaultSecure: boolean): { host: string; port: number; secure: boolean } {
  const m = /^(?:(https?):\/\/)?(?:\[([^\]]+)\]|([^:/[\]]+)):(\d{1,5})\/?$/.exec(text.trim());
  if (!m || Number(m[4]) > 65535) throw new Error(`admin listen address "${text}": expected [http://|https://]ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)`);
  const host = m[2] ?? m[3]!;
  const secure = m[1] ? m[1] === 'https' : defaultSecure;
  if (!secure && !isLoopbackEndpoint(host)) throw new Error(`admin listen address "${text}": plain HTTP is allowed only on a loopback address; use https:// (the default)`);
  return { host: host === '*' ? '::' : host, port: Number(m[4]), secure };
}

export function listenSettings(config: Config, stateDir: string, overrides: { listen?: string; socket?: string } = {}): ListenSettings {
  const a = config.global.admin;
  const listen = overrides.listen ?? a.listen;
  return {
    tcp: listen ? parseListen(listen, a.tls) : undefined,
    certificate: a.tls_certificate,
    key: a.tls_key,
    socket: overrides.socket ?? a.socket ?? join(stateDir, 'lbd.sock'),
    socketGroup: a.socket_group,
  };
}

export const urlOf = (host: string, port: number, secure: boolean) =>
  `${secure ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}/`;

/** A socket file left by a previous lbd is removed; one that answers belongs to a running lbd and is an error. */
export async function clearStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const c = connect(path);
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`${path} is in use by another running lbd; give this one another --admin-socket`);
  unlinkSync(path);
}

function groupId(name: string): number | undefined {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [n, , gid] = line.split(':');
      if (n === name) return Number(gid);
    }
  } catch { /* no /etc/group */ }
  return undefined;
}

/**
 * Mode 0660 and owned by the admin group: being able to open it is the authentication.
 * Returns the group it was given, if any.
 */
export function protectSocket(path: string, group?: string): string | undefined {
  chmodSync(path, 0o660);
  const name = group ?? 'lbadmin';
  const gid = groupId(name);
  if (gid === undefined) {
    if (group) throw new Error(`global.admin.socket_group: no group "${group}" on this system`);
    return undefined;
  }
  chownSync(path, -1, gid);
  return name;
}
