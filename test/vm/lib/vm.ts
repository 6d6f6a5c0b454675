/**
 * The VM test harness: boot Debian's kernel (real IPVS, nftables...) under QEMU TCG with the
 * host root as a read-only overlay lower layer, run one command as root inside with the
 * checkout at its host path, and return its exit code, its output and the files it wrote
 * to $LBVM_OUT. Every run is bounded; the VM has no network device. See README.md.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root (this file is test/vm/lib/vm.ts, or its build under dist/). */
export const CHECKOUT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
})();
const BUILD = join(CHECKOUT, 'build', 'vm');

export interface VmOptions {
  /** Shell command (bash) run as root inside the guest, in the checkout's root directory. */
  command: string;
  /** Kernel modules to load before the command (on-demand loading works too). */
  modules?: string[];
  /** Extra environment for the command. */
  env?: Record<string, string>;
  /** Bound for the whole run, boot included (default 300 s). The guest command gets 15 s less. */
  timeoutMs?: number;
  memoryMb?: number;
  cpus?: number;
  /** Stream the serial console (kernel, init and command output) to this process's stderr. */
  verbose?: boolean;
}

export interface VmRun {
  /** The command's exit code; null when the VM never reported one (crash, timeout). */
  exitCode: number | null;
  timedOut: boolean;
  /** The command's stdout and stderr, interleaved. */
  output: string;
  /** The serial console: kernel and init messages, then the command's output. */
  console: string;
  /** The host folder the guest saw as $LBVM_OUT (removed by cleanup()). */
  outDir: string;
  /** Seconds from power-on to the command's start, as the guest's uptime says. */
  bootSeconds: number | null;
  durationMs: number;
  /** Read a file the guest wrote to $LBVM_OUT. */
  file(name: string): string;
  /** Parse a JSON file the guest wrote with writeReport(). */
  json<T>(name: string): T;
  cleanup(): void;
}

