/**
 * Reach a TCP port inside a lab namespace from the host's loopback (for a
 * browser on the host): host 127.0.0.1:PORT → a Unix socket file (visible from
 * every namespace) → a small relay inside the namespace → 127.0.0.1:target.
 * The relay process belongs to the lab and dies with it.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync, mkdtempSync } from 'node:fs';
import { waitFor, type Lab } from './netns.js';

const RELAY = `const net = require('net');
const [sock, port] = process.argv.slice(1);
net.createServer((c) => {
  const u = net.connect(Number(port), '127.0.0.1');
  c.pipe(u).pipe(c);
  u.on('error', () => c.destroy()); c.on('error', () => u.destroy());
}).listen(sock);`;

function pipeBoth(a: Socket, b: Socket): void {
  a.pipe(b).pipe(a);
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
}

export async function forwardIntoNs(lab: Lab, ns: string, targetPort: number): Promise<{ port: number; close: () => Promise<void> }> {
  const sock = join(mkdtempSync(join(tmpdir(), 'lbfwd-')), 'relay.sock');
  lab.spawn(ns, process.execPath, ['-e', RELAY, sock, String(targetPort)]);
  await waitFor('the relay socket', () => existsSync(sock), 10_000);
  const open = new Set<Socket>();
  const server: Server = createServer((c) => {
    const u = connect(sock);
    for (const s of [c, u]) { open.add(s); s.once('close', () => open.delete(s)); }
    pipeBoth(c, u);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); for (const s of open) s.destroy(); }),
  };
}
