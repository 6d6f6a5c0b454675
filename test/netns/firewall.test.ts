/**
 * The appliance firewall (appliance/firewall/nftables.conf, policy drop) with lbd keeping
 * its sets: unicast VRRP adverts and the configured services get in, as real packets
 * show; what is not configured stays out; a firewall reload keeps lbd's elements.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { LbdNode, VrrpLab, VIP1, vrrpConfig } from '../lib/vrrp-lab.js';
import { must, run, waitFor } from '../lib/netns.js';
import { repoRoot } from '../lib/paths.js';

const appliance = join(repoRoot, 'appliance', 'firewall');

/** The base firewall loaded in `ns`, reading its includes from `dir`/firewall.d. Returns the file. */
async function loadFirewall(ns: string, dir: string): Promise<string> {
  const d = join(dir, 'firewall.d');
  mkdirSync(d, { recursive: true });
  copyFileSync(join(appliance, 'firewall.d', 'management.nft'), join(d, 'management.nft'));
  const conf = join(dir, 'nftables.conf');
  writeFileSync(conf, readFileSync(join(appliance, 'nftables.conf'), 'utf8').replaceAll('/etc/lb-appliance/firewall.d', d));
  await must('ip', ['netns', 'exec', ns, 'nft', '-f', conf]);
  return conf;
}

const setElements = async (ns: string, set: string) =>
  (await must('ip', ['netns', 'exec', ns, 'nft', 'list', 'set', 'inet', 'lb_filter', set])).replace(/\s+/g, ' ');

/** A TCP connection from `ns` to address:port: 'ok' (answered) or why not, within 1.5 s. */
async function connect(ns: string, address: string, port: number): Promise<string> {
  const js = `const s=require('net').connect(${port},'${address}');s.setTimeout(1500,()=>{console.log('timeout');process.exit(0)});` +
    `s.on('data',d=>{console.log(String(d).trim());process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)})`;
  return (await run('ip', ['netns', 'exec', ns, process.execPath, '-e', js], 10_000)).stdout.trim();
}

// advert_int 0.5 s (master_down ~1.6 s): a hiccup of a loaded machine is not taken for a lost master.
const v3 = (priority: number, self: string, peer: string) => ({
  interface: 'eth0', virtual_router_id: 51, priority, version: 3, advert_int: 0.5,
  unicast_src_ip: self, unicast_peer: [peer], virtual_ipaddress: [`${VIP1}/24`],
});
const service = (port: number) => ({ name: `web${port}`, address: VIP1, port, protocol: 'TCP', lb_algo: 'rr', lb_kind: 'DR', real_servers: [{ address: '198.18.0.50', port }] });

test('lbd fills the appliance firewall: unicast VRRP peers and configured services get in, others stay out, a firewall reload keeps them', { timeout: 120_000 }, async () => {
  const vl = await VrrpLab.create('fw');
  try {
    const nsA = await vl.host('a', 1);
    const nsB = await vl.host('b', 2);
    const nsC = await vl.host('c', 3);
    const confA = await loadFirewall(nsA, join(vl.tmp, 'fw-a'));
    await loadFirewall(nsB, join(vl.tmp, 'fw-b'));
    // Something answers on both ports on a, so only the firewall decides.
    const server = `require('net').createServer(s=>s.end('hello '+s.localPort+'\\n')).listen(8080);require('net').createServer(s=>s.end('hello '+s.localPort+'\\n')).listen(8081)`;
    vl.lab.spawn(nsA, process.execPath, ['-e', server]);

    const a = new LbdNode(vl, nsA, 'a', { args: ['--firewall-dir', join(vl.tmp, 'fw-a', 'firewall.d')] });
    const b = new LbdNode(vl, nsB, 'b', { args: ['--firewall-dir', join(vl.tmp, 'fw-b', 'firewall.d')] });
    const configA = (ports: number[]) => vrrpConfig({ VI_1: v3(150, '198.18.0.1', '198.18.0.2') }, { virtual_servers: ports.map(service) });
    await a.start(configA([8080]));
    await b.start(vrrpConfig({ VI_1: v3(100, '198.18.0.2', '198.18.0.1') }));
    await a.waitState('VI_1', 'MASTER');
    await b.waitState('VI_1', 'BACKUP');
    assert.match(await setElements(nsB, 'lbd_vrrp_peers4'), /elements = \{ 198\.18\.0\.1 \}/);
    assert.match(await setElements(nsA, 'lbd_vip_services4'), /elements = \{ 198\.18\.0\.100 \. tcp \. 8080 \}/);
    // b hears a through its drop-policy firewall: it stays BACKUP for many advert intervals.
    const mark = b.transitions.length;
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual(b.after(mark, 'VI_1').map((t) => t.to), []);

    // Without lbd's peer element, a's adverts are dropped: b takes over (the control).
    await must('ip', ['netns', 'exec', nsB, 'nft', 'flush', 'set', 'inet', 'lb_filter', 'lbd_vrrp_peers4']);
    await b.waitState('VI_1', 'MASTER', 5000);
    // A reload puts it back, and b yields to the higher priority again.
    await b.reload(vrrpConfig({ VI_1: v3(100, '198.18.0.2', '198.18.0.1') }));
    await b.waitState('VI_1', 'BACKUP', 5000);

    // Services: the configured port answers through a's firewall, the other is dropped...
    await waitFor('a holds the VIP', () => a.hasVip(VIP1), 5000);
    assert.equal(await connect(nsC, VIP1, 8080), 'hello 8080');
    assert.equal(await connect(nsC, VIP1, 8081), 'timeout');
    // ...until a config that serves it is applied.
    await a.reload(configA([8080, 8081]));
    await waitFor('8081 let in', async () => /8081/.test(await setElements(nsA, 'lbd_vip_services4')), 5000);
    assert.equal(await connect(nsC, VIP1, 8081), 'hello 8081');

    // Reloading the base firewall (systemctl reload nftables) keeps lbd's elements: it includes lbd.elements.nft.
    assert.ok(existsSync(join(vl.tmp, 'fw-a', 'firewall.d', 'lbd.elements.nft')));
    await must('ip', ['netns', 'exec', nsA, 'nft', '-f', confA]);
    assert.match(await setElements(nsA, 'lbd_vip_services4'), /198\.18\.0\.100 \. tcp \. 8080, 198\.18\.0\.100 \. tcp \. 8081/);
    assert.equal(await connect(nsC, VIP1, 8081), 'hello 8081');
  } finally { await vl.cleanup(); }
});
