/**
 * Guest scenario (runs inside the test VM, see test/vm/lvs-dr.test.ts): LVS-DR and fwmark
 * virtual servers programmed by a real lbd in a director namespace, real servers prepared by
 * the generated real-server script, HTTP traffic from the VM's root namespace as the client.
 * It records observations (request counts, captured frames, netlink messages, ipvsadm and
 * nft read-backs) in report.json; the host-side test asserts on them.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Lab, must, run, waitFor } from '../../lib/netns.js';
import { scenario } from '../lib/guest.js';
import { NetlinkCapture, countRequests } from '../lib/netlink-capture.js';
import { IpvsClient } from '../../../src/ipvs/index.js';
import { realServerScript } from '../../../src/lvs/realserver-script.js';
import { CONFIG, Lbd, STATE, connectRootClient, countResponses, ipvsadm, table } from '../lib/director.js';

const VIP_RR = '198.18.1.100', VIP_WRR = '198.18.1.101', VIP_FW = '198.18.1.110', HAND_VIP = '198.18.1.200';
const CLIENT = '198.18.1.1', DIRECTOR = '198.18.1.2';
const RS = { rs1: '198.18.1.11', rs2: '198.18.1.12', rs3: '198.18.1.13' } as const;
type RsName = keyof typeof RS;

interface RealServerSpec { address: string; port?: number; weight?: number }
interface VsSpec { name: string; address?: string; port?: number; fwmark?: number; lb_algo: string; real_servers: RealServerSpec[]; mark_rules?: unknown[] }

function writeConfig(vss: VsSpec[]): void {
  const config = {
    global: { router_id: 'director', lvs_timeouts: { tcp: 901, tcpfin: 31, udp: 301 }, logging: { level: 'debug' } },
    virtual_servers: vss.map((v) => ({ protocol: v.fwmark ? undefined : 'TCP', lb_kind: 'DR', ...v })),
  };
  writeFileSync(CONFIG, JSON.stringify(config, null, 2)); // JSON is YAML
}

const rrVs = (servers: RealServerSpec[]): VsSpec => ({ name: 'web-rr', address: VIP_RR, port: 80, lb_algo: 'rr', real_servers: servers });
const wrrVs = (w1: number, w2: number): VsSpec => ({
  name: 'web-wrr', address: VIP_WRR, port: 80, lb_algo: 'wrr',
  real_servers: [{ address: RS.rs1, port: 80, weight: w1 }, { address: RS.rs2, port: 80, weight: w2 }],
});
const fwVs: VsSpec = {
  name: 'web-fw', fwmark: 80, lb_algo: 'rr', mark_rules: [{ address: VIP_FW, protocol: 'tcp', ports: [80, 443] }],
  real_servers: [{ address: RS.rs1 }, { address: RS.rs2 }],
};

interface Frame { srcMac: string; dstMac: string; src: string; dst: string }
/** Frames in a pcap, via tcpdump's own decoder (-e prints the MAC addresses). */
async function frames(file: string, filter: string): Promise<Frame[]> {
  const out = await must('tcpdump', ['-r', file, '-e', '-n', '-tt', filter]);
  return out.split('\n').filter(Boolean).map((l) => {
    const m = /^\S+ (\S+) > (\S+), .*? (\d+\.\d+\.\d+\.\d+)\.\d+ > (\d+\.\d+\.\d+\.\d+)\.\d+:/.exec(l);
    return m ? { srcMac: m[1]!, dstMac: m[2]!, src: m[3]!, dst: m[4]! } : { srcMac: '?', dstMac: '?', src: '?', dst: l };
  });
}

