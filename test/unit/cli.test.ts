import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { example, fixture, lbctlJs, lbdJs, repoRoot } from '../lib/paths.js';

const lbctl = (...args: string[]) => spawnSync(process.execPath, [lbctlJs, ...args], { encoding: 'utf8', timeout: 20_000 });
const tmp = () => mkdtempSync(join(tmpdir(), 'lbcli-'));

test('lbctl check: exit 0 for valid files with warnings on stderr, 1 with FILE:LINE: message per error', () => {
  const ok = lbctl('check', example('lvs-dr', 'lb1.yaml'));
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /valid config \(1 VRRP instance/);

  const warn = lbctl('check', fixture('keepalived', 'lvs-dr-tutorial.conf'));
  assert.equal(warn.status, 0, warn.stderr);
  assert.match(warn.stderr, /lvs-dr-tutorial\.conf:45: warning: nb_get_retry is deprecated/);

  const dir = tmp();
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'vrrp_instances:\n  VI_1:\n    interface: eth0\n    virtual_router_id: 0\n    virtual_ipaddress: [198.18.0.1]\n    track_script: [nope]\n');
  const r = lbctl('check', bad);
  assert.equal(r.status, 1);
  const lines = r.stderr.trim().split('\n');
  assert.ok(lines.includes(`${bad}:4: vrrp_instances.VI_1.virtual_router_id: must be between 1 and 255 (got 0)`), r.stderr);
  assert.match(lines.at(-1)!, /1 error\(s\); the config is not valid/);

  const kbad = join(dir, 'keepalived.conf');
  writeFileSync(kbad, 'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 300\n  virtual_ipaddress {\n    198.18.0.1\n  }\n');
  const k = lbctl('check', kbad);
  assert.equal(k.status, 1);
  assert.ok(k.stderr.includes(`${kbad}:1: 'vrrp_instance' block opened here is never closed (missing '}')`), k.stderr);

  assert.equal(lbctl('check', join(dir, 'missing.yaml')).status, 1);
  assert.equal(lbctl('check').status, 2);
  assert.equal(lbctl('frobnicate').status, 2);
});

test('lbctl import keepalived: YAML on stdout or -o, which lbctl check accepts; errors exit 1 and write nothing', () => {
  const out = lbctl('import', 'keepalived', fixture('keepalived', 'torture', 'keepalived.conf'));
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, /^# Imported from keepalived\.conf/);
  const dir = tmp();
  const file = join(dir, 'out.yaml');
  const w = lbctl('import', 'keepalived', fixture('keepalived', 'lvs-dr-tutorial.conf'), '-o', file);
  assert.equal(w.status, 0, w.stderr);
  assert.equal(lbctl('check', file).status, 0);
  assert.match(readFileSync(file, 'utf8'), /lb_kind: DR/);

  const bad = join(dir, 'k.conf');
  writeFileSync(bad, 'virtual_server 198.18.0.1 80 {\n  lb_algo bogus\n}\n');
  const target = join(dir, 'never.yaml');
  const e = lbctl('import', 'keepalived', bad, '-o', target);
  assert.equal(e.status, 1);
  assert.match(e.stderr, new RegExp(`${bad.replace(/[.]/g, '\\.')}:2: virtual_servers\\[0\\]\\.lb_algo: must be one of`));
  assert.throws(() => readFileSync(target));
  assert.equal(lbctl('import', 'haproxy', bad).status, 2);
});

/** Start lbd, collect its JSON log lines, and resolve a line matching `re`. */
function startLbd(config: string, stateDir: string) {
  const p = spawn(process.execPath, [lbdJs, '--config', config, '--state-dir', stateDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const waiters: [RegExp, (l: Record<string, unknown>) => void][] = [];
  let buf = '';
  p.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i; (i = buf.indexOf('\n')) >= 0;) {
      const l = JSON.parse(buf.slice(0, i)) as Record<string, unknown>;
      buf = buf.slice(i + 1);
      lines.push(l);
      for (const w of [...waiters]) if (w[0].test(String(l.msg))) { waiters.splice(waiters.indexOf(w), 1); w[1](l); }
    }
  });
  const waitLog = (re: RegExp, ms = 30_000) => new Promise<Record<string, unknown>>((resolve, reject) => {
    const hit = lines.find((l) => re.test(String(l.msg)));
    if (hit) return resolve(hit);
    const t = setTimeout(() => reject(new Error(`no log matching ${re}; got:\n${lines.map((l) => l.msg).join('\n')}`)), ms);
    waiters.push([re, (l) => { clearTimeout(t); resolve(l); }]);
  });
  const exit = new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
  return { p, lines, waitLog, exit };
}

