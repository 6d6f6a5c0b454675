/**
 * lbd for tests: the same Daemon and subsystems as src/cli/lbd.ts, plus a
 * command channel on stdin (one JSON object per line) to reach what the API
 * will reach later: subsystem operations, the status hub, and a load generator
 * that burdens this very process (CPU and loopback HTTP) for starvation tests.
 *   {"op":"status"}                               → {"msg":"status","status":{...}}
 *   {"op":"tracker","name":"proxy:web","ok":false} → VrrpSubsystem.setExternalTracker
 *   {"op":"maintenance","on":true}                → VrrpSubsystem.setMaintenance
 *   {"op":"load","busyPct":80,"http":2000,"burners":2,"garbageMb":20,"seconds":20}
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, Agent } from 'node:http';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createLogger } from '../../src/log/logger.js';
import { Daemon } from '../../src/lbd/daemon.js';
import { buildSubsystems } from '../../src/lbd/subsystems.js';
import type { VrrpSubsystem } from '../../src/vrrp/subsystem.js';

const { values: args } = parseArgs({ options: { config: { type: 'string' }, 'state-dir': { type: 'string' } } });
const log = createLogger({ base: { pid: process.pid, svc: 'lbd' }, level: 'debug' });
const daemon = new Daemon({ configFile: args.config!, stateDir: args['state-dir']!, log, subsystems: buildSubsystems });
const burners: ChildProcess[] = [];
const stats = { httpDone: 0, httpErrors: 0, busyMs: 0, garbageMb: 0, inFlight: 0, maxInFlight: 0 };

/** Burden this process: a busy main thread, thousands of concurrent loopback HTTP requests, CPU burners as children. */
async function load(busyPct: number, concurrency: number, burnerCount: number, garbageMb: number, seconds: number): Promise<void> {
  const until = Date.now() + seconds * 1000;
  for (let i = 0; i < burnerCount; i++) burners.push(spawn(process.execPath, ['-e', `const end=Date.now()+${seconds * 1000};while(Date.now()<end){}`], { stdio: 'ignore' }));
  const server = createServer((_req, res) => { res.end('ok'); });
  server.maxConnections = concurrency * 2;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const fire = (): void => {
    if (Date.now() > until) return;
    stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
    const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => { stats.inFlight--; stats.httpDone++; fire(); });
    });
    req.on('error', () => { stats.inFlight--; stats.httpErrors++; setTimeout(fire, 10); });
    req.end();
  };
  for (let i = 0; i < concurrency; i++) fire();
  // Busy loop in 10 ms slices: the event loop gets only (100 - busyPct) % of its time.
  const slice = (): void => {
    if (Date.now() > until) { server.close(); agent.destroy(); log.info({ ...stats }, 'load done'); return; }
    const t = Date.now();
    // Short-lived garbage keeps the collector busy too (GC pauses in this process).
    let keep: unknown[] = [];
    for (let i = 0; i < garbageMb * 1024; i++) keep.push({ i, s: `x${i}`, a: new Array(16).fill(i) });
    stats.garbageMb += garbageMb;
    keep = [];
    while (Date.now() - t < busyPct / 10) { /* spin */ }
    stats.busyMs += Date.now() - t;
    setTimeout(slice, (100 - busyPct) / 10);
  };
  slice();
}

async function main(): Promise<void> {
  await daemon.start();
  log.info('lbd running');
  const vrrp = () => daemon.get<VrrpSubsystem>('vrrp')!;
  createInterface({ input: process.stdin }).on('line', (line) => {
    let cmd: Record<string, unknown>;
    try { cmd = JSON.parse(line) as Record<string, unknown>; } catch { return; }
    switch (cmd.op) {
      case 'status': log.info({ status: daemon.status.get('vrrp'), load: stats }, 'status'); break;
      case 'tracker': vrrp().setExternalTracker(String(cmd.name), cmd.ok === true); break;
      case 'maintenance': vrrp().setMaintenance(cmd.on === true); break;
      case 'load': void load(Number(cmd.busyPct), Number(cmd.http), Number(cmd.burners), Number(cmd.garbageMb ?? 0), Number(cmd.seconds)); break;
    }
  });
  process.on('SIGHUP', () => { void daemon.reload('SIGHUP'); });
  const stop = () => {
    for (const b of burners) b.kill('SIGKILL');
    daemon.stop().then(() => { log.info('stopped'); process.exit(0); }, () => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e: Error) => { log.fatal({ err: e.message }, 'start failed'); process.exit(1); });
