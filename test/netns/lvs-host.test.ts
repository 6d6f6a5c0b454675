/**
 * LVS pieces that the host kernel can prove without IPVS: the marking table applied by real
 * nftables in a namespace, the real-server script against real ARP, and the one-line message
 * of a kernel without IPVS (this host's kernel has none).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, must, run } from '../lib/netns.js';
import { markRules, markScript } from '../../src/lvs/marks.js';
import { realServerScript } from '../../src/lvs/realserver-script.js';
import { IpvsClient, IpvsUnavailableError } from '../../src/ipvs/index.js';
import { LvsSubsystem } from '../../src/lvs/subsystem.js';
import { StatusHub } from '../../src/status/hub.js';
import { createLogger, LogRing } from '../../src/log/logger.js';
import { parseConfigText } from '../../src/config/load.js';
import type { LvsStatus } from '../../src/lvs/status.js';

const tmp = mkdtempSync(join(tmpdir(), 'lvs-host-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const FW_CONFIG = `
global: { router_id: t }
virtual_servers:
  - name: web-80-443
    fwmark: 80
    mark_rules: [{ address: 198.18.0.110, protocol: tcp, ports: [80, 443] }, { address: 198.18.1.0/24, protocol: udp }]
    real_servers: [{ address: 198.18.0.11 }]
  - name: web6
    fwmark: 81
    ip_family: inet6
    mark_rules: [{ address: 2001:db8::110, protocol: tcp, ports: [443] }]
    real_servers: [{ address: 2001:db8::11 }]
`;

describe('table inet lbd in real nftables', { timeout: 60_000 }, () => {
  let lab: Lab;
  let ns: string;
  before(async () => { lab = await Lab.create('lvsn'); ns = await lab.addNs('d'); });
  after(() => lab.cleanup());
  const nft = (args: string[]) => must('ip', ['netns', 'exec', ns, 'nft', ...args]);

  it('applies, replaces and removes the table atomically, never touching another table', async () => {
    await nft(['add table inet other; add chain inet other c { type filter hook input priority 0; }; add rule inet other c counter']);
    const cfg = parseConfigText(FW_CONFIG, 'fw.yaml').config!;
    const file = join(tmp, 'marks.nft');
    writeFileSync(file, markScript(markRules(cfg.virtual_servers)));
    await nft(['-f', file]);
    await nft(['-f', file]); // again: replaced, not duplicated
    const t = await nft(['list', 'table', 'inet', 'lbd']);
    assert.equal((t.match(/meta mark set/g) ?? []).length, 3);
    assert.match(t, /ip daddr 198\.18\.1\.0\/24 meta l4proto udp counter packets 0 bytes 0 meta mark set 0x00000050/);
    assert.match(t, /type filter hook prerouting priority mangle; policy accept;/);
    assert.match(t, /ip daddr 198\.18\.0\.110 tcp dport \{ 80, 443 \} counter packets 0 bytes 0 meta mark set 0x00000050 comment "web-80-443"/);
    assert.match(t, /ip6 daddr 2001:db8::110 tcp dport 443 counter packets 0 bytes 0 meta mark set 0x00000051 comment "web6"/);
    writeFileSync(file, markScript([]));
    await nft(['-f', file]);
    await nft(['-f', file]); // removing an absent table is fine
    const tables = await nft(['list', 'tables']);
    assert.doesNotMatch(tables, /table inet lbd/);
    assert.match(tables, /table inet other/);
  });
});

describe('the real-server script against real ARP', { timeout: 90_000 }, () => {
  let lab: Lab;
  let client: string;
  let rs: string;
  const VIP = '198.18.0.100';
  const script = join(tmp, 'rs.sh');
  before(async () => {
    lab = await Lab.create('lvsa');
    client = await lab.addNs('cl');
    rs = await lab.addNs('rs');
    await lab.connect(client, 'eth0', 'br0', ['198.18.0.1/24']);
    await lab.connect(rs, 'eth0', 'br0', ['198.18.0.11/24']);
    writeFileSync(script, realServerScript([VIP, '2001:db8::100']));
  });
  after(() => lab.cleanup());
  const arpReplies = async () => {
    await lab.exec(client, 'ip', ['neigh', 'flush', 'dev', 'eth0']);
    const r = await lab.exec(client, 'arping', ['-c', '2', '-w', '3', '-I', 'eth0', VIP], 15_000);
    return (r.stdout.match(/reply from/gi) ?? []).length;
  };
  const sysctl = async (k: string) => (await lab.exec(rs, 'cat', [`/proc/sys/net/ipv4/conf/${k}`])).stdout.trim();

  it('control: a VIP on lo without the ARP settings is answered for on the wire', async () => {
    await lab.exec(rs, 'ip', ['addr', 'add', `${VIP}/32`, 'dev', 'lo']);
    assert.ok(await arpReplies() > 0, 'Linux answers ARP for any local address by default');
    await lab.exec(rs, 'ip', ['addr', 'del', `${VIP}/32`, 'dev', 'lo']);
  });

  it('start: the VIPs on lo, ARP for them silenced; status says ready', async () => {
    await must('ip', ['netns', 'exec', rs, 'sh', script, 'start']);
    await must('ip', ['netns', 'exec', rs, 'sh', script, 'start']); // idempotent
    assert.match(await must('ip', ['-n', rs, '-o', 'addr', 'show', 'dev', 'lo']), /inet 198\.18\.0\.100\/32 [\s\S]*inet6 2001:db8::100\/128/);
    assert.deepEqual([await sysctl('all/arp_ignore'), await sysctl('all/arp_announce'), await sysctl('lo/arp_ignore'), await sysctl('lo/arp_announce')], ['1', '2', '1', '2']);
    assert.equal(await arpReplies(), 0, 'no ARP reply for the VIP from the real server');
    const st = await lab.exec(rs, 'sh', [script, 'status']);
    assert.equal(st.code, 0, st.stdout);
    assert.match(st.stdout, /ready for LVS-DR: 198\.18\.0\.100 2001:db8::100/);
  });

  it('stop: VIPs removed, ARP settings restored; status fails', async () => {
    await must('ip', ['netns', 'exec', rs, 'sh', script, 'stop']);
    assert.doesNotMatch(await must('ip', ['-n', rs, '-o', 'addr', 'show', 'dev', 'lo']), /198\.18\.0\.100|2001:db8::100/);
    assert.deepEqual([await sysctl('all/arp_ignore'), await sysctl('all/arp_announce')], ['0', '0']);
    const st = await lab.exec(rs, 'sh', [script, 'status']);
    assert.equal(st.code, 3);
    assert.match(st.stdout, /198\.18\.0\.100: not on lo/);
    assert.equal((await lab.exec(rs, 'sh', [script, 'bogus'])).code, 2);
  });
});

// This host's kernel has no IPVS (see docs); elsewhere there is nothing to prove here.
const noIpvs = existsSync('/proc/net/ip_vs') ? 'this kernel has IPVS' : false;
describe('a kernel without IPVS', { timeout: 60_000, skip: noIpvs }, () => {
  it('the client says so in one line', async () => {
    const e = await IpvsClient.open().then(() => undefined, (x: unknown) => x);
    assert.ok(e instanceof IpvsUnavailableError);
    assert.equal(e.stack, `IpvsUnavailableError: ${e.message}`, 'no stack trace');
    assert.match(e.message, /^IPVS is not available in this kernel: the generic netlink family "IPVS" does not exist/);
  });

  it('lbctl ipvs list prints one line and exits 1', async () => {
    const r = await run('node', [join(process.cwd(), 'dist/src/cli/lbctl.js'), 'ipvs', 'list']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /^lbctl ipvs: IPVS is not available in this kernel/);
  });

  it('the LVS subsystem logs one error line, publishes the reason and does not stop lbd', async () => {
    const ring = new LogRing();
    const hub = new StatusHub();
    const lvs = new LvsSubsystem({ log: createLogger({ ring, stream: { write: () => undefined } }), status: hub, stateDir: tmp });
    const cfg = parseConfigText(`
global: { router_id: t }
virtual_servers:
  - { name: a, address: 198.18.0.10, port: 80, protocol: TCP, real_servers: [{ address: 198.18.0.11 }] }
  - { name: b, address: 198.18.0.10, port: 443, protocol: TCP, real_servers: [{ address: 198.18.0.11 }] }
`, 'x.yaml');
    assert.deepEqual(cfg.diagnostics, []);
    await lvs.start(cfg.config!);
    await lvs.stop();
    const errors = ring.recent().filter((l) => l.level === 'error');
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]!.msg), /^IPVS is not available in this kernel.*; the 2 virtual server\(s\) are not programmed$/);
    assert.equal(errors[0]!.err, undefined, 'no error object with a stack in the log');
    const st = hub.get<LvsStatus>('lvs')!;
    assert.equal(st.available, false);
    assert.match(st.error!, /^IPVS is not available/);
  });
});
