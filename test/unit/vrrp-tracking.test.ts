import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { SMTPServer } from 'smtp-server';
import { RiseFall, ScriptRunner, evaluate, type TrackedItem } from '../../src/vrrp/trackers.js';
import { Notifier, SmtpAlerter } from '../../src/vrrp/notify.js';
import { createLogger } from '../../src/log/logger.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { sdNotify } from '../../src/net/sd-notify.js';
import { C, lbnet } from '../../src/net/native.js';
import { sockaddrUn } from '../../src/net/sockaddr.js';
import { waitFor } from '../lib/netns.js';

const silent = createLogger({ level: 'silent' });

test('fall/rise count exactly as keepalived: fall 3 to go down, rise 5 to come back', () => {
  const r = new RiseFall(5, 3, null);
  assert.equal(r.state, null);
  assert.equal(r.record(true), true, 'one success is enough from the initial state');
  assert.equal(r.state, true);
  assert.equal(r.record(false), false);
  assert.equal(r.record(false), false);
  assert.equal(r.record(true), false, 'a success in between resets the count');
  for (let i = 0; i < 2; i++) assert.equal(r.record(false), false);
  assert.equal(r.record(false), true, 'third consecutive failure');
  assert.equal(r.state, false);
  for (let i = 0; i < 4; i++) assert.equal(r.record(true), false);
  assert.equal(r.record(true), true, 'fifth consecutive success');
  const f = new RiseFall(2, 2, null);
  assert.equal(f.record(false), true, 'one failure is enough from the initial state');
  assert.equal(f.state, false);
  const init = new RiseFall(3, 1, false);
  assert.equal(init.state, false, 'init_fail starts failed');
});

test('weights: the seed arithmetic users expect', () => {
  const item = (ok: boolean | null, weight: number, kind: TrackedItem['kind'] = 'script'): TrackedItem => ({ key: 'script:chk', kind, weight, ok });
  // Node A priority 100 weight +4, node B priority 98 weight +4: A wins while its check passes...
  assert.equal(evaluate(100, [item(true, 4)]).priority, 104);
  assert.equal(evaluate(98, [item(true, 4)]).priority, 102);
  // ...and loses it (100 < 102) when its check fails.
  assert.equal(evaluate(100, [item(false, 4)]).priority, 100);
  // weight -30: 100 → 70 while failing.
  assert.equal(evaluate(100, [item(false, -30)]).priority, 70);
  assert.equal(evaluate(100, [item(true, -30)]).priority, 100);
  // No verdict yet: no effect; weight 0 waits in FAULT for the first result.
  assert.equal(evaluate(100, [item(null, -30)]).priority, 100);
  assert.deepEqual([...evaluate(100, [item(null, 0)]).faults.keys()], ['script:chk']);
  assert.deepEqual([...evaluate(100, [item(false, 0)]).faults.values()], ['script chk failed']);
  assert.equal(evaluate(100, [item(true, 0)]).faults.size, 0);
  // Clamped to 1..254; the owner's 255 never moves.
  assert.equal(evaluate(250, [item(true, 50)]).priority, 254);
  assert.equal(evaluate(10, [item(false, -50)]).priority, 1);
  assert.equal(evaluate(255, [item(false, -50)]).priority, 255);
  // Externals (track_proxy) and interfaces follow the same rule.
  assert.equal(evaluate(100, [{ key: 'proxy:web', kind: 'external', weight: -20, ok: false }]).priority, 80);
  assert.deepEqual([...evaluate(100, [{ key: 'interface:eth1', kind: 'interface', weight: 0, ok: false }]).faults.values()], ['interface eth1 down']);
});