test('lbd: refuses an invalid config, runs a valid one, SIGHUP reloads (or keeps the old on error), SIGTERM stops', { timeout: 60_000 }, async () => {
  const dir = tmp();
  const cfg = join(dir, 'config.yaml');
  writeFileSync(cfg, 'global:\n  router_id: t1\n  vrrp_version: 9\n');
  const bad = startLbd(cfg, join(dir, 'state'));
  assert.equal(await bad.exit, 1);
  assert.ok(bad.lines.some((l) => /config\.yaml:3: global\.vrrp_version: must be one of 2, 3/.test(String(l.msg))), JSON.stringify(bad.lines));

  writeFileSync(cfg, 'global:\n  router_id: t1\n');
  const d = startLbd(cfg, join(dir, 'state'));
  try {
    await d.waitLog(/^lbd running$/);
    writeFileSync(cfg, 'global:\n  router_id: t1\n  vrrp_version: 9\n');
    d.p.kill('SIGHUP');
    const refused = await d.waitLog(/^reload refused/);
    assert.match(String(refused.msg), /the running config stays/);
    writeFileSync(cfg, 'global:\n  router_id: t2\n');
    d.p.kill('SIGHUP');
    const applied = await d.waitLog(/^applying config$/);
    assert.equal(applied.changes, 'global ~');
    d.p.kill('SIGTERM');
    assert.equal(await d.exit, 0);
    assert.ok(d.lines.some((l) => l.msg === 'stopped'));
  } finally {
    d.p.kill('SIGKILL');
  }
});

test('lbd: a SIGHUP or SIGTERM during start waits for the start instead of killing a half-started lbd', { timeout: 60_000 }, async () => {
  const dir = tmp();
  const cfg = join(dir, 'config.yaml');
  writeFileSync(cfg, 'global:\n  router_id: t1\n');
  const d = startLbd(cfg, join(dir, 'state'));
  try {
    await d.waitLog(/^config loaded$/); // logged inside start, before any subsystem has started
    writeFileSync(cfg, 'global:\n  router_id: t2\n');
    d.p.kill('SIGHUP');
    const applied = await d.waitLog(/^applying config$/);
    assert.equal(applied.changes, 'global ~');
    const msgs = d.lines.map((l) => l.msg);
    assert.ok(msgs.indexOf('lbd running') < msgs.indexOf('applying config'), 'the reload ran after the start had finished');
  } finally {
    d.p.kill('SIGKILL');
  }
  const e = startLbd(cfg, join(dir, 'state2'));
  try {
    await e.waitLog(/^config loaded$/);
    e.p.kill('SIGTERM');
    assert.equal(await e.exit, 0);
    assert.ok(e.lines.some((l) => l.msg === 'stopped'));
    assert.ok(!e.lines.some((l) => l.msg === 'lbd running'));
  } finally {
    e.p.kill('SIGKILL');
  }
});

test('lbd accepts a keepalived.conf directly and --check validates without state', () => {
  const dir = tmp();
  const r = spawnSync(process.execPath, [lbdJs, '--config', fixture('keepalived', 'nginx-ha.conf'), '--state-dir', join(dir, 's'), '--check'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /"format":"keepalived".*config is valid/);
  assert.throws(() => readFileSync(join(dir, 's')));
});

test('lbctl reference: docs/CONFIG.md is the current output (regenerate with `lbctl reference > docs/CONFIG.md`)', () => {
  const r = lbctl('reference');
  assert.equal(r.status, 0);
  assert.equal(readFileSync(join(repoRoot, 'docs', 'CONFIG.md'), 'utf8'), r.stdout);
  for (const key of ['virtual_router_id', 'inhibit_on_failure', 'sorry_server', 'track_proxy', 'misc_dynamic']) assert.match(r.stdout, new RegExp(`\`${key}\``));
});
