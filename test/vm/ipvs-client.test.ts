/**
 * The IPVS client, the reconciler, `lbctl ipvs` and the LVS subsystem against the real kernel
 * (the VM tier). Observations come from the guest scenario test/vm/guest/ipvs-client.ts; the
 * kernel's state is read back with ipvsadm there and compared here.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runGuestScript } from './lib/vm.js';
import type { DestinationInfo, ServiceInfo, Stats, SyncDaemon, Timeouts } from '../../src/ipvs/index.js';
import type { LvsStatus } from '../../src/lvs/status.js';

type Err = { name: string; code?: string; errno?: number; object?: string; message: string };
interface Cli { code: number; out: string; err: string }
interface Report {
  info: { version: string; connTableSize: number };
  timeoutsBefore: Timeouts; timeoutsAfter: Timeouts; ipvsadmTimeouts: string;
  twos: Err;
  saveAfterAdd: string[]; thresholds: string;
  servicesRead: ServiceInfo[];
  destsRead: Record<'web' | 'fw4' | 'dns6' | 'fw6', DestinationInfo[]>;
  lookup: (ServiceInfo | null)[];
  saveAfterEdit: string[];
  errors: Record<'exists' | 'noService' | 'noDest' | 'destExists' | 'thresholds' | 'badValue', Err>;
  statsClient: Stats; statsIpvsadm: string; statsAfterZero: Stats;
  syncDaemons: SyncDaemon[]; ipvsadmDaemon: string; syncDaemonsAfterStop: SyncDaemon[];
  batch: { operations: number; applied: number; errors: number; ms: number };
  batchReadBack: { services: number; dests: number };
  midBatchFailure: { applied: number; errors: Err[]; afterFailure?: string };
  reconcile: { first: string[]; firstErrors: number; again: number; untouched?: string };
  lbctl: Record<'add' | 'addDest' | 'add6' | 'addDest6' | 'list' | 'delDest' | 'del' | 'del6' | 'delAgain', Cli> & { save: string[]; saveAfter: string[] };
  subsystemSave: string[];
  poolChange: { requests: Record<string, number>; log: Record<string, unknown>[] };
  subsystemSaveAfterPool: string[];
  subsystemSaveAfterHandDelete: string[];
  status: LvsStatus;
  saveAfterStop: string[];
  ownedAfterStop: string;
  subsystemErrors: unknown[];
}

describe('IPVS client against the real kernel (VM)', { timeout: 600_000 }, () => {
  let r: Report;
  before(async () => {
    ({ report: r } = await runGuestScript<Report>('dist/test/vm/guest/ipvs-client.js', { timeoutMs: 540_000 }));
  });

  it('reads the IPVS version and sets timeouts (0 leaves one unchanged)', () => {
    assert.equal(r.info.version, '1.2.1');
    assert.ok(r.info.connTableSize > 0);
    assert.deepEqual(r.timeoutsAfter, { tcp: 901, tcpFin: 31, udp: r.timeoutsBefore.udp });
    assert.equal(r.ipvsadmTimeouts, `Timeout (tcp tcpfin udp): 901 31 ${r.timeoutsBefore.udp}`);
  });

  it('creates services with every scheduler, protocol, family, fwmark, flag and persistence, as ipvsadm reads them back', () => {
    for (const [i, s] of ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'].entries()) {
      assert.ok(r.saveAfterAdd.includes(`-A -t 198.18.0.10:${1000 + i} -s ${s}`), `scheduler ${s}`);
    }
    for (const line of [
      '-A -t 198.18.0.10:80 -s wrr -p 300 -M 255.255.255.0',
      '-A -u 198.18.0.10:5060 -s rr -p 60 --pe sip',
      '-A --sctp-service 198.18.0.10:3868 -s mh -b mh-fallback,mh-port',
      '-A -u [2001:db8::10]:53 -s sh -o -b sh-fallback,sh-port',
      '-A -f 80 -s wlc',
      '-A -f 443 -6 -s lc -p 120 -M 64',
    ]) assert.ok(r.saveAfterAdd.includes(line), line);
    assert.equal(r.twos.code, 'ENOENT');
    assert.match(r.twos.message, /scheduler "twos" or persistence engine not available in this kernel/);
  });

  it('adds destinations with each forwarding method, tunnel type, weight and thresholds', () => {
    for (const line of [
      '-a -t 198.18.0.10:80 -r 198.18.0.11:80 -g -w 3',
      '-a -t 198.18.0.10:80 -r 198.18.0.12:8080 -m -w 1',
      '-a -f 80 -r 198.18.0.13:0 -i -w 2 --tun-type ipip',
      '-a -f 80 -r 198.18.0.14:0 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum',
      '-a -f 80 -r 198.18.0.15:0 -i -w 1 --tun-type gre --tun-csum',
      '-a -u [2001:db8::10]:53 -r [2001:db8::11]:53 -g -w 5',
      '-a -f 443 -6 -r [2001:db8::12]:0 -g -w 1',
    ]) assert.ok(r.saveAfterAdd.includes(line), line);
    assert.match(r.thresholds, /-> 198\.18\.0\.11:80\s+100\s+10\s/);
  });

  it('decodes what the kernel holds exactly as it was written', () => {
    const web = r.servicesRead.find((s) => 'port' in s.key && s.key.port === 80 && s.key.protocol === 'tcp')!;
    assert.deepEqual({ ...web, stats: undefined }, { key: { family: 4, protocol: 'tcp', address: '198.18.0.10', port: 80 }, scheduler: 'wrr', flags: 0x1 | 0x2, timeout: 300, netmask: 24, stats: undefined });
    const sip = r.servicesRead.find((s) => 'port' in s.key && s.key.port === 5060)!;
    assert.equal(sip.pe, 'sip');
    const fw6 = r.servicesRead.find((s) => 'fwmark' in s.key && s.key.fwmark === 443)!;
    assert.deepEqual([fw6.key, fw6.timeout, fw6.netmask], [{ family: 6, fwmark: 443 }, 120, 64]);
    const pick = (d: DestinationInfo) => [d.address, d.port, d.forward, d.weight, d.upperThreshold, d.lowerThreshold, d.tunnel ?? null];
    assert.deepEqual(r.destsRead.web.map(pick).sort(), [['198.18.0.11', 80, 'dr', 3, 100, 10, null], ['198.18.0.12', 8080, 'nat', 1, 0, 0, null]]);
    assert.deepEqual(r.destsRead.fw4.map(pick).sort(), [
      ['198.18.0.13', 0, 'tun', 2, 0, 0, { type: 'ipip' }], ['198.18.0.14', 0, 'tun', 1, 0, 0, { type: 'gue', port: 6080, flags: 1 }],
      ['198.18.0.15', 0, 'tun', 1, 0, 0, { type: 'gre', flags: 1 }],
    ]);
    assert.deepEqual(r.destsRead.dns6.map(pick), [['2001:db8::11', 53, 'dr', 5, 0, 0, null]]);
    assert.deepEqual(r.lookup.map((s) => s?.scheduler ?? null), ['wrr', null], 'a batched lookup answers undefined for a missing service');
  });

  it('edits services and destinations in place and deletes them', () => {
    assert.deepEqual(r.saveAfterEdit, ['-A -t 198.18.0.10:80 -s lc -p 600 -M 255.255.0.0', '-a -t 198.18.0.10:80 -r 198.18.0.11:80 -g -w 7']);
  });

  it('reports kernel errors as typed errors with the errno and the object', () => {
    const e = r.errors;
    assert.deepEqual([e.exists.code, e.exists.errno, e.exists.object], ['EEXIST', 17, 'tcp:198.18.0.10:80']);
    assert.match(e.exists.message, /^add-service tcp:198\.18\.0\.10:80: the virtual service already exists \(EEXIST\)$/);
    assert.deepEqual([e.noService.code, e.noService.object], ['ESRCH', 'tcp:198.18.0.10:9']);
    assert.deepEqual([e.noDest.code, e.noDest.object], ['ENOENT', 'tcp:198.18.0.10:80 -> 198.18.0.99:80']);
    assert.equal(e.destExists.code, 'EEXIST');
    assert.deepEqual([e.thresholds.code, e.thresholds.errno], ['ERANGE', 34]);
    assert.match(e.thresholds.message, /lower threshold must not exceed the upper/);
    assert.deepEqual([e.badValue.name, e.badValue.code], ['IpvsError', 'EINVAL']);
    for (const x of Object.values(e)) assert.equal(x.name, 'IpvsError');
  });

  it('reads statistics equal to ipvsadm --stats --exact, and zeroes them', () => {
    const row = r.statsIpvsadm.split('\n').find((l) => l.startsWith('TCP'))!.trim().split(/\s+/).slice(2).map(Number);
    assert.deepEqual([r.statsClient.conns, r.statsClient.inPackets, r.statsClient.outPackets, r.statsClient.inBytes, r.statsClient.outBytes], row);
    assert.ok(r.statsClient.conns >= 3, 'three connection attempts were scheduled');
    assert.equal(r.statsAfterZero.conns, 0);
  });

  it('starts, lists and stops the connection sync daemon', () => {
    assert.deepEqual(r.syncDaemons, [{ state: 'master', interface: 'd0', syncId: 7, maxLength: 1400, group: '224.0.0.82', port: 8850, ttl: 3 }]);
    assert.equal(r.ipvsadmDaemon, 'master sync daemon (mcast=d0, syncid=7, maxlen=1400, group=224.0.0.82, port=8850, ttl=3)');
    assert.deepEqual(r.syncDaemonsAfterStop, []);
  });

  it('applies 1,500 operations in batches, and a failure mid-batch stops nothing after it', () => {
    assert.deepEqual({ ...r.batch, ms: 0 }, { operations: 1500, applied: 1500, errors: 0, ms: 0 });
    assert.deepEqual(r.batchReadBack, { services: 300, dests: 1200 });
    assert.equal(r.midBatchFailure.applied, 2);
    assert.deepEqual(r.midBatchFailure.errors.map((e) => [e.code, e.object]), [['EEXIST', 'tcp:198.18.0.30:1']]);
    assert.equal(r.midBatchFailure.afterFailure, 'rr');
  });

  it('reconciles 300 services with only the differences, deletes only what it may, then has nothing to do', () => {
    assert.deepEqual(r.reconcile, { first: ['update-dest', 'delete-dest', 'delete-service'], firstErrors: 0, again: 0, untouched: 'rr' });
  });

  it('lbctl ipvs adds, lists and deletes by hand', () => {
    const c = r.lbctl;
    for (const k of ['add', 'addDest', 'add6', 'addDest6', 'list', 'delDest', 'del', 'del6'] as const) assert.equal(c[k].code, 0, `${k}: ${c[k].out}${c[k].err}`);
    assert.ok(c.save.includes('-A -t 198.18.0.40:80 -s wrr -p 120'));
    assert.ok(c.save.includes('-a -t 198.18.0.40:80 -r 198.18.0.41:80 -g -w 4'));
    assert.ok(c.save.includes('-a -f 9 -6 -r [2001:db8::41]:0 -i -w 1 --tun-type ipip'), c.save.join('\n'));
    assert.match(c.list.out, /^tcp:198\.18\.0\.40:80\s+wrr\s.*persistent 120s \/32$/m);
    assert.match(c.list.out, /^ {2}-> 198\.18\.0\.41:80\s+dr\s+4\s/m);
    assert.equal(c.delAgain.code, 1);
    assert.equal(c.delAgain.err, 'lbctl ipvs: delete-service tcp:198.18.0.40:80: no such virtual service (ESRCH)\n');
    assert.deepEqual(c.saveAfter, []);
  });

  it('the LVS subsystem programs its config, applies a pool change as one SET_DEST, publishes status, and cleans up', () => {
    assert.deepEqual(r.subsystemSave, [
      '-A -t 198.18.0.60:80 -s wrr', '-a -t 198.18.0.60:80 -r 198.18.0.61:80 -g -w 2', '-a -t 198.18.0.60:80 -r 198.18.0.62:80 -g -w 1',
      '-A -u [2001:db8::60]:53 -s rr', '-a -u [2001:db8::60]:53 -r [2001:db8::61]:53 -g -w 1',
    ]);
    const writes = Object.entries(r.poolChange.requests).filter(([cmd]) => [1, 2, 3, 5, 6, 7, 12, 16, 17].includes(Number(cmd)));
    assert.deepEqual(writes, [['6', 1]], 'IPVS commands that change the table, on the nlmon device: one SET_DEST');
    assert.equal(r.poolChange.log.length, 1);
    assert.equal(r.poolChange.log[0]!.operations, 1);
    assert.ok(r.subsystemSaveAfterPool.includes('-a -t 198.18.0.60:80 -r 198.18.0.62:80 -g -w 0'));
    assert.ok(r.subsystemSaveAfterHandDelete.includes('-a -t 198.18.0.60:80 -r 198.18.0.61:80 -g -w 5'), 'a destination deleted by hand comes back at the next pool change');
    const s = r.status;
    assert.equal(s.available, true);
    assert.deepEqual(s.timeouts, { tcp: 700, tcpFin: 31, udp: 200 });
    assert.deepEqual(s.services.map((x) => [x.virtualServer, x.id, x.present, x.scheduler]), [['web', 'tcp:198.18.0.60:80', true, 'wrr'], ['dns', 'udp:[2001:db8::60]:53', true, 'rr']]);
    const web = s.services[0]!;
    assert.deepEqual(web.destinations.map((d) => [d.id, d.weight]).sort(), [['198.18.0.61:80', 5], ['198.18.0.62:80', 0]]);
    assert.ok(web.stats!.conns >= 2, 'the service counted the two connection attempts');
    assert.equal(web.destinations.find((d) => d.id === '198.18.0.61:80')!.stats.conns, web.stats!.conns, 'all went to the weighted destination');
    assert.deepEqual(r.saveAfterStop, []);
    assert.deepEqual(JSON.parse(r.ownedAfterStop), { version: 1, services: {} });
    assert.deepEqual(r.subsystemErrors, []);
  });
});
