import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { lbdJs } from '../lib/paths.js';
import { exampleConfig } from '../lib/admin.js';

interface Res { status: number; body: string; json: () => any }

/**
 * The example without its VRRP instance and with its servers on loopback: these lbd processes
 * run in the host's namespace, where a unit test must not send adverts, add a VIP or check
 * servers beyond loopback.
 */
const CONFIG = exampleConfig().replace(/^vrrp_instances:\n(?:[ \t]+.*\n|\n(?=[ \t]))*/m, '').replace(/198\.18\.0\.(11|12|25|30)\b/g, '127.0.0.$1');
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

function overSocket(socketPath: string, method: string, path: string, body?: unknown): Promise<Res> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ socketPath, method, path, headers: data ? { 'content-type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => { const text = Buffer.concat(chunks).toString(); resolve({ status: res.statusCode!, body: text, json: () => JSON.parse(text) }); });
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}

/** A real lbd process; resolves once its log says the socket listens. */
async function startLbd(dir: string, args: string[] = []): Promise<{ proc: ChildProcess; socket: string; lines: Record<string, unknown>[] }> {
  const socket = join(dir, 'lbd.sock');
  const proc = spawn(process.execPath, [lbdJs, '--config', join(dir, 'config.yaml'), '--state-dir', join(dir, 'state'), '--admin-socket', socket, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error('lbd did not start in 45 s')); }, 45_000);
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      try { lines.push(JSON.parse(l)); } catch { return; }
      if (lines.at(-1)!.msg === 'lbd running') { clearTimeout(t); resolve(); }
    });
    proc.once('exit', (code) => { clearTimeout(t); reject(new Error(`lbd exited ${code}`)); });
  });
  return { proc, socket, lines };
}

const stop = (p: ChildProcess) => new Promise<void>((resolve) => { if (p.exitCode !== null) return resolve(); p.once('exit', () => resolve()); p.kill('SIGTERM'); });

test('the API over lbd\'s real Unix socket: console identity, 400 on bad bodies, apply, exact rollback, live events', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbsock-'));
  writeFileSync(join(dir, 'config.yaml'), CONFIG);
  const { proc, socket } = await startLbd(dir);
  try {
    assert.equal(statSync(socket).mode & 0o777, 0o660, 'socket mode 0660: the file permission is the authentication');
    assert.deepEqual((await overSocket(socket, 'GET', '/api/v1/session')).json(), { user: 'console', via: 'socket' });
    const status = (await overSocket(socket, 'GET', '/api/v1/status')).json();
    assert.equal(status.node.router_id, 'lb1');
    assert.equal(status.node.subsystems.at(-1), 'admin', 'admin starts last');

    assert.deepEqual(status.vrrp, [], 'no VRRP in the host namespace');
    const bad = await overSocket(socket, 'PUT', '/api/v1/config', { text: CONFIG.replace('lb_algo: wrr', 'lb_algo: fastest') });
    assert.equal(bad.status, 400);
    assert.match(bad.json().message, new RegExp(`config\\.yaml:${lineOf(CONFIG, 'lb_algo: wrr')}: virtual_servers\\[0\\]\\.lb_algo: must be one of`));
    assert.equal(readFileSync(join(dir, 'config.yaml'), 'utf8'), CONFIG);
    assert.equal((await overSocket(socket, 'PUT', '/api/v1/config', { text: 'x', extra: 1 })).status, 400);

    // Live events: a change stream the console can follow.
    const events: string[] = [];
    const sse = request({ socketPath: socket, path: '/api/v1/events' }, (res) => res.on('data', (c: Buffer) => events.push(c.toString())));
    sse.end();
    await new Promise((r) => setTimeout(r, 300));

    const changed = CONFIG.replace('persistence_timeout: 50', 'persistence_timeout: 60');
    const applied = await overSocket(socket, 'PUT', '/api/v1/config', { text: changed, reason: 'from the console' });
    assert.equal(applied.status, 200, applied.body);
    assert.equal(readFileSync(join(dir, 'config.yaml'), 'utf8'), changed);
    const history = (await overSocket(socket, 'GET', '/api/v1/config/history')).json();
    assert.deepEqual([history[0].user, history[0].reason], ['console', 'from the console']);

    const rb = await overSocket(socket, 'POST', `/api/v1/config/history/${history[1].id}/rollback`, {});
    assert.equal(rb.status, 200, rb.body);
    assert.equal(readFileSync(join(dir, 'config.yaml'), 'utf8'), CONFIG, 'exactly the previous revision');
    await new Promise((r) => setTimeout(r, 600));
    sse.destroy();
    assert.match(events.join(''), /event: change\ndata: \{"sections":\[[^\]]*"config"[^\]]*\]\}/);

    // The console can set the first web password (no setup token needed).
    assert.equal((await overSocket(socket, 'PUT', '/api/v1/users/admin/password', { password: 'set from the console' })).status, 200);
    assert.equal((await overSocket(socket, 'GET', '/api/v1/users')).json()[0].name, 'admin');
  } finally { await stop(proc); }
});

test('lbd --admin-listen: bad values exit 2 with the reason; plain HTTP only on loopback', { timeout: 30_000 }, () => {
  for (const [arg, msg] of [['http://198.18.0.1:8080', /plain HTTP is allowed only on a loopback address/], ['nonsense', /expected \[http:\/\/\|https:\/\/\]ADDRESS:PORT/]] as const) {
    const r = spawnSync(process.execPath, [lbdJs, '--config', '/nonexistent', '--admin-listen', arg], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, msg);
  }
});

test('a second lbd cannot take over a socket in use; a stale socket file is replaced', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbsock-'));
  writeFileSync(join(dir, 'config.yaml'), CONFIG);
  const first = await startLbd(dir);
  try {
    const dir2 = mkdtempSync(join(tmpdir(), 'lbsock-'));
    writeFileSync(join(dir2, 'config.yaml'), CONFIG);
    const r = spawnSync(process.execPath, [lbdJs, '--config', join(dir2, 'config.yaml'), '--state-dir', join(dir2, 'state'), '--admin-socket', first.socket], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 1);
    assert.match(r.stdout, /is in use by another running lbd/);
    assert.equal((await overSocket(first.socket, 'GET', '/api/v1/session')).status, 200, 'the first lbd still serves');
  } finally { first.proc.kill('SIGKILL'); await new Promise((r) => first.proc.once('exit', r)); }
  // SIGKILL left the socket file behind: the next start replaces it.
  const again = await startLbd(dir);
  try {
    assert.equal((await overSocket(again.socket, 'GET', '/api/v1/session')).status, 200);
  } finally { await stop(again.proc); }
});
