/**
 * Guest scenario (runs inside the test VM, see test/vm/demo-l4.test.ts): `npm run demo` where
 * the kernel has IPVS. The demo detects IPVS itself and starts the L4 variant: LVS-DR on the
 * VIP with HTTP_GET checks and a sorry server. Read back from the kernel (`ipvsadm -Ln` in the
 * load balancers' namespaces) and through real requests with `lbctl demo curl`: requests reach
 * several real servers, a stopped one leaves the kernel table, the sorry server takes over when
 * none is left, killing the master moves the VIP and the traffic to lb2, and Ctrl-C leaves no
 * namespace, process or IPVS service behind.
 */
import { spawn } from 'node:child_process';
import { run, waitFor } from '../../lib/netns.js';
import { scenario } from '../lib/guest.js';
import { CHECKOUT } from '../lib/vm.js';

const PREFIX = 'ldv';
// The demo and lbctl find this lab through the environment; no LB_DEMO_VARIANT: the demo detects IPVS.
Object.assign(process.env, { LB_DEMO_DIR: '/tmp/lb-demo', LB_DEMO_PREFIX: PREFIX, LB_DEMO_ADMIN_PORT: '0' });
delete process.env.LB_DEMO_VARIANT;

async function lbctl(...args: string[]): Promise<string> {
  const r = await run('node', [`${CHECKOUT}/dist/src/cli/lbctl.js`, 'demo', ...args], 120_000);
  if (r.code !== 0) throw new Error(`lbctl demo ${args.join(' ')}: exit ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}
/** Which servers answered `lbctl demo curl`. */
const answered = (out: string) => [...out.matchAll(/^\s+\d+: (\S+) \(/gm)].map((m) => m[1]!).sort();
/** `ipvsadm -Ln` of one lb namespace, as trimmed lines without the header. */
const ipvs = async (node: string) => (await run('ip', ['netns', 'exec', `${PREFIX}-${node}`, 'ipvsadm', '-Ln']))
  .stdout.split('\n').slice(3).map((l) => l.trim().replace(/\s+/g, ' ')).filter(Boolean);
const servers = (table: string[]) => table.filter((l) => l.startsWith('->')).map((l) => l.split(' ').slice(1, 4).join(' '));

await scenario(async (report: Record<string, unknown>) => {
  const demo = spawn('node', [`${CHECKOUT}/dist/src/demo/main.js`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const s of [demo.stdout, demo.stderr]) s.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = new Promise<number | null>((r) => demo.once('exit', (code) => r(code)));
  try {
    const t0 = Date.now();
    await waitFor('the demo banner', () => output.includes('Press Ctrl-C') || (demo.exitCode !== null && Promise.reject(new Error(output))), 480_000, 250);
    report.startMs = Date.now() - t0;
    report.banner = output;

    // HTTP_GET checks bring the three real servers into the kernel table of both directors.
    report.lb1Start = await waitFor('three real servers on lb1', async () => { const t = await ipvs('lb1'); return servers(t).length === 3 && t; }, 60_000, 250);
    report.lb2Start = await waitFor('three real servers on lb2', async () => { const t = await ipvs('lb2'); return servers(t).length === 3 && t; }, 60_000, 250);
    report.answersStart = answered(await lbctl('curl', '-n', '6'));

    await lbctl('stop-web', 'rs1');
    report.lb1Rs1Down = await waitFor('rs1 out of lb1', async () => { const t = await ipvs('lb1'); return servers(t).length === 2 && t; }, 60_000, 250);
    report.answersRs1Down = answered(await lbctl('curl', '-n', '4'));

    await lbctl('stop-web', 'rs2');
    await lbctl('stop-web', 'rs3');
    report.lb1Sorry = await waitFor('only the sorry server on lb1', async () => {
      const t = await ipvs('lb1'); return servers(t).length === 1 && servers(t)[0]!.startsWith('198.18.0.30:80') && t;
    }, 60_000, 250);
    report.answersSorry = answered(await lbctl('curl', '-n', '2'));
    for (const rs of ['rs1', 'rs2', 'rs3']) await lbctl('start-web', rs);
    report.lb1Back = await waitFor('three real servers back on lb1', async () => { const t = await ipvs('lb1'); return servers(t).length === 3 && t; }, 60_000, 250);

    report.fail = await lbctl('fail', 'lb1');
    report.answersLb2 = answered(await waitFor('answers through lb2', async () => { const o = await lbctl('curl', '-n', '6'); return answered(o).length === 6 && o; }, 60_000, 500));
    report.lb2Addrs = (await run('ip', ['-n', `${PREFIX}-lb2`, '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout;
  } finally {
    if (demo.exitCode === null) demo.kill('SIGINT');
    report.exit = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 60_000))]);
    report.output = output;
    report.namespacesLeft = (await run('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(`${PREFIX}-`));
    report.ipvsLeftInRoot = (await run('ipvsadm', ['-Ln'])).stdout.split('\n').slice(3).filter(Boolean);
  }
});