test('a script runs on its interval, is killed on timeout and counts as failed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vrrp-script-'));
  try {
    const flag = join(dir, 'ok');
    writeFileSync(flag, '');
    const r = new ScriptRunner({ name: 'chk', script: `test -e ${flag}`, interval: 0.05, timeout: 1, weight: -30, rise: 2, fall: 2, init_fail: false });
    const changes: boolean[] = [];
    r.on('change', (ok) => changes.push(ok));
    r.start();
    await waitFor('script OK', () => r.counter.state === true, 5000, 10);
    rmSync(flag);
    await waitFor('script failed', () => r.counter.state === false, 5000, 10);
    r.stop();
    assert.deepEqual(changes, [true, false]);

    const slow = new ScriptRunner({ name: 'slow', script: 'sleep 10', interval: 0.05, timeout: 0.2, weight: 0, rise: 1, fall: 1, init_fail: false });
    const t0 = Date.now();
    const [, last] = await new Promise<[boolean, { timedOut: boolean }]>((resolve) => { slow.on('change', (ok, l) => resolve([ok, l])); slow.start(); });
    slow.stop();
    assert.equal(last.timedOut, true);
    assert.ok(Date.now() - t0 < 3000, 'killed after its timeout, not after 10 s');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('notify hooks run in order with keepalived arguments', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vrrp-notify-'));
  try {
    const out = join(dir, 'out');
    const n = new Notifier(silent, new SmtpAlerter(resolveConfig({}).global, silent));
    const hooks = { notify_master: `sh -c 'echo master >> ${out}'`, notify: `/bin/sh -c 'echo "$@" >> ${out}' notify`, smtp_alert: false };
    n.notify('INSTANCE', 'VI_1', hooks, 'MASTER', 104, 'test');
    n.notify('INSTANCE', 'VI_1', { ...hooks, notify_master: undefined }, 'BACKUP', 100, 'test');
    await n.drain();
    assert.equal(readFileSync(out, 'utf8'), 'master\nINSTANCE VI_1 MASTER 104\nINSTANCE VI_1 BACKUP 100\n');
    n.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('smtp_alert: state changes are mailed through a real SMTP server on loopback', async () => {
  const mails: { from: string; to: string[]; data: string }[] = [];
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, session, cb) {
      let data = '';
      stream.on('data', (d: Buffer) => { data += d.toString(); });
      stream.on('end', () => { mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data }); cb(); });
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const port = (server.server.address() as { port: number }).port;
  try {
    const cfg = resolveConfig({ global: { router_id: 'lb1', smtp_server: '127.0.0.1', smtp_port: port, notification_email: ['ops@example.org'], notification_email_from: 'lbd@example.org' } });
    const n = new Notifier(silent, new SmtpAlerter(cfg.global, silent));
    n.notify('INSTANCE', 'VI_1', { smtp_alert: true }, 'MASTER', 100, 'no advertisement within master_down_interval');
    await n.drain();
    assert.equal(mails.length, 1);
    assert.equal(mails[0]!.from, 'lbd@example.org');
    assert.deepEqual(mails[0]!.to, ['ops@example.org']);
    assert.match(mails[0]!.data, /Subject: \[lb1\] VRRP Instance VI_1 - Entering MASTER state/);
    assert.match(mails[0]!.data, /now owning VRRP VIPs/);
    n.close();
    // A dead server is logged, never thrown.
    const bad = resolveConfig({ global: { smtp_server: '127.0.0.1', smtp_port: 1, smtp_connect_timeout: 1, notification_email: ['ops@example.org'] } });
    const alerter = new SmtpAlerter(bad.global, silent);
    assert.equal(await alerter.send('x', 'y'), false);
    alerter.close();
  } finally { server.close(); }
});

test('sd_notify sends one datagram to NOTIFY_SOCKET (path and abstract)', () => {
  assert.equal(sdNotify('READY=1', {}), false);
  const dir = mkdtempSync(join(tmpdir(), 'sdn-'));
  try {
    for (const path of [join(dir, 'notify.sock'), `@lbd-test-${process.pid}`]) {
      const rfd = lbnet.socket(C.AF_UNIX, C.SOCK_DGRAM, 0);
      lbnet.bind(rfd, sockaddrUn(path));
      assert.equal(sdNotify('READY=1\nSTATUS=running', { NOTIFY_SOCKET: path }), true);
      const buf = Buffer.alloc(256);
      const r = lbnet.recvmsg(rfd, buf);
      assert.ok(r);
      assert.equal(buf.subarray(0, r.length).toString(), 'READY=1\nSTATUS=running');
      lbnet.close(rfd);
    }
    assert.ok(existsSync(join(dir, 'notify.sock')));
    assert.throws(() => sdNotify('READY=1', { NOTIFY_SOCKET: join(dir, 'absent.sock') }), /ENOENT|connect|sendto/);
    assert.throws(() => sdNotify('READY=1', { NOTIFY_SOCKET: 'relative' }), /path or @abstract/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
