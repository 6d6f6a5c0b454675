/**
 * Health checks at scale: N real servers (default 2,000 loopback listeners of
 * one nginx) checked by HTTP_GET every second. Measures, for lbd's checker and
 * for keepalived's (`keepalived -C`) on the equivalent config, one after the
 * other on the same machine: CPU (% of one core), peak RSS, the check rate the
 * web server actually saw (nginx stub_status), and the time to detect a
 * failure (10 servers start answering 503) against the bound
 * delay_loop + connect_timeout × (retry + 1) + delay_before_retry × retry.
 *
 * keepalived's checker exits at start when the kernel has no IPVS ("IPVS: Can't
 * initialize ipvs"), as on this host. There it runs with ipvs-sockopt-stub.c
 * preloaded, which answers its IPVS calls as an empty IPVS would: its checking
 * is untouched, and lbd's checker beside it programs no kernel either. Where
 * the kernel has IPVS (the IPVS VM) keepalived runs as is; use a smaller count
 * there: LB_BENCH_HEALTH_SERVERS=N. LB_BENCH_HEALTH_SECONDS sets the window.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ratio, type BenchModule, type BenchResult } from './run.js';

const TIMING = { delay_loop: 1, connect_timeout: 1, retry: 1, delay_before_retry: 1 };
const BOUND_S = TIMING.delay_loop + TIMING.connect_timeout * (TIMING.retry + 1) + TIMING.delay_before_retry * TIMING.retry;
const PER_VS = 20;
const VICTIMS = 10;
const HZ = 100; // USER_HZ: /proc times are in 1/100 s on Linux
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Loopback real server i: 127.1.x.y:8080. */
const addr = (i: number) => `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;

/** CPU seconds used by `pid` so far; NaN once it is gone. */
function procTimes(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / HZ; // utime, stime (fields 14, 15)
  } catch { return NaN; }
}
function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch { return NaN; }
}

class Nginx {
  readonly proc: ChildProcess;
  constructor(readonly dir: string, n: number) {
    chmodSync(dir, 0o755); // nginx workers run as www-data
    mkdirSync(join(dir, 'www'), { recursive: true });
    mkdirSync(join(dir, 'fail'), { recursive: true });
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    writeFileSync(join(dir, 'www', 'index.html'), '<html><body>ok</body></html>\n');
    const listens = Array.from({ length: n }, (_, i) => `    listen ${addr(i)}:8080;`).join('\n');
    writeFileSync(join(dir, 'nginx.conf'), `