/** Why the VM cannot run here (null when it can): the set-up has not been run, or QEMU is missing. */
export function vmUnavailable(): string | null {
  for (const f of ['vmlinuz', 'initrd.gz', 'kver', 'ready']) {
    if (!existsSync(join(BUILD, f))) return `build/vm/${f} is missing: run "bash test/setup.sh" (or test/vm/lib/build-vm.sh) as root`;
  }
  if (!['/usr/bin/qemu-system-x86_64', '/usr/local/bin/qemu-system-x86_64'].some(existsSync)) return 'qemu-system-x86_64 is not installed';
  return null;
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

const liveVms = new Set<number>();
let hooked = false;
function killLiveVms(): void {
  for (const pid of liveVms) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
}

export async function runInVm(opts: VmOptions): Promise<VmRun> {
  const why = vmUnavailable();
  if (why) throw new Error(`the test VM is not available: ${why}`);
  if (!hooked) { hooked = true; process.on('exit', killLiveVms); }
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const outDir = mkdtempSync(join(tmpdir(), 'lbvm-'));
  const kver = readFileSync(join(BUILD, 'kver'), 'utf8').trim();
  writeFileSync(join(outDir, 'boot.env'), `LBVM_MODULES=${shq(join(BUILD, 'kernel', 'lib', 'modules', kver))}\nLBVM_CHECKOUT=${shq(CHECKOUT)}\n`);
  const env = { LBVM: '1', LBVM_OUT: '/lbvm', ...opts.env };
  writeFileSync(join(outDir, 'run.sh'), [
    '#!/bin/bash',
    'set -o pipefail',
    'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8',
    ...Object.entries(env).map(([k, v]) => `export ${k}=${shq(v)}`),
    'cut -d" " -f1 /proc/uptime > /lbvm/boot-seconds',
    `cd ${shq(CHECKOUT)}`,
    ...(opts.modules ?? []).map((m) => `modprobe ${shq(m)} || { echo "lbvm: modprobe ${m} failed"; echo 125 > /lbvm/exit-code; exit; }`),
    `timeout -k 5 ${Math.max(10, Math.floor(timeoutMs / 1000) - 15)} bash -c ${shq(opts.command)} 2>&1 | tee /lbvm/output.log > /dev/console`,
    'echo $? > /lbvm/exit-code',
    '',
  ].join('\n'));

  const args = [
    '-accel', 'tcg,thread=multi', '-cpu', process.env.LBVM_CPU ?? 'max', '-m', String(opts.memoryMb ?? 1024), '-smp', String(opts.cpus ?? 2),
    '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot', '-nic', 'none',
    '-kernel', join(BUILD, 'vmlinuz'), '-initrd', join(BUILD, 'initrd.gz'),
    '-append', 'console=ttyS0 quiet panic=-1',
    '-virtfs', 'local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${outDir},mount_tag=out,security_model=none,multidevs=remap`,
    '-device', 'virtio-rng-pci',
  ];
  const started = Date.now();
  const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (qemu.pid) liveVms.add(qemu.pid);
  let consoleText = '';
  const onData = (d: Buffer) => {
    consoleText += d.toString();
    if (opts.verbose) process.stderr.write(d);
  };
  qemu.stdout.on('data', onData);
  qemu.stderr.on('data', onData);
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; qemu.kill('SIGKILL'); }, timeoutMs);
  await new Promise<void>((res) => qemu.on('close', () => res()));
  clearTimeout(timer);
  if (qemu.pid) liveVms.delete(qemu.pid);

  const read = (name: string) => { try { return readFileSync(join(outDir, name), 'utf8'); } catch { return ''; } };
  const code = read('exit-code').trim();
  const boot = read('boot-seconds').trim();
  return {
    exitCode: code === '' ? null : Number(code),
    timedOut,
    output: read('output.log'),
    console: consoleText,
    outDir,
    bootSeconds: boot ? Number(boot) : null,
    durationMs: Date.now() - started,
    file: (name) => readFileSync(join(outDir, name), 'utf8'),
    json: <T>(name: string) => JSON.parse(readFileSync(join(outDir, name), 'utf8')) as T,
    cleanup: () => { if (!process.env.LBVM_KEEP) rmSync(outDir, { recursive: true, force: true }); },
  };
}

/** Last lines of a run's output and console, for assertion messages. */
export function describeRun(r: VmRun, lines = 40): string {
  const tail = (s: string) => s.trimEnd().split('\n').slice(-lines).join('\n');
  return `exit ${r.exitCode}${r.timedOut ? ' (timed out)' : ''} after ${Math.round(r.durationMs / 1000)} s\n` +
    `--- output (tail) ---\n${tail(r.output)}\n--- console (tail) ---\n${tail(r.console)}`;
}

/**
 * Run a compiled guest script (a path under dist/, relative to the checkout) with node in the
 * VM and return its report: the JSON it wrote with writeReport() or scenario(). Throws with the
 * scenario's error and the run's output when the script fails or writes no report.
 */
export async function runGuestScript<T>(script: string, opts: Omit<VmOptions, 'command'> & { args?: string[] } = {}): Promise<{ report: T; run: VmRun }> {
  const path = resolve(CHECKOUT, script);
  if (!existsSync(path)) throw new Error(`guest script ${path} does not exist (npm run build?)`);
  const run = await runInVm({ ...opts, command: ['node', path, ...(opts.args ?? [])].map(shq).join(' ') });
  try {
    let report: (T & { error?: string }) | undefined;
    try { report = run.json<T & { error?: string }>('report.json'); } catch { /* reported below */ }
    if (run.exitCode !== 0 || !report) {
      throw new Error(`guest script ${script} ${report ? `failed: ${report.error ?? ''}` : 'wrote no report.json'}\n${describeRun(run)}`);
    }
    return { report, run };
  } finally {
    run.cleanup();
  }
}
