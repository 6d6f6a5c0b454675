/**
 * The HTTP client of admin-latency.bench.ts, in a worker thread: a real client
 * is another process, so it must not share the event loop (nor the GC) of the
 * admin it measures. HTTPS keep-alive, one request at a time; each message
 * `{ url, headers, expect? }` is answered with `{ ms, bytes, found }` (whether the
 * body contains `expect`) or `{ error }`.
 */
import { Agent, request } from 'node:https';
import { parentPort } from 'node:worker_threads';

const agent = new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });

parentPort!.on('message', ({ url, headers, expect }: { url: string; headers: Record<string, string>; expect?: string }) => {
  const t0 = process.hrtime.bigint();
  const req = request(url, { agent, headers }, (res) => {
    let bytes = 0;
    const body: Buffer[] = [];
    res.on('data', (c: Buffer) => { bytes += c.length; if (expect) body.push(c); });
    res.on('end', () => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      parentPort!.postMessage(res.statusCode === 200
        ? { ms, bytes, found: !!expect && Buffer.concat(body).includes(expect) }
        : { error: `${url}: HTTP ${res.statusCode}` });
    });
  });
  req.on('error', (e) => parentPort!.postMessage({ error: `${url}: ${e.message}` }));
  req.end();
});