daemon off;
worker_processes 1;
worker_rlimit_nofile 16384;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log error;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp; uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp;
  server {
${listens}
    root ${dir}/www;
    location / { if (-f ${dir}/fail/$server_addr) { return 503; } }
  }
  server { listen 127.0.0.1:18099; location / { stub_status; } }
}
`);
    this.proc = spawn('nginx', ['-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'inherit'] });
  }

  async requests(): Promise<number> {
    const r = await fetch('http://127.0.0.1:18099/');
    const m = /\n\s*\d+\s+\d+\s+(\d+)/.exec(await r.text());
    return Number(m?.[1] ?? NaN);
  }

  fail(i: number, on: boolean): void {
    const f = join(this.dir, 'fail', addr(i));
    if (on) writeFileSync(f, ''); else rmSync(f, { force: true });
  }

  stop(): void { this.proc.kill('SIGTERM'); }
}

interface Measured { cpuPct: number; rssMb: number; rate: number; downS: number[]; upS: number[]; error?: string }

/** A checker under test: a process to measure and a stream of "rs went DOWN/UP" events. */
interface Tool {
  pids(): number[];
  /** Resolves when `addr` is reported DOWN (true) or UP (false). */
  transition(address: string, down: boolean): Promise<number>;
  exited(): boolean;
  stop(): Promise<void>;
}

function watchLines(p: ChildProcess, parse: (line: string) => { address: string; down: boolean } | null): Tool['transition'] {
  const waiting = new Map<string, (t: number) => void>();
  const onLine = (line: string) => {
    const e = parse(line);
    if (e) waiting.get(`${e.address} ${e.down}`)?.(Date.now());
  };
  for (const out of [p.stdout, p.stderr]) if (out) createInterface({ input: out }).on('line', onLine);
  // Register before causing the transition: only later lines count.
  return (address, down) => new Promise((resolve) => { waiting.set(`${address} ${down}`, resolve); });
}

async function stopProc(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await Promise.race([gone, sleep(5000)]);
  if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}

function startLbd(dir: string, n: number): Tool {
  const vss = Array.from({ length: Math.ceil(n / PER_VS) }, (_, v) => ({
    name: `vs${v}`, address: `198.18.${Math.floor(v / 250)}.${(v % 250) + 1}`, port: 80, lb_kind: 'NAT', delay_loop: TIMING.delay_loop,
    real_servers: Array.from({ length: Math.min(PER_VS, n - v * PER_VS) }, (_, k) => ({
      address: addr(v * PER_VS + k), port: 8080,
      checks: [{ type: 'HTTP_GET', url: [{ path: '/index.html', status_code: 200 }], connect_timeout: TIMING.connect_timeout, retry: TIMING.retry, delay_before_retry: TIMING.delay_before_retry }],
    })),
  }));
  writeFileSync(join(dir, 'lbd.json'), JSON.stringify({ virtual_servers: vss }));
  mkdirSync(join(dir, 'lbd-state'), { recursive: true });
  const worker = join(dirname(fileURLToPath(import.meta.url)), 'health-checks-worker.js');
  const p = spawn(process.execPath, [worker, join(dir, 'lbd.json'), join(dir, 'lbd-state')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const transition = watchLines(p, (line) => {
    if (!line.includes('"state"')) return null;
    let o: { rs?: string; state?: string };
    try { o = JSON.parse(line) as typeof o; } catch { return null; }
    return o.rs && o.state ? { address: o.rs.replace(/:\d+$/, ''), down: o.state === 'DOWN' } : null;
  });
  return { pids: () => [p.pid!], transition, exited: () => p.exitCode !== null, stop: () => stopProc(p) };
}

/** Build the IPVS stub for a kernel without IPVS; null (and why) when it cannot be built. */
async function buildIpvsStub(dir: string): Promise<{ so: string | null; why?: string }> {
  const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'ipvs-sockopt-stub.c');
  const so = join(dir, 'ipvs-stub.so');
  const cc = spawn('cc', ['-shared', '-fPIC', '-O2', '-o', so, src, '-ldl'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  cc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await new Promise<number | null>((r) => { cc.on('exit', r); cc.on('error', () => r(-1)); });
  return code === 0 ? { so } : { so: null, why: `cannot build the IPVS stub (cc: ${err.trim().split('\n')[0] || 'not found'})` };
}

function startKeepalived(dir: string, n: number, preload: string | null): Tool {
  const vs: string[] = [];
  for (let v = 0; v * PER_VS < n; v++) {
    const rs = Array.from({ length: Math.min(PER_VS, n - v * PER_VS) }, (_, k) => `  real_server ${addr(v * PER_VS + k)} 8080 {
    weight 1
    HTTP_GET {
      url { path /index.html
            status_code 200 }
      connect_timeout ${TIMING.connect_timeout}
      retry ${TIMING.retry}
      delay_before_retry ${TIMING.delay_before_retry}
    }
  }`).join('\n');
    vs.push(`virtual_server 198.18.${Math.floor(v / 250)}.${(v % 250) + 1} 80 {\n  delay_loop ${TIMING.delay_loop}\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${rs}\n}`);
  }
  writeFileSync(join(dir, 'keepalived.conf'), `global_defs {\n  router_id bench\n}\n${vs.join('\n')}\n`);
  const p = spawn('keepalived', ['-C', '-n', '-l', '-f', join(dir, 'keepalived.conf'), '-p', join(dir, 'ka.pid'), '-c', join(dir, 'ka-checker.pid')],
    { stdio: ['ignore', 'pipe', 'pipe'], env: preload ? { ...process.env, LD_PRELOAD: preload } : process.env });
  const transition = watchLines(p, (line) => {
    const m = /(Removing|Adding) service \[([\d.]+)\]:tcp:8080/.exec(line);
    return m ? { address: m[2]!, down: m[1] === 'Removing' } : null;
  });
  const checkerPid = () => { try { return Number(readFileSync(join(dir, 'ka-checker.pid'), 'utf8')); } catch { return 0; } };
  return {
    pids: () => (checkerPid() > 0 ? [p.pid!, checkerPid()] : []),
    transition, exited: () => p.exitCode !== null, stop: () => stopProc(p),
  };
}

async function measure(tool: Tool, nginx: Nginx, n: number, warmS: number, windowS: number, log: (m: string) => void): Promise<Measured> {
  await sleep(warmS * 1000);
  const pids = tool.pids();
  const cpu0 = pids.map(procTimes);
  if (tool.exited() || !pids.length || cpu0.some(Number.isNaN)) return { cpuPct: 0, rssMb: 0, rate: 0, downS: [], upS: [], error: 'exited at start' };
  const req0 = await nginx.requests();
  const t0 = Date.now();
  await sleep((windowS * 1000) / 3);
  // Detection: VICTIMS servers spread over the range start answering 503 at once, then recover.
  const victims = Array.from({ length: VICTIMS }, (_, k) => Math.floor(((k + 0.5) * n) / VICTIMS));
  const downs = victims.map((i) => tool.transition(addr(i), true));
  const tf = Date.now();
  for (const i of victims) nginx.fail(i, true);
  const timeout = sleep((BOUND_S + 10) * 1000).then(() => NaN);
  const downS = (await Promise.all(downs.map((d) => Promise.race([d, timeout])))).map((t) => (t - tf) / 1000);
  const ups = victims.map((i) => tool.transition(addr(i), false));
  const tu = Date.now();
  for (const i of victims) nginx.fail(i, false);
  const upS = (await Promise.all(ups.map((u) => Promise.race([u, sleep((BOUND_S + 10) * 1000).then(() => NaN)])))).map((t) => (t - tu) / 1000);
  const left = windowS * 1000 - (Date.now() - t0);
  if (left > 0) await sleep(left);
  const wall = (Date.now() - t0) / 1000;
  const cpu1 = pids.map(procTimes);
  if (tool.exited() || cpu1.some(Number.isNaN)) return { cpuPct: 0, rssMb: 0, rate: 0, downS: [], upS: [], error: 'exited during the measurement' };
  const cpu = cpu1.reduce((a, c, i) => a + c - cpu0[i]!, 0);
  const rate = ((await nginx.requests()) - req0 - 1) / wall;
  const rssMb = pids.map(peakRssMb).reduce((a, b) => a + b, 0);
  log(`  cpu ${cpu.toFixed(2)} s in ${wall.toFixed(1)} s, ${rate.toFixed(0)} requests/s at nginx, peak RSS ${rssMb.toFixed(1)} MB, ` +
    `down after ${downS.map((x) => x.toFixed(2)).join(' ')} s, up after ${upS.map((x) => x.toFixed(2)).join(' ')} s`);
  return { cpuPct: (cpu / wall) * 100, rssMb, rate, downS, upS };
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
/** µs of CPU per check: % of a core is 10,000 µs per second. */
const perCheck = (m: Measured) => (m.cpuPct * 10_000) / m.rate;
const maxOf = (xs: number[]) => (xs.some((x) => Number.isNaN(x)) ? NaN : Math.max(...xs));

interface SizeResult { n: number; windowS: number; l: Measured; k: Measured; refNote: string }

/** One size: nginx with n listeners, lbd's checker then keepalived's, one after the other. */
async function measureSize(n: number, windowS: number, warmS: number, log: (msg: string) => void): Promise<SizeResult> {
  const dir = mkdtempSync(join(tmpdir(), 'lbd-bench-health-'));
  const nginx = new Nginx(dir, n);
  try {
    await sleep(1500);
    if (Number.isNaN(await nginx.requests())) throw new Error('nginx did not start');
    // Other work on the machine slows both checkers (keepalived falls behind its schedule first): say how busy it was.
    log(`${n} real servers on loopback (one nginx), HTTP_GET every ${TIMING.delay_loop} s, ${windowS} s window; detection bound ${BOUND_S} s; ` +
      `load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);

    log('lbd (health subsystem alone, as keepalived -C):');
    const lbd = startLbd(dir, n);
    const l = await measure(lbd, nginx, n, warmS, windowS, log).finally(() => lbd.stop());
    if (l.error) throw new Error(`lbd's checker ${l.error}`);

    const ipvs = existsSync('/proc/net/ip_vs');
    const stub = ipvs ? { so: null } : await buildIpvsStub(dir);
    log(`keepalived -C${ipvs ? '' : ' (no kernel IPVS here: its IPVS calls answered by ipvs-sockopt-stub.c)'}:`);
    let k: Measured = { cpuPct: 0, rssMb: 0, rate: 0, downS: [], upS: [], error: stub.why };
    if (ipvs || stub.so) {
      const ka = startKeepalived(dir, n, stub.so);
      k = await measure(ka, nginx, n, warmS, windowS, log).finally(() => ka.stop());
    }
    const refNote = k.error ? `keepalived -C: ${k.error}` : ipvs ? 'keepalived with kernel IPVS' : 'keepalived with its IPVS calls stubbed (no kernel IPVS here)';
    if (k.error) log(`  ${refNote}`);
    return { n, windowS, l, k, refNote };
  } finally {
    nginx.stop();
    await sleep(300);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The full run also measures smaller sizes (shorter windows) to show how the cost grows with
 * the number of real servers; the quick run measures the main size only, in a shorter window.
 */
export const run: BenchModule['run'] = async ({ quick, log }) => {
  const n = Number(process.env.LB_BENCH_HEALTH_SERVERS ?? 2000);
  const windowS = Number(process.env.LB_BENCH_HEALTH_SECONDS ?? (quick ? 10 : 60));
  const warmS = quick ? 3 : 5;
  const { l, k, refNote } = await measureSize(n, windowS, warmS, log);
  const ref = (x: number) => (k.error ? null : round(x));
  const common = `${n} servers, HTTP_GET every ${TIMING.delay_loop} s, ${windowS} s, load average ${loadavg()[0]!.toFixed(1)}`;
  const out: BenchResult[] = [
    { name: 'health-checks cpu', unit: '%', lbd: round(l.cpuPct), ref: ref(k.cpuPct), ratio: ratio(l.cpuPct, k.error ? null : k.cpuPct), runs: 1,
      note: `% of one core; ${common}; target <= keepalived and < 25; ${refNote}` },
    { name: 'health-checks cpu-per-check', unit: 'us', lbd: round(perCheck(l), 0), ref: k.error ? null : round(perCheck(k), 0),
      ratio: ratio(perCheck(l), k.error ? null : perCheck(k)), runs: 1, note: 'CPU time per request nginx served: fair when the two check at different rates' },
    { name: 'health-checks peak-rss', unit: 'MB', lbd: round(l.rssMb), ref: ref(k.rssMb), ratio: ratio(l.rssMb, k.error ? null : k.rssMb), runs: 1,
      note: 'keepalived: parent + checker process' },
    { name: 'health-checks rate', unit: '/s', lbd: round(l.rate, 0), ref: k.error ? null : round(k.rate, 0), ratio: ratio(l.rate, k.error ? null : k.rate), runs: 1,
      note: `requests per second nginx served (expected ~${n / TIMING.delay_loop})` },
    { name: 'health-checks detection', unit: 's', lbd: round(maxOf(l.downS), 2), ref: k.error ? null : round(maxOf(k.downS), 2),
      ratio: ratio(maxOf(l.downS), k.error ? null : maxOf(k.downS)), runs: VICTIMS, note: `slowest of ${VICTIMS} failures (HTTP 503); bound ${BOUND_S} s` },
    { name: 'health-checks recovery', unit: 's', lbd: round(maxOf(l.upS), 2), ref: k.error ? null : round(maxOf(k.upS), 2),
      ratio: ratio(maxOf(l.upS), k.error ? null : maxOf(k.upS)), runs: VICTIMS, note: `slowest of ${VICTIMS} returns; bound ${TIMING.delay_loop + TIMING.connect_timeout} s` },
  ];
  if (quick) return out;
  for (const size of [n / 8, n / 2].map(Math.round)) {
    const r = await measureSize(size, 15, warmS, log);
    const kr = (x: number) => (r.k.error ? null : x);
    out.push(
      { name: `health-checks cpu ${size} servers`, unit: '%', lbd: round(r.l.cpuPct), ref: kr(round(r.k.cpuPct)), ratio: ratio(r.l.cpuPct, kr(r.k.cpuPct)), runs: 1,
        note: `% of one core, 15 s window; scaling: compare with "health-checks cpu" (${n} servers); ${r.refNote}` },
      { name: `health-checks peak-rss ${size} servers`, unit: 'MB', lbd: round(r.l.rssMb), ref: kr(round(r.k.rssMb)), ratio: ratio(r.l.rssMb, kr(r.k.rssMb)), runs: 1,
        note: `scaling: compare with "health-checks peak-rss" (${n} servers)` },
    );
  }
  return out;
};
