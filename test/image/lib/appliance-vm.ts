/**
 * Boot copies of the built appliance image under QEMU for the image tier: each VM gets a
 * qcow2 overlay over the image (the image stays untouched), a seed disk (ext4 labelled
 * LBSEED, read by lb-firstboot), eth0 on QEMU user networking with the admin UI and SSH
 * forwarded to loopback ports, and optionally eth1 on a shared L2 segment (QEMU socket
 * netdev, UDP between the two VMs on loopback). Every VM is killed and its files removed
 * by stop()/cleanupAll(), also when the test process exits early.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Segment { localPort: number; peerPort: number }

export interface ApplianceVmOptions {
  name: string;
  image: string;
  /** Files for the seed disk: config.yaml, *.network, admin_authorized_keys, hostname. */
  seed: Record<string, string>;
  /** eth1 on a point-to-point L2 segment with another VM. */
  segment?: Segment;
  /** MAC of eth1 (distinct per VM on one segment). */
  segmentMac?: string;
  memoryMb?: number;
  accelerator?: string;
}

const live = new Set<ApplianceVm>();
process.once('exit', () => { for (const vm of live) vm.stopSync(); });
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => { for (const vm of live) vm.stopSync(); process.exit(128 + (sig === 'SIGINT' ? 2 : 15)); });
}

/** A TCP (or UDP) port free on loopback right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export class ApplianceVm {
  readonly dir: string;
  adminPort = 0;
  sshPort = 0;
  private proc?: ChildProcess;
  private exited?: Promise<void>;

  constructor(readonly opts: ApplianceVmOptions) {
    this.dir = mkdtempSync(join(tmpdir(), `lbimg-${opts.name}-`));
  }

  get consoleFile(): string { return join(this.dir, 'console.log'); }
  /** Everything the VM wrote to its serial console so far. */
  console(): string { return existsSync(this.consoleFile) ? readFileSync(this.consoleFile, 'utf8') : ''; }
  get running(): boolean { return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null; }

  async start(): Promise<void> {
    const run = (cmd: string, args: string[]) => {
      const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error}`);
    };
    const overlay = join(this.dir, 'disk.qcow2');
    run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', this.opts.image, '-F', 'qcow2', overlay]);
    const seedDir = join(this.dir, 'seed');
    mkdirSync(seedDir);
    for (const [f, text] of Object.entries(this.opts.seed)) writeFileSync(join(seedDir, f), text);
    const seed = join(this.dir, 'seed.img');
    // mke2fs -d fills the filesystem from a directory: no root, no loop device.
    run('mke2fs', ['-q', '-t', 'ext4', '-L', 'LBSEED', '-d', seedDir, seed, '8M']);

    this.adminPort = await freePort();
    this.sshPort = await freePort();
    const args = [
      '-name', this.opts.name, '-machine', `pc,accel=${this.opts.accelerator ?? 'tcg'}`, '-m', String(this.opts.memoryMb ?? 1024), '-smp', '2',
      '-display', 'none', '-monitor', 'none', '-serial', `file:${this.consoleFile}`, '-no-reboot',
      '-drive', `file=${overlay},if=virtio,format=qcow2`,
      '-drive', `file=${seed},if=virtio,format=raw,readonly=on`,
      '-netdev', `user,id=mgmt,hostfwd=tcp:127.0.0.1:${this.adminPort}-:8443,hostfwd=tcp:127.0.0.1:${this.sshPort}-:22`,
      '-device', 'virtio-net-pci,netdev=mgmt',
    ];
    if (this.opts.segment) {
      const { localPort, peerPort } = this.opts.segment;
      args.push('-netdev', `socket,id=l2,udp=127.0.0.1:${peerPort},localaddr=127.0.0.1:${localPort}`,
        '-device', `virtio-net-pci,netdev=l2,mac=${this.opts.segmentMac ?? '52:54:00:12:34:01'}`);
    }
    const proc = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d) => { stderr += d; });
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    this.proc = proc;
    live.add(this);
    await new Promise((r) => setTimeout(r, 500));
    if (!this.running) throw new Error(`qemu for ${this.opts.name} exited at once: ${stderr}`);
  }

  /** Wait until the serial console matches, or fail with its tail. */
  async waitConsole(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = this.console().match(re);
      if (m) return m;
      if (!this.running) throw new Error(`${this.opts.name} stopped before ${re}; console tail:\n${this.console().slice(-3000)}`);
      if (Date.now() > until) throw new Error(`${this.opts.name}: no ${re} on the console in ${timeoutMs / 1000} s; tail:\n${this.console().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Power off at once, as a pulled plug (SIGKILL to QEMU). */
  async kill(): Promise<void> {
    if (this.running) this.proc!.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  stopSync(): void {
    if (this.running) this.proc!.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
