import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { C, lbnet } from '../../src/net/native.js';
import { sockaddrUn } from '../../src/net/sockaddr.js';
import { ServiceNotifier } from '../../src/lbd/service-notify.js';
import { createLogger } from '../../src/log/logger.js';
import { lbdJs } from '../lib/paths.js';
import { waitFor } from '../lib/netns.js';

/** A NOTIFY_SOCKET like systemd's: an AF_UNIX datagram socket; every datagram is recorded with its arrival time. */
function notifySocket(path: string) {
  const fd = lbnet.socket(C.AF_UNIX, C.SOCK_DGRAM, 0);
  lbnet.bind(fd, sockaddrUn(path));
  const got: { at: number; text: string }[] = [];
  const buf = Buffer.alloc(4096);
  const handle = lbnet.watch(fd, () => {
    for (let r = lbnet.recvmsg(fd, buf); r; r = lbnet.recvmsg(fd, buf)) got.push({ at: Date.now(), text: buf.subarray(0, r.length).toString() });
  });
  return { got, close: () => { lbnet.unwatch(handle); lbnet.close(fd); } };
}

test('ServiceNotifier: watchdog period is half of WATCHDOG_USEC, only for the process it names; send errors are logged once', () => {
  const log = createLogger({ level: 'silent' });
  assert.equal(new ServiceNotifier(log, {}).watchdogIntervalMs(), undefined);
  assert.equal(new ServiceNotifier(log, { WATCHDOG_USEC: '30000000' }).watchdogIntervalMs(), 15_000);
  assert.equal(new ServiceNotifier(log, { WATCHDOG_USEC: '30000000', WATCHDOG_PID: String(process.pid) }).watchdogIntervalMs(), 15_000);
  assert.equal(new ServiceNotifier(log, { WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' }).watchdogIntervalMs(), undefined, 'another process\'s watchdog');
  assert.equal(new ServiceNotifier(log, { WATCHDOG_USEC: 'x' }).watchdogIntervalMs(), undefined);

  const errors: string[] = [];
  const counting = createLogger({ level: 'error', stream: { write: (l: string) => { errors.push(l); } } });
  const n = new ServiceNotifier(counting, { NOTIFY_SOCKET: '/nonexistent/notify' }, () => { throw new Error('ENOENT'); });
  n.reloading(); n.ready('running'); n.stopping();
  assert.equal(errors.length, 1, 'one error line per outage');
  assert.match(errors[0]!, /sd_notify failed \(RELOADING=1\)/);
});

test('lbd under a notify socket: READY=1 after start, WATCHDOG=1 at half the period, RELOADING=1…READY=1 on SIGHUP, STOPPING=1 on SIGTERM', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbnotify-'));
  const sock = notifySocket(join(dir, 'notify.sock'));
  writeFileSync(join(dir, 'config.yaml'), 'global:\n  router_id: notify-test\n');
  const proc = spawn(process.execPath, [lbdJs, '--config', join(dir, 'config.yaml'), '--state-dir', join(dir, 'state'), '--admin-socket', join(dir, 'lbd.sock')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NOTIFY_SOCKET: join(dir, 'notify.sock'), WATCHDOG_USEC: '400000' },
  });
  const logs: { at: number; msg: string }[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => { try { logs.push({ at: Date.now(), msg: JSON.parse(l).msg }); } catch { /* not JSON */ } });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  try {
    await waitFor('READY=1', () => sock.got.some((m) => m.text.startsWith('READY=1')), 20_000);
    const ready = sock.got.find((m) => m.text.startsWith('READY=1'))!;
    assert.match(ready.text, /^READY=1\nSTATUS=running: 0 VRRP instance\(s\), 0 virtual server\(s\), 0 L7 frontend\(s\)$/);
    const running = logs.find((l) => l.msg === 'lbd running');
    assert.ok(running && running.at <= ready.at, 'ready only after every subsystem started');

    // 200 ms keep-alives: count them over a second (timer slack and a busy machine allowed for).
    const from = Date.now();
    await new Promise((r) => setTimeout(r, 1_200));
    const pings = sock.got.filter((m) => m.text === 'WATCHDOG=1' && m.at >= from);
    assert.ok(pings.length >= 3 && pings.length <= 8, `keep-alives in 1.2 s: ${pings.length}`);

    const before = sock.got.length;
    proc.kill('SIGHUP');
    await waitFor('READY=1 after reload', () => sock.got.slice(before).some((m) => m.text.startsWith('READY=1')), 10_000);
    const after = sock.got.slice(before).filter((m) => m.text !== 'WATCHDOG=1');
    assert.match(after[0]!.text, /^RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=\d+$/);
    assert.match(after[1]!.text, /^READY=1\nSTATUS=running/);

    proc.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(sock.got.some((m) => m.text.startsWith('STOPPING=1')), 'STOPPING=1 sent');
    const stoppingAt = sock.got.findIndex((m) => m.text.startsWith('STOPPING=1'));
    assert.ok(!sock.got.slice(stoppingAt).some((m) => m.text === 'WATCHDOG=1'), 'no keep-alive after STOPPING=1');
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    sock.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
