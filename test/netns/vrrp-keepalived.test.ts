/**
 * Interop with Debian's keepalived on one bridge, VRRPv2 and VRRPv3, lbd in
 * both roles: the right master is elected, each fails over to the other, and
 * tcpdump -v decodes lbd's adverts exactly like keepalived's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Capture, KeepalivedNode, LbdNode, VrrpLab, VIP1, keepalivedConf, vrrpConfig } from '../lib/vrrp-lab.js';

const MARGIN_MS = 700;
const masterDown = (priority: number, interval: number, version: 2 | 3) =>
  (3 * interval + (version === 3 ? ((256 - priority) * interval) / 256 : (256 - priority) / 256)) * 1000;

/** One decoded advert from `src` as tcpdump -v prints it, with the parts that legitimately differ masked. */
async function decoded(cap: Capture, src: string, since: number): Promise<string> {
  const line = await cap.first(new RegExp(`${src.replace(/\./g, '\\.')} > 224\\.0\\.0\\.18: VRRP`), since, 5000);
  return line.text
    .replace(/id \d+/, 'id N')
    .replace(/198\.18\.0\.\d+ > /, 'SRC > ')
    .replace(/prio \d+/, 'prio P')
    .replace(/cksum 0x[0-9a-f]+/, 'cksum X');
}

for (const version of [2, 3] as const) {
  const interval = version === 2 ? 1 : 0.1;
  const password = version === 2 ? 'secret' : undefined;
  const lbdConfig = (priority: number) => vrrpConfig({
    VI_1: {
      interface: 'eth0', virtual_router_id: 51, priority, version, advert_int: interval, virtual_ipaddress: [`${VIP1}/24`],
      ...(password ? { authentication: { auth_type: 'PASS', auth_pass: password } } : {}),
    },
  });
  const kaConf = (priority: number) => keepalivedConf({ version, priority, advertInt: interval, password });

  test(`keepalived interop, VRRPv${version} at ${interval} s: election, failover both ways, tcpdump decodes alike`, { timeout: 120_000 }, async () => {
    const vl = await VrrpLab.create(`k${version}`);
    try {
      const lbd = new LbdNode(vl, await vl.host('l', 1), 'lbd');
      const ka = new KeepalivedNode(vl, await vl.host('k', 2), 'ka');
      const client = await vl.host('c', 9);
      const cap = await Capture.start(vl, client, ['-v', 'vrrp']);

      // lbd MASTER, keepalived BACKUP.
      await ka.start(kaConf(100));
      await lbd.start(lbdConfig(150));
      await lbd.waitState('VI_1', 'MASTER', 10_000);
      await ka.waitState('VI_1', 'BACKUP');
      assert.ok(await lbd.hasVip(VIP1));
      const t0 = Date.now();
      const ours = await decoded(cap, '198.18.0.1', t0);
      assert.doesNotMatch(ours, /bad|\[\|vrrp\]|malformed/i, ours);
      if (version === 2) assert.match(ours, /VRRPv2, Advertisement, vrid 51, prio P, authtype simple, intvl 1s, length 20, addrs: 198\.18\.0\.100 auth "secret/);
      else assert.match(ours, /VRRPv3, Advertisement, vrid 51, prio P, intvl 10cs, length 12, addrs: 198\.18\.0\.100/);

      // lbd crashes: keepalived takes over within its master_down_interval.
      const killed = await lbd.crash();
      await ka.waitState('VI_1', 'MASTER', 10_000);
      const kaMaster = ka.log.find((l) => l.at >= killed && /Entering MASTER STATE/.test(l.text))!;
      assert.ok(kaMaster.at - killed <= masterDown(100, interval, version) + MARGIN_MS, `keepalived took over after ${kaMaster.at - killed} ms`);
      const theirs = await decoded(cap, '198.18.0.2', killed);
      assert.equal(ours, theirs, 'tcpdump decodes lbd\'s advert exactly like keepalived\'s');

      // lbd returns and preempts keepalived.
      await lbd.start(lbdConfig(150));
      await lbd.waitState('VI_1', 'MASTER', 10_000);
      await ka.waitState('VI_1', 'BACKUP', 10_000);

      // keepalived restarted at a higher priority: lbd is the BACKUP now...
      await ka.terminate();
      await ka.start(kaConf(200));
      await ka.waitState('VI_1', 'MASTER', 10_000);
      await lbd.waitState('VI_1', 'BACKUP', 10_000);
      assert.match(lbd.transitions.at(-1)!.reason, /higher priority master 198\.18\.0\.2 \(200 > ours 150\)/);
      assert.equal(await lbd.hasVip(VIP1), false);
      // ...and takes over when keepalived crashes,
      const kaKilled = await ka.crash();
      const t = await lbd.waitState('VI_1', 'MASTER', 10_000);
      assert.ok(t.at - kaKilled <= masterDown(150, interval, version) + MARGIN_MS, `lbd took over after ${t.at - kaKilled} ms`);
      // or at once when keepalived stops cleanly (priority 0).
      await ka.start(kaConf(200));
      await lbd.waitState('VI_1', 'BACKUP', 10_000);
      const kaStopped = await ka.terminate();
      const t2 = await lbd.waitState('VI_1', 'MASTER', 10_000);
      assert.match(t2.reason, /priority 0/);
      assert.ok(t2.at - kaStopped <= interval * 1000 + MARGIN_MS, `lbd took over ${t2.at - kaStopped} ms after keepalived's SIGTERM`);
      cap.stop();
    } finally { await vl.cleanup(); }
  });
}
