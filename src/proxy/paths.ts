/**
 * Where lbd keeps each proxy's files: everything under STATE_DIR/proxy, so
 * several lbd nodes (tests, the demo) can run on one machine without sharing
 * a config, socket or pid file.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export interface EnginePaths {
  dir: string;
  /** The running config; replaced atomically once a candidate passed the binary's own check. */
  config: string;
  pid: string;
  /** Where the local health probe of `frontend` enters it (a unix socket bound by the proxy). */
  probeSock(frontend: string): string;
}

export interface HaproxyPaths extends EnginePaths {
  /** Stats socket at admin level: lbd's runtime API (drain, weight, counters). */
  adminSock: string;
  /** Server states (drain, maint, runtime weights) saved before a reload and loaded by the new process. */
  stateFile: string;
}

export interface NginxPaths extends EnginePaths {
  /** Control listener: the config generation that serves, and stub_status counters. */
  ctlSock: string;
}

export interface ProxyPaths { root: string; haproxy: HaproxyPaths; nginx: NginxPaths }

/** sun_path holds 108 bytes including the terminating NUL. */
export const MAX_UNIX_PATH = 107;

function probeSock(dir: string, frontend: string): string {
  const readable = join(dir, `probe-${frontend}.sock`);
  if (Buffer.byteLength(readable) <= MAX_UNIX_PATH) return readable;
  return join(dir, `probe-${createHash('sha256').update(frontend).digest('hex').slice(0, 12)}.sock`);
}

export function proxyPaths(stateDir: string): ProxyPaths {
  const root = join(stateDir, 'proxy');
  const h = join(root, 'haproxy');
  const n = join(root, 'nginx');
  return {
    root,
    haproxy: {
      dir: h, config: join(h, 'haproxy.cfg'), pid: join(h, 'haproxy.pid'),
      adminSock: join(h, 'admin.sock'), stateFile: join(h, 'server-state'),
      probeSock: (f) => probeSock(h, f),
    },
    nginx: {
      dir: n, config: join(n, 'nginx.conf'), pid: join(n, 'nginx.pid'), ctlSock: join(n, 'ctl.sock'),
      probeSock: (f) => probeSock(n, f),
    },
  };
}
