/**
 * Real servers for health-check tests, started inside lab namespaces: Debian's
 * nginx (stoppable, with a maintenance file that makes it answer 503) and the
 * switchable Node test server (http-test-server.ts). Plus test certificates
 * made with openssl.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { must, waitFor, type Lab } from './netns.js';
import { endpointKey } from '../../src/config/resolve.js';

/** Lines a child prints, awaited one at a time. */
function lineReader(p: ChildProcess): () => Promise<string> {
  const lines: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  createInterface({ input: p.stdout! }).on('line', (l) => { const w = waiting.shift(); if (w) w(l); else lines.push(l); });
  return () => {
    const l = lines.shift();
    return l !== undefined ? Promise.resolve(l) : new Promise((r) => waiting.push(r));
  };
}

export class TestServer {
  private readonly next: () => Promise<string>;
  private constructor(readonly proc: ChildProcess) { this.next = lineReader(proc); }

  static async start(lab: Lab, ns: string, address: string, port: number, tls?: { cert: string; key: string }): Promise<TestServer> {
    const script = join(dirname(fileURLToPath(import.meta.url)), 'http-test-server.js');
    const p = lab.spawn(ns, process.execPath, [script, address, String(port), ...(tls ? [tls.cert, tls.key] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
    const s = new TestServer(p);
    const first = await Promise.race([s.next(), new Promise<string>((r) => setTimeout(() => r('timeout'), 10_000))]);
    if (first !== 'ready') throw new Error(`test server ${address}:${port} did not start (${first})`);
    return s;
  }

  /** Send one command (see http-test-server.ts) and wait for its "ok". */
  async cmd(line: string): Promise<void> {
    this.proc.stdin!.write(line + '\n');
    const r = await this.next();
    if (r !== 'ok') throw new Error(`test server answered ${r} to ${line}`);
  }
}

export class NginxServer {
  readonly dir: string;
  private proc: ChildProcess | null = null;

  constructor(private readonly lab: Lab, readonly ns: string, readonly address: string, readonly port = 80) {
    this.dir = mkdtempSync(join(tmpdir(), 'lbd-nginx-'));
    chmodSync(this.dir, 0o755); // nginx workers run as www-data
    mkdirSync(join(this.dir, 'www'));
    mkdirSync(join(this.dir, 'tmp'));
    this.setPage(`<html><body>real server ${address}</body></html>\n`);
    const d = this.dir;
    writeFileSync(join(d, 'nginx.conf'), `
daemon off;
worker_processes 1;
pid ${d}/nginx.pid;
error_log ${d}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${d}/tmp; proxy_temp_path ${d}/tmp; fastcgi_temp_path ${d}/tmp; uwsgi_temp_path ${d}/tmp; scgi_temp_path ${d}/tmp;
  server {
    listen ${endpointKey(address, port)};
    root ${d}/www;
    location / {
      if (-f ${d}/maintenance) { return 503; }
    }
  }
}
`);
  }

  get url(): string { return `http://${endpointKey(this.address, this.port)}/index.html`; }

  setPage(html: string): void { writeFileSync(join(this.dir, 'www', 'index.html'), html); }

  /** With `on`, nginx answers 503 to every request. */
  maintenance(on: boolean): void {
    if (on) writeFileSync(join(this.dir, 'maintenance'), '');
    else rmSync(join(this.dir, 'maintenance'), { force: true });
  }

  async start(): Promise<void> {
    this.proc = this.lab.spawn(this.ns, 'nginx', ['-c', join(this.dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'inherit'] });
    await waitFor(`nginx on ${this.address}:${this.port}`, async () => {
      const r = await this.lab.exec(this.ns, 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '1', this.url], 3000);
      return r.stdout === '200' || r.stdout === '503';
    }, 10_000, 100);
  }

  /** Stop nginx and remove its files. */
  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Stop nginx (fast shutdown): the port is closed, connections are refused. */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p?.pid) return;
    this.proc = null;
    const gone = new Promise((r) => p.once('exit', r));
    process.kill(p.pid, 'SIGTERM');
    await gone;
  }
}

export interface TestCerts { dir: string; caCert: string; cert: string; key: string; otherCa: string }

/** A CA, a server certificate for rs.example signed by it, and an unrelated CA. */
export async function makeCerts(): Promise<TestCerts> {
  const dir = mkdtempSync(join(tmpdir(), 'lbd-certs-'));
  const f = (n: string) => join(dir, n);
  const subj = (cn: string) => ['-subj', `/CN=${cn}`];
  await must('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', ...subj('lbd test CA')]);
  await must('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('other.key'), '-out', f('other.pem'), '-days', '2', ...subj('other CA')]);
  await must('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('rs.key'), '-out', f('rs.csr'), ...subj('rs.example')]);
  writeFileSync(f('ext.cnf'), 'subjectAltName=DNS:rs.example\n');
  await must('openssl', ['x509', '-req', '-in', f('rs.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('rs.pem'), '-days', '2', '-extfile', f('ext.cnf')]);
  return { dir, caCert: f('ca.pem'), cert: f('rs.pem'), key: f('rs.key'), otherCa: f('other.pem') };
}
