/**
 * Guest scenario (runs inside the test VM, see test/vm/lvs-health.test.ts): the LVS-DR tutorial
 * path with health checks in the real kernel. lbd checks three real servers with HTTP_GET and
 * programs IPVS from the live pool: a stopped web server leaves `ipvsadm -Ln` (or stays with
 * weight 0 under inhibit_on_failure), the sorry server takes over when none is left, and
 * everything comes back when the servers do. Each change is timed from the moment the web
 * server was stopped or started to the moment the kernel table shows it.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Lab, must, waitFor } from '../../lib/netns.js';
import { scenario } from '../lib/guest.js';
import { realServerScript } from '../../../src/lvs/realserver-script.js';
import { CONFIG, Lbd, connectRootClient, countResponses, table } from '../lib/director.js';

const VIP = '198.18.1.100', VIP_INHIBIT = '198.18.1.101';
const CLIENT = '198.18.1.1', DIRECTOR = '198.18.1.2';
const RS = { rs1: '198.18.1.11', rs2: '198.18.1.12', sorry: '198.18.1.30' } as const;
type RsName = keyof typeof RS;

// Quick checks so the scenario is short; the semantics (retry, delay_before_retry) are keepalived's.
const check = { type: 'HTTP_GET', url: [{ path: '/index.html', status_code: 200 }], connect_timeout: 1, retry: 1, delay_before_retry: 0.5 };
const servers = () => [RS.rs1, RS.rs2].map((address) => ({ address, port: 80, weight: 1, checks: [check] }));
const CONFIG_DOC = {
  global: { router_id: 'director', logging: { level: 'debug' } },
  virtual_servers: [
    { name: 'web', address: VIP, port: 80, protocol: 'TCP', lb_algo: 'rr', lb_kind: 'DR', delay_loop: 1, sorry_server: { address: RS.sorry, port: 80 }, real_servers: servers() },
    { name: 'web-inhibit', address: VIP_INHIBIT, port: 80, protocol: 'TCP', lb_algo: 'rr', lb_kind: 'DR', delay_loop: 1, real_servers: servers().map((s) => ({ ...s, inhibit_on_failure: true })) },
  ],
};

await scenario(async (report: Record<string, unknown>) => {
  const lab = await Lab.create('hc');
  try {
    const dir = await lab.addNs('dir');
    const ns = {} as Record<RsName, string>;
    for (const n of Object.keys(RS) as RsName[]) ns[n] = await lab.addNs(n);
    await lab.connect(dir, 'eth0', 'br0', [`${DIRECTOR}/24`, `${VIP}/32`, `${VIP_INHIBIT}/32`]);
    for (const n of Object.keys(RS) as RsName[]) await lab.connect(ns[n], 'eth0', 'br0', [`${RS[n]}/24`]);
    // The VM's root namespace is the client.
    await connectRootClient(lab, CLIENT);

    // Real servers (and the sorry server) hold the VIPs without answering ARP for them.
    writeFileSync('/tmp/rs.sh', realServerScript([VIP, VIP_INHIBIT]));
    const web = {} as Record<RsName, ChildProcess>;
    const startWeb = (n: RsName) => { web[n] = lab.spawn(ns[n], 'busybox', ['httpd', '-f', '-p', '80', '-h', `/tmp/www-${n}`]); };
    for (const n of Object.keys(RS) as RsName[]) {
      await must('ip', ['netns', 'exec', ns[n], 'sh', '/tmp/rs.sh', 'start']);
      mkdirSync(`/tmp/www-${n}`, { recursive: true });
      writeFileSync(`/tmp/www-${n}/index.html`, `${n}\n`);
      startWeb(n);
      await waitFor(`${n} http`, async () => (await lab.exec(ns[n], 'busybox', ['wget', '-q', '-O', '-', 'http://127.0.0.1/index.html'])).stdout.trim() === n, 30_000, 200);
    }

    writeFileSync(CONFIG, JSON.stringify(CONFIG_DOC, null, 2));
    const lbd = new Lbd(lab, dir);
    await lbd.waitLog(/^lbd running$/);
    /** Waits until the kernel table satisfies `ok`; returns the table and the ms since `from`. */
    const tableWhen = async (what: string, from: number, ok: (t: string[]) => boolean) => {
      const t = await waitFor(`ipvsadm: ${what}`, async () => { const x = await table(dir); return ok(x) ? x : undefined; }, 60_000, 100);
      return { table: t, ms: Date.now() - from };
    };
    const has = (t: string[], line: string) => t.includes(line);
    const rsLine = (addr: string, weight: number) => `-> ${addr}:80 Route ${weight}`;
    const webBlock = (t: string[]) => t.slice(t.indexOf(`TCP ${VIP}:80 rr`) + 1, t.indexOf(`TCP ${VIP_INHIBIT}:80 rr`));
    const inhibitBlock = (t: string[]) => t.slice(t.indexOf(`TCP ${VIP_INHIBIT}:80 rr`) + 1);

    const t0 = Date.now();
    report.start = await tableWhen('both servers in both services', t0, (t) => webBlock(t).length === 2 && inhibitBlock(t).length === 2);
    report.trafficBoth = await countResponses(VIP, 80, 20);

    let at = Date.now();
    web.rs1.kill('SIGKILL');
    report.rs1Down = await tableWhen('rs1 out of web, weight 0 in web-inhibit', at,
      (t) => !webBlock(t).some((l) => l.includes(RS.rs1)) && has(inhibitBlock(t), rsLine(RS.rs1, 0)));
    report.trafficRs1Down = await countResponses(VIP, 80, 10);
    report.trafficInhibitRs1Down = await countResponses(VIP_INHIBIT, 80, 10);

    at = Date.now();
    web.rs2.kill('SIGKILL');
    // Each service checks its own servers: wait for both to have seen rs2 fail.
    report.bothDown = await tableWhen('the sorry server alone in web, rs2 at weight 0 in web-inhibit', at,
      (t) => webBlock(t).length === 1 && has(webBlock(t), rsLine(RS.sorry, 1)) && has(inhibitBlock(t), rsLine(RS.rs2, 0)));
    report.trafficSorry = await countResponses(VIP, 80, 5);

    at = Date.now();
    startWeb('rs1');
    report.rs1Back = await tableWhen('rs1 back, the sorry server gone', at,
      (t) => webBlock(t).length === 1 && has(webBlock(t), rsLine(RS.rs1, 1)) && has(inhibitBlock(t), rsLine(RS.rs1, 1)));
    report.trafficRs1Back = await countResponses(VIP, 80, 10);
    report.healthStatus = lbd.lines.filter((l) => /real server .* (up|down)|sorry server/i.test(String(l.msg ?? ''))).map((l) => l.msg);

    lbd.proc.kill('SIGTERM');
    report.stopExit = await lbd.exited();
    report.tableAfterStop = await table(dir);
    report.lbdErrors = lbd.errors();
  } finally {
    await lab.cleanup();
  }
});
