/**
 * Before a config with new listening addresses goes to a proxy, lbd binds
 * each new one itself for a moment. A port held by another program would make
 * the proxy fail at bind time, after its own check passed — and HAProxy would
 * pause the old listeners for seconds while it retries. Refusing here keeps
 * the running config serving without a hiccup.
 */
import { createServer } from 'node:net';
import { parseEndpoint } from '../util/ip.js';

function tryListen(host: string | undefined, port: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e));
    srv.listen({ host, port }, () => srv.close(() => resolve(null)));
  });
}

/** Null when every endpoint can be bound now, else one line per endpoint that cannot. */
export async function unbindable(endpoints: string[]): Promise<string | null> {
  const problems: string[] = [];
  for (const ep of endpoints) {
    const p = parseEndpoint(ep);
    if (!p) continue;
    const e = await tryListen(p.host === '*' ? undefined : p.host, p.port);
    if (!e) continue;
    const why = e.code === 'EADDRINUSE' ? 'the address is in use by another process'
      : e.code === 'EADDRNOTAVAIL' ? 'not an address of this node (and ip_nonlocal_bind is off)'
        : e.code === 'EACCES' ? 'permission denied' : e.message;
    problems.push(`cannot listen on ${ep}: ${why}`);
  }
  return problems.length ? problems.join('\n') : null;
}