/** Destination lines prefixed with their service ("TCP 198.18.1.100:80 -> 198.18.1.11:80 Route 1"). */
function contextual(lines: string[]): string[] {
  let service = '';
  return lines.map((l) => (l.startsWith('->') ? `${service} ${l}` : (service = l.split(' ').slice(0, 2).join(' '), l)));
}
/** Lines in one listing and not the other, both ways. */
function lineDiff(a: string[], b: string[]): { removed: string[]; added: string[] } {
  const [ca, cb] = [contextual(a), contextual(b)];
  return { removed: ca.filter((l) => !cb.includes(l)), added: cb.filter((l) => !ca.includes(l)) };
}
/** Conns per destination of one service, from ipvsadm -Ln --stats. */
async function connsPerDest(ns: string, service: string): Promise<Record<string, number>> {
  const lines = (await ipvsadm(ns, ['-Ln', '--stats'])).split('\n');
  const out: Record<string, number> = {};
  let inService = false;
  for (const l of lines) {
    if (/^(TCP|UDP|SCTP|FWM)/.test(l)) inService = l.split(/\s+/).slice(0, 2).join(' ') === service;
    else if (inService && l.trim().startsWith('->')) { const f = l.trim().split(/\s+/); out[f[1]!] = Number(f[2]); }
  }
  return out;
}

/**
 * The kernel folds its per-CPU counters into the totals it reports on its 2 s estimator
 * tick, so connections of the last two seconds may not show yet: read until the totals
 * account for the `expected` requests made, or 10 s have passed (then the last reading).
 */
async function settledConns(ns: string, service: string, expected: number): Promise<Record<string, number>> {
  const until = Date.now() + 10_000;
  for (;;) {
    const c = await connsPerDest(ns, service);
    if (Object.values(c).reduce((a, b) => a + b, 0) >= expected || Date.now() > until) return c;
    await new Promise((r) => setTimeout(r, 500));
  }
}

const IPVS_WRITES: Record<number, string> = { 1: 'NEW_SERVICE', 2: 'SET_SERVICE', 3: 'DEL_SERVICE', 5: 'NEW_DEST', 6: 'SET_DEST', 7: 'DEL_DEST', 12: 'SET_CONFIG', 16: 'ZERO', 17: 'FLUSH' };
function writesOf(counts: Record<number, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [cmd, n] of Object.entries(counts)) if (IPVS_WRITES[Number(cmd)]) out[IPVS_WRITES[Number(cmd)]!] = n;
  return out;
}

