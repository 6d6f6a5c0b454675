/**
 * Guest scenario (inside the test VM, see test/vm/ipvs-client.test.ts): the IPVS client
 * against the real kernel, command by command, read back with ipvsadm; the batched apply and
 * the reconciler; the `lbctl ipvs` verb; and the LVS subsystem in process (pool changes,
 * status section with the kernel's counters, stop).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import { scenario } from '../lib/guest.js';
import { NetlinkCapture, countRequests } from '../lib/netlink-capture.js';
import { IpvsClient, IpvsError, Reconciler, SVC_F, TUN_FLAG, type DesiredService, type Destination, type Operation, type Service, type ServiceKey } from '../../../src/ipvs/index.js';
import { runIpvs } from '../../../src/cli/ipvs.js';
import { resolveConfig } from '../../../src/config/resolve.js';
import type { RawConfig } from '../../../src/config/schema.js';
import type { VirtualServer } from '../../../src/config/model.js';
import { LvsSubsystem } from '../../../src/lvs/subsystem.js';
import type { DesiredDest, PoolEvents, PoolSource } from '../../../src/lvs/pool.js';
import type { LvsStatus } from '../../../src/lvs/status.js';
import { StatusHub } from '../../../src/status/hub.js';
import { createLogger, LogRing } from '../../../src/log/logger.js';

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trimEnd();
const ipvsadmSave = () => sh('ipvsadm', ['-S', '-n']).split('\n').filter(Boolean);
const errorOf = (e: unknown) => (e instanceof IpvsError ? { name: e.name, code: e.code, errno: e.errno, object: e.object, message: e.message } : { name: (e as Error).name, message: (e as Error).message });
async function expectError(p: Promise<unknown>): Promise<ReturnType<typeof errorOf> | 'no error'> {
  try { await p; return 'no error'; } catch (e) { return errorOf(e); }
}
/** `lbctl ipvs ...` in process, its stdout and exit code. */
async function lbctlIpvs(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const [write, writeErr] = [process.stdout.write.bind(process.stdout), process.stderr.write.bind(process.stderr)];
  process.stdout.write = ((s: string) => { out += s; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => { err += s; return true; }) as typeof process.stderr.write;
  try { return { code: await runIpvs(args), out, err }; } finally { process.stdout.write = write; process.stderr.write = writeErr; }
}

const tcp = (address: string, port: number): ServiceKey => ({ family: 4, protocol: 'tcp', address, port });
const svc = (key: ServiceKey, scheduler: string, over: Partial<Service> = {}): Service =>
  ({ key, scheduler, flags: 0, timeout: 0, netmask: key.family === 4 ? 32 : 128, ...over });
const dest = (address: string, port: number, over: Partial<Destination> = {}): Destination =>
  ({ address, port, forward: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0, ...over });

await scenario(async (report: Record<string, unknown>) => {
  // ---- before ip_vs is loaded
  report.procBefore = existsSync('/proc/net/ip_vs');
  report.openBeforeLoad = await expectError(IpvsClient.open().then((c) => c.close()));
  sh('modprobe', ['ip_vs']);
  sh('ip', ['link', 'set', 'lo', 'up']);
  sh('ip', ['link', 'add', 'd0', 'type', 'dummy']);
  sh('ip', ['link', 'set', 'd0', 'up']);
  sh('ip', ['addr', 'add', '198.18.0.1/24', 'dev', 'd0']);
  sh('ip', ['addr', 'add', '2001:db8::1/64', 'dev', 'd0', 'nodad']);

  const c = await IpvsClient.open();
  report.info = await c.info();
  report.timeoutsBefore = await c.timeouts();
  await c.setTimeouts({ tcp: 901, tcpFin: 31 });
  report.timeoutsAfter = await c.timeouts();
  report.ipvsadmTimeouts = sh('ipvsadm', ['-L', '--timeout']);

  // ---- every scheduler the kernel offers, as TCP services on consecutive ports
  const schedulers = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'];
  for (const [i, s] of schedulers.entries()) await c.addService(svc(tcp('198.18.0.10', 1000 + i), s));
  report.twos = await expectError(c.addService(svc(tcp('198.18.0.10', 1999), 'twos')));

  // ---- protocols, families, fwmarks, flags, persistence, persistence engine
  const web = tcp('198.18.0.10', 80);
  const dns6: ServiceKey = { family: 6, protocol: 'udp', address: '2001:db8::10', port: 53 };
  const sip: ServiceKey = { family: 4, protocol: 'udp', address: '198.18.0.10', port: 5060 };
  const sctp: ServiceKey = { family: 4, protocol: 'sctp', address: '198.18.0.10', port: 3868 };
  const fw4: ServiceKey = { family: 4, fwmark: 80 };
  const fw6: ServiceKey = { family: 6, fwmark: 443 };
  await c.addService(svc(web, 'wrr', { flags: SVC_F.PERSISTENT, timeout: 300, netmask: 24 }));
  await c.addService(svc(dns6, 'sh', { flags: SVC_F.ONEPACKET | SVC_F.SH_FALLBACK | SVC_F.SH_PORT }));
  await c.addService(svc(sip, 'rr', { flags: SVC_F.PERSISTENT, timeout: 60, netmask: 32, pe: 'sip' }));
  await c.addService(svc(sctp, 'mh', { flags: SVC_F.MH_FALLBACK | SVC_F.MH_PORT }));
  await c.addService(svc(fw4, 'wlc'));
  await c.addService(svc(fw6, 'lc', { flags: SVC_F.PERSISTENT, timeout: 120, netmask: 64 }));
  // ---- destinations: each forwarding method, tunnel types, weights, thresholds
  await c.addDestination(web, dest('198.18.0.11', 80, { weight: 3, upperThreshold: 100, lowerThreshold: 10 }));
  await c.addDestination(web, dest('198.18.0.12', 8080, { forward: 'nat' }));
  await c.addDestination(fw4, dest('198.18.0.13', 0, { forward: 'tun', weight: 2 }));
  await c.addDestination(fw4, dest('198.18.0.14', 0, { forward: 'tun', tunnel: { type: 'gue', port: 6080, flags: TUN_FLAG.CSUM } }));
  await c.addDestination(fw4, dest('198.18.0.15', 0, { forward: 'tun', tunnel: { type: 'gre', flags: TUN_FLAG.CSUM } }));
  await c.addDestination(dns6, dest('2001:db8::11', 53, { weight: 5 }));
  await c.addDestination(fw6, dest('2001:db8::12', 0));
  report.saveAfterAdd = ipvsadmSave();
  // ipvsadm -S leaves thresholds out; --thresholds lists them.
  report.thresholds = sh('ipvsadm', ['-Ln', '--thresholds', '-t', '198.18.0.10:80']);
  report.servicesRead = await c.services();
  report.destsRead = {
    web: await c.destinations(web), fw4: await c.destinations(fw4), dns6: await c.destinations(dns6), fw6: await c.destinations(fw6),
  };
  report.lookup = await c.lookup([web, tcp('198.18.0.10', 9)]);

  // ---- edits and deletions
  await c.updateService(svc(web, 'lc', { flags: SVC_F.PERSISTENT, timeout: 600, netmask: 16 }));
  await c.updateDestination(web, dest('198.18.0.11', 80, { weight: 7, upperThreshold: 50, lowerThreshold: 5 }));
  await c.deleteDestination(web, { address: '198.18.0.12', port: 8080 });
  await c.deleteService(tcp('198.18.0.10', 1000));
  report.saveAfterEdit = ipvsadmSave().filter((l) => l.includes('198.18.0.10:80 ') || l.includes(':1000 ') || l.endsWith('198.18.0.10:80 -s lc -p 600 -M 255.255.0.0'));

  // ---- typed errors
  report.errors = {
    exists: await expectError(c.addService(svc(web, 'rr'))),
    noService: await expectError(c.deleteService(tcp('198.18.0.10', 9))),
    noDest: await expectError(c.deleteDestination(web, { address: '198.18.0.99', port: 80 })),
    destExists: await expectError(c.addDestination(web, dest('198.18.0.11', 80))),
    thresholds: await expectError(c.addDestination(web, dest('198.18.0.16', 80, { upperThreshold: 1, lowerThreshold: 5 }))),
    badValue: await expectError(c.addService(svc(tcp('198.18.0.10', 70000), 'rr'))),
  };

  // ---- statistics: a few connection attempts through the web service, read by both tools
  sh('ipvsadm', ['-Z']);
  await connectAttempts('198.18.0.10', 80, 3);
  // The kernel sums its per-CPU counters every 2 s (the rate estimator): wait for them.
  const webStats = async () => (await c.services()).find((x) => 'port' in x.key && x.key.port === 80 && x.key.protocol === 'tcp')!.stats;
  const t1 = Date.now();
  while ((await webStats()).conns < 3 && Date.now() - t1 < 15_000) await new Promise((r) => setTimeout(r, 250));
  report.statsClient = await webStats();
  report.statsIpvsadm = sh('ipvsadm', ['-Ln', '--stats', '--exact', '-t', '198.18.0.10:80']);
  await c.zero(web);
  report.statsAfterZero = (await c.services()).find((x) => 'port' in x.key && x.key.port === 80 && x.key.protocol === 'tcp')!.stats;

  // ---- sync daemon
  await c.startSyncDaemon({ state: 'master', interface: 'd0', syncId: 7, maxLength: 1400, group: '224.0.0.82', port: 8850, ttl: 3 });
  report.syncDaemons = await c.syncDaemons();
  report.ipvsadmDaemon = sh('ipvsadm', ['-L', '--daemon']);
  await c.stopSyncDaemon('master');
  report.syncDaemonsAfterStop = await c.syncDaemons();

  // ---- batched apply: 300 services x 4 destinations in one call, then a failure mid-batch
  await c.flush();
  const ops: Operation[] = [];
  for (let i = 0; i < 300; i++) {
    const key = tcp(`198.18.0.${100 + (i % 100)}`, 2000 + Math.floor(i / 100));
    ops.push({ op: 'add-service', service: svc(key, 'wrr') });
    for (let d = 0; d < 4; d++) ops.push({ op: 'add-dest', key, dest: dest(`198.18.0.${20 + d}`, 2000 + Math.floor(i / 100)) });
  }
  const t0 = performance.now();
  const batch = await c.apply(ops);
  report.batch = { operations: ops.length, applied: batch.applied, errors: batch.errors.length, ms: Math.round(performance.now() - t0) };
  const save = ipvsadmSave();
  report.batchReadBack = { services: save.filter((l) => l.startsWith('-A')).length, dests: save.filter((l) => l.startsWith('-a')).length };
  const mid = await c.apply([
    { op: 'add-service', service: svc(tcp('198.18.0.30', 1), 'rr') },
    { op: 'add-service', service: svc(tcp('198.18.0.30', 1), 'rr') },
    { op: 'add-service', service: svc(tcp('198.18.0.30', 2), 'rr') },
  ]);
  report.midBatchFailure = { applied: mid.applied, errors: mid.errors.map(errorOf), afterFailure: (await c.service(tcp('198.18.0.30', 2)))?.scheduler };

  // ---- reconciler: converge 300 services to a changed desired state, then nothing to do
  const rec = new Reconciler(c);
  const desired: DesiredService[] = [];
  for (let i = 0; i < 300; i++) {
    const port = 2000 + Math.floor(i / 100);
    const key = tcp(`198.18.0.${100 + (i % 100)}`, port);
    // Service 0 drops a destination, service 1 changes a weight, the rest stay.
    const dests = [0, 1, 2, 3].filter((d) => !(i === 0 && d === 3)).map((d) => dest(`198.18.0.${20 + d}`, port, { weight: i === 1 && d === 0 ? 9 : 1 }));
    desired.push({ ...svc(key, 'wrr'), destinations: dests });
  }
  const first = await rec.reconcile(desired, [tcp('198.18.0.30', 1), tcp('198.18.0.30', 9)]);
  const again = await rec.reconcile(desired);
  report.reconcile = {
    first: first.operations.map((o) => o.op), firstErrors: first.errors.length, again: again.operations.length,
    untouched: (await c.service(tcp('198.18.0.30', 2)))?.scheduler,
  };

  // ---- lbctl ipvs
  await c.flush();
  report.lbctl = {
    add: await lbctlIpvs(['add', 'tcp:198.18.0.40:80', '-s', 'wrr', '-p', '120']),
    addDest: await lbctlIpvs(['add', 'tcp:198.18.0.40:80', '198.18.0.41:80', '-w', '4']),
    add6: await lbctlIpvs(['add', 'fwmark6:9', '-s', 'sh']),
    addDest6: await lbctlIpvs(['add', 'fwmark6:9', '[2001:db8::41]:0', '-m', 'tun']),
    list: await lbctlIpvs(['list']),
    save: ipvsadmSave(),
    delDest: await lbctlIpvs(['del', 'tcp:198.18.0.40:80', '198.18.0.41:80']),
    del: await lbctlIpvs(['del', 'tcp:198.18.0.40:80']),
    del6: await lbctlIpvs(['del', 'fwmark6:9']),
    delAgain: await lbctlIpvs(['del', 'tcp:198.18.0.40:80']),
    saveAfter: ipvsadmSave(),
  };
  await c.flush();

  // ---- the LVS subsystem in process: a pool that changes, the status section, stop
  const raw = {
    global: { router_id: 'vm', lvs_timeouts: { tcp: 700, udp: 200 } },
    virtual_servers: [
      { name: 'web', address: '198.18.0.60', port: 80, protocol: 'TCP', lb_algo: 'wrr', lb_kind: 'DR', real_servers: [{ address: '198.18.0.61', weight: 2 }, { address: '198.18.0.62', weight: 1 }] },
      { name: 'dns', address: '2001:db8::60', port: 53, protocol: 'UDP', lb_algo: 'rr', lb_kind: 'DR', real_servers: [{ address: '2001:db8::61' }] },
    ],
  } as unknown as RawConfig;
  const config = resolveConfig(raw);
  class TestPool extends EventEmitter<PoolEvents> implements PoolSource {
    weights = new Map<string, number>();
    destinations(vs: VirtualServer): DesiredDest[] {
      return vs.real_servers.map((rs) => ({ address: rs.address, port: rs.port, lb_kind: rs.lb_kind, uthreshold: 0, lthreshold: 0, weight: this.weights.get(rs.address) ?? rs.weight }));
    }
  }
  const pool = new TestPool();
  const ring = new LogRing();
  const log = createLogger({ ring, stream: { write: () => undefined }, level: 'debug' });
  const hub = new StatusHub();
  sh('mkdir', ['-p', '/tmp/lvs-state']);
  const lvs = new LvsSubsystem({ log, status: hub, stateDir: '/tmp/lvs-state' }, { pool, pollIntervalMs: 500 });
  await lvs.start(config);
  report.subsystemSave = ipvsadmSave();
  // The pool takes 198.18.0.62 out (weight 0): one SET_DEST, seen on the wire.
  const cap = await NetlinkCapture.start('', '/tmp/pool.pcap');
  pool.weights.set('198.18.0.62', 0);
  const from = ring.recent(10_000).length;
  pool.emit('change', 'web');
  await waitUntil(() => ring.recent(10_000).slice(from).some((l) => String(l.msg).startsWith('IPVS: ')));
  const msgs = await cap.stop(() => Promise.resolve(sh('ipvsadm', ['-Ln'])), (m) => m.type === c.familyId && m.cmd === 15);
  report.poolChange = { requests: countRequests(msgs, c.familyId), log: ring.recent(10_000).slice(from).filter((l) => String(l.msg).startsWith('IPVS: ')) };
  report.subsystemSaveAfterPool = ipvsadmSave();
  // Someone deletes a destination by hand; the next pool change for it still converges.
  sh('ipvsadm', ['-d', '-t', '198.18.0.60:80', '-r', '198.18.0.61:80']);
  pool.weights.set('198.18.0.61', 5);
  const from2 = ring.recent(10_000).length;
  pool.emit('change', 'web');
  await waitUntil(() => ring.recent(10_000).slice(from2).some((l) => String(l.msg).startsWith('IPVS: ')));
  report.subsystemSaveAfterHandDelete = ipvsadmSave();
  await connectAttempts('198.18.0.60', 80, 2);
  await waitUntil(() => (hub.get<LvsStatus>('lvs')?.services.find((x) => x.id === 'tcp:198.18.0.60:80')?.stats?.conns ?? 0) >= 2);
  report.status = hub.get<LvsStatus>('lvs');
  await lvs.stop();
  report.saveAfterStop = ipvsadmSave();
  report.ownedAfterStop = sh('cat', ['/tmp/lvs-state/lvs-owned.json']);
  report.subsystemErrors = ring.recent(10_000).filter((l) => l.level === 'error' || l.level === 'fatal');
  c.close();
});

/** TCP connection attempts from here: each SYN makes IPVS schedule a connection (nobody answers: DR to a dummy). */
async function connectAttempts(host: string, port: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await new Promise<void>((res) => {
      const s = connect({ host, port });
      s.on('error', () => undefined);
      setTimeout(() => { s.destroy(); res(); }, 300);
    });
  }
}

async function waitUntil(ok: () => boolean, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!ok()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 100));
  }
}
