/**
 * sd_notify(3) for systemd Type=notify services: one datagram to
 * $NOTIFY_SOCKET ("READY=1", "STATUS=...", "STOPPING=1", "WATCHDOG=1").
 * Returns false when not started by systemd (no NOTIFY_SOCKET); throws when
 * the socket is set but the send fails, since that is a deployment error.
 */
import { C, lbnet } from './native.js';
import { sockaddrUn } from './sockaddr.js';

export function sdNotify(state: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const path = env.NOTIFY_SOCKET;
  if (!path) return false;
  if (!path.startsWith('/') && !path.startsWith('@')) throw new Error(`NOTIFY_SOCKET must be a path or @abstract name, got "${path}"`);
  const fd = lbnet.socket(C.AF_UNIX, C.SOCK_DGRAM, 0);
  try {
    lbnet.sendto(fd, Buffer.from(state), sockaddrUn(path));
  } finally {
    lbnet.close(fd);
  }
  return true;
}