await scenario(async (report: Record<string, unknown>) => {
  const t0 = Date.now();
  const steps: string[] = [];
  report.steps = steps;
  const step = (name: string) => steps.push(`${name} +${Math.round((Date.now() - t0) / 1000)}s`);
  const lab = await Lab.create('dr');
  try {
    // ---- topology: the VM's root namespace is the client, on one L2 segment with the rest
    const dir = await lab.addNs('dir');
    const rs: Record<RsName, string> = { rs1: await lab.addNs('rs1'), rs2: await lab.addNs('rs2'), rs3: await lab.addNs('rs3') };
    await lab.connect(dir, 'eth0', 'br0', [`${DIRECTOR}/24`, `${VIP_RR}/32`, `${VIP_WRR}/32`, `${VIP_FW}/32`, `${HAND_VIP}/32`]);
    for (const n of Object.keys(RS) as RsName[]) await lab.connect(rs[n], 'eth0', 'br0', [`${RS[n]}/24`]);
    await connectRootClient(lab, CLIENT);
    await must('ip', ['link', 'set', 'lo', 'up']);
    const mac = async (ns: string) => (JSON.parse(await must('ip', ['-n', ns, '-j', 'link', 'show', 'eth0'])) as { address: string }[])[0]!.address;
    const macs = { director: await mac(dir), rs1: await mac(rs.rs1), rs2: await mac(rs.rs2), rs3: await mac(rs.rs3) };
    report.macs = macs;

    // ---- real servers: the generated DR script, then an HTTP server on 80 and 443 naming itself
    const script = '/tmp/rs.sh';
    writeFileSync(script, realServerScript([VIP_RR, VIP_WRR, VIP_FW, HAND_VIP]));
    const rsStatus: Record<string, string> = {};
    for (const n of Object.keys(RS) as RsName[]) {
      await must('ip', ['netns', 'exec', rs[n], 'sh', script, 'start']);
      rsStatus[n] = (await lab.exec(rs[n], 'sh', [script, 'status'])).stdout.trim();
      mkdirSync(`/tmp/www-${n}`, { recursive: true });
      writeFileSync(`/tmp/www-${n}/index.html`, `${n}\n`);
      for (const port of [80, 443, 8080]) lab.spawn(rs[n], 'busybox', ['httpd', '-f', '-p', String(port), '-h', `/tmp/www-${n}`]);
    }
    report.realServerStatus = rsStatus;
    // Control: the client's ARP for a VIP is answered by the director alone.
    await must('ip', ['neigh', 'flush', 'dev', 'cl0']);
    const arp = await run('arping', ['-c', '3', '-w', '5', '-I', 'cl0', VIP_RR], 20_000);
    report.arpRepliesFrom = [...new Set([...arp.stdout.matchAll(/from \S+ \[([0-9a-f:]+)\]/gi)].map((m) => m[1]!.toLowerCase()))];
    for (const n of Object.keys(RS) as RsName[]) await waitFor(`${n} http`, async () => (await lab.exec(rs[n], 'busybox', ['wget', '-q', '-O', '-', 'http://127.0.0.1/'])).stdout.trim() === n, 30_000, 200);
    step('topology');

    // ---- someone else's objects: a hand-made IPVS service and an nftables table
    await ipvsadm(dir, ['-A', '-t', `${HAND_VIP}:8080`, '-s', 'lc']);
    await ipvsadm(dir, ['-a', '-t', `${HAND_VIP}:8080`, '-r', `${RS.rs3}:8080`, '-g', '-w', '7']);
    await must('ip', ['netns', 'exec', dir, 'nft', 'add table inet other; add chain inet other c { type filter hook input priority 0; }; add rule inet other c counter']);
    const handMade = (await table(dir)).filter((l) => l.includes(HAND_VIP) || l.includes(`${RS.rs3}:8080`));
    report.handMadeBefore = handMade;

    // ---- lbd starts: rr 1:1, wrr 3:1, fwmark 80 for tcp/80+443
    writeConfig([rrVs([{ address: RS.rs1, port: 80 }, { address: RS.rs2, port: 80 }]), wrrVs(3, 1), fwVs]);
    let lbd = new Lbd(lab, dir);
    const family = await (async () => { const c = await IpvsClient.open(); const f = c.familyId; c.close(); return f; })();
    await lbd.waitLog(/^lbd running$/);
    step('lbd started');
    report.startReconcile = lbd.reconcileLogs(0);
    report.tableAfterStart = await table(dir);
    report.timeouts = await ipvsadm(dir, ['-L', '--timeout']);
    report.nftAfterStart = await must('ip', ['netns', 'exec', dir, 'nft', 'list', 'ruleset']);

    // ---- DR traffic: rr and wrr by real requests, with a capture on the client's interface
    const pcap = '/tmp/client.pcap';
    const td = spawn('tcpdump', ['-i', 'cl0', '-U', '-n', '-w', pcap, 'tcp port 80 or tcp port 443'], { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((res) => td.stderr!.on('data', (d: Buffer) => { if (d.toString().includes('listening')) res(); }));
    report.rr = await countResponses(VIP_RR, 80, 60);
    report.wrr = await countResponses(VIP_WRR, 80, 80);
    report.fw80 = await countResponses(VIP_FW, 80, 40);
    report.fw443 = await countResponses(VIP_FW, 443, 40);
    await new Promise<void>((res) => { td.on('close', () => res()); td.kill('SIGINT'); });
    step('traffic');
    const replies = await frames(pcap, `tcp and src host ${VIP_RR} and src port 80`);
    const requests = await frames(pcap, `tcp and dst host ${VIP_RR} and dst port 80`);
    const byMac = (fs: Frame[], k: 'srcMac' | 'dstMac') => fs.reduce<Record<string, number>>((a, f) => ({ ...a, [f[k]]: (a[f[k]] ?? 0) + 1 }), {});
    report.rrReplyFramesBySrcMac = byMac(replies, 'srcMac');
    report.rrRequestFramesByDstMac = byMac(requests, 'dstMac');
    report.statsRr = await settledConns(dir, `TCP ${VIP_RR}:80`, 60);
    report.statsWrr = await settledConns(dir, `TCP ${VIP_WRR}:80`, 80);
    report.statsFw = await settledConns(dir, 'FWM 80', 80);
    report.nftCounters = await must('ip', ['netns', 'exec', dir, 'nft', '-j', 'list', 'table', 'inet', 'lbd']);

    // ---- reloads, each counted on the wire (nlmon) and in the table
    // ipvsadm's GET_INFO marks the end of a capture: everything before it was captured.
    const marker = () => ipvsadm(dir, ['-Ln']);
    const isMarker = (m: { type: number; cmd: number }) => m.type === family && m.cmd === 15;
    const reload = async (name: string, vss: VsSpec[]) => {
      const before = await table(dir);
      const cap = await NetlinkCapture.start(dir, `/tmp/${name}.pcap`);
      const from = lbd.lines.length;
      writeConfig(vss);
      lbd.proc.kill('SIGHUP');
      await lbd.waitLog(/^applying config$/, from);
      const done = await lbd.waitLog(/^IPVS: \d+ of \d+ operation/, from);
      const msgs = await cap.stop(marker, isMarker);
      const after = await table(dir);
      step(name);
      return { writes: writesOf(countRequests(msgs, family)), lbdLog: done, diff: lineDiff(before, after) };
    };
    report.reloadWeight = await reload('weight', [rrVs([{ address: RS.rs1, port: 80 }, { address: RS.rs2, port: 80 }]), wrrVs(2, 1), fwVs]);
    report.reloadAdd = await reload('add', [rrVs([{ address: RS.rs1, port: 80 }, { address: RS.rs2, port: 80 }, { address: RS.rs3, port: 80 }]), wrrVs(2, 1), fwVs]);
    report.reloadRemove = await reload('remove', [rrVs([{ address: RS.rs1, port: 80 }, { address: RS.rs3, port: 80 }]), wrrVs(2, 1), fwVs]);
    report.ownedAfterReloads = JSON.parse(readFileSync(`${STATE}/lvs-owned.json`, 'utf8'));

    // ---- kill -9; the config changes while lbd is down; restart converges
    const tableAtKill = await table(dir);
    lbd.proc.kill('SIGKILL');
    await lbd.exited();
    report.tableSurvivesKill = lineDiff(tableAtKill, await table(dir));
    writeConfig([rrVs([{ address: RS.rs1, port: 80 }, { address: RS.rs3, port: 80, weight: 2 }]), fwVs]); // web-wrr gone, rs3 weight 2
    const cap = await NetlinkCapture.start(dir, '/tmp/restart.pcap');
    lbd = new Lbd(lab, dir);
    await lbd.waitLog(/^lbd running$/);
    const restartMsgs = await cap.stop(marker, isMarker);
    step('restart');
    report.restartWrites = writesOf(countRequests(restartMsgs, family));
    report.restartReconcile = lbd.reconcileLogs(0);
    report.tableAfterRestart = await table(dir);
    report.nftTablesAfterRestart = await must('ip', ['netns', 'exec', dir, 'nft', 'list', 'tables']);
    report.nftAfterRestart = await must('ip', ['netns', 'exec', dir, 'nft', 'list', 'ruleset']);
    report.rrAfterRestart = await countResponses(VIP_RR, 80, 30);
    report.ownedAfterRestart = JSON.parse(readFileSync(`${STATE}/lvs-owned.json`, 'utf8'));

    // ---- SIGTERM: lbd removes what it owns, and nothing else
    lbd.proc.kill('SIGTERM');
    report.stopExit = await lbd.exited();
    step('stop');
    report.tableAfterStop = await table(dir);
    report.nftTablesAfterStop = await must('ip', ['netns', 'exec', dir, 'nft', 'list', 'tables']);
    report.lbdErrors = lbd.errors();
  } finally {
    await lab.cleanup();
  }
});
