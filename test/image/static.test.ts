/**
 * Static checks of the image's sources (fast; they run before the build in this tier):
 * the Packer template validates and is formatted, every shell script passes shellcheck,
 * systemd accepts the units, nft accepts the firewall, and appliance/MANIFEST covers the tree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../lib/paths.js';

const appliance = join(repoRoot, 'appliance');
const packer = join(repoRoot, 'packer');
const run = (cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, ...opts });

function withTemp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'lbimg-static-'));
  try { fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

test('packer: the template validates and is formatted', { timeout: 60_000 }, () => {
  const fmt = run('packer', ['fmt', '-check', '-diff', join(packer, 'lb-appliance.pkr.hcl')]);
  assert.equal(fmt.status, 0, `packer fmt -check:\n${fmt.stdout}${fmt.stderr}`);
  withTemp((dir) => {
    const key = join(dir, 'key');
    assert.equal(run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]).status, 0);
    const base = join(dir, 'base.qcow2');
    // validate checks that the uploaded files exist; their content does not matter here.
    for (const f of [base, join(dir, 'lbd.tar.gz'), join(dir, 'appliance.tar.gz')]) writeFileSync(f, '');
    const v = run('packer', ['validate', '-var', `base_image=${base}`, '-var', `ssh_private_key_file=${key}`, '-var', `bundle_dir=${dir}`, '-var', `output_directory=${join(dir, 'out')}`,
      join(packer, 'lb-appliance.pkr.hcl')], { env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
    assert.equal(v.status, 0, `packer validate:\n${v.stdout}${v.stderr}`);
    // The template is checked, not only parsed: a required variable left out is an error.
    const missing = run('packer', ['validate', '-var', `base_image=${base}`, join(packer, 'lb-appliance.pkr.hcl')]);
    assert.notEqual(missing.status, 0);
  });
});

test('shellcheck: appliance and packer scripts', { timeout: 60_000 }, () => {
  const scripts = [
    ...readdirSync(join(appliance, 'firstboot')).filter((f) => f.endsWith('.sh')).map((f) => join(appliance, 'firstboot', f)),
    ...readdirSync(join(packer, 'scripts')).map((f) => join(packer, 'scripts', f)),
    join(packer, 'build.sh'), join(repoRoot, 'test', 'setup.d', '70-image.sh'),
  ];
  assert.ok(scripts.length >= 8, scripts.join(' '));
  const r = run('shellcheck', ['-x', ...scripts]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('systemd-analyze verify: the appliance units', { timeout: 60_000 }, () => {
  withTemp((dir) => {
    // The units as installed, except that their scripts' paths point at the checkout's files
    // (verify checks that every command exists and is executable).
    const units: string[] = [];
    for (const [sub, f] of [['lbd', 'lbd.service'], ['firstboot', 'lb-firstboot.service'], ['firstboot', 'lb-console-info.service']]) {
      const text = readFileSync(join(appliance, sub!, f!), 'utf8').replaceAll('/usr/local/lib/lb-appliance/', `${join(appliance, 'firstboot')}/`);
      writeFileSync(join(dir, f!), text);
      units.push(join(dir, f!));
    }
    const r = run('systemd-analyze', ['verify', ...units]);
    // Units the host lacks (ssh.service on a minimal host) are only mentioned; any complaint about our units fails.
    const ours = (r.stdout + r.stderr).split('\n').filter((l) => /^(lbd|lb-firstboot|lb-console-info)\.service:/.test(l) || /Unknown (key|section)|Failed to parse/.test(l));
    assert.deepEqual(ours, [], r.stdout + r.stderr);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
});

test('nft -c: the base firewall, with and without operator elements', { timeout: 60_000 }, () => {
  withTemp((dir) => {
    mkdirSync(join(dir, 'firewall.d'));
    copyFileSync(join(appliance, 'firewall', 'firewall.d', 'management.nft'), join(dir, 'firewall.d', 'management.nft'));
    const conf = readFileSync(join(appliance, 'firewall', 'nftables.conf'), 'utf8').replaceAll('/etc/lb-appliance/firewall.d', join(dir, 'firewall.d'));
    writeFileSync(join(dir, 'nftables.conf'), conf);
    let r = run('nft', ['-c', '-f', join(dir, 'nftables.conf')]);
    assert.equal(r.status, 0, r.stderr);
    copyFileSync(join(appliance, 'firewall', 'firewall.d', 'example.elements.nft.sample'), join(dir, 'firewall.d', 'example.elements.nft'));
    r = run('nft', ['-c', '-f', join(dir, 'nftables.conf')]);
    assert.equal(r.status, 0, r.stderr);
    // The file replaces only its own table: lbd's table survives a reload.
    assert.doesNotMatch(conf, /flush ruleset/);
  });
});

test('appliance/MANIFEST names every file of appliance/ and only existing ones', { timeout: 60_000 }, () => {
  const r = run('bash', [join(packer, 'scripts', 'manifest.sh'), 'check', appliance]);
  assert.equal(r.status, 0, r.stderr);
  withTemp((dir) => {
    // A file nobody listed is an error, so nothing is silently left out of the image.
    run('cp', ['-r', appliance, join(dir, 'appliance')]);
    writeFileSync(join(dir, 'appliance', 'os', 'stray.conf'), 'x\n');
    const stray = run('bash', [join(packer, 'scripts', 'manifest.sh'), 'check', join(dir, 'appliance')]);
    assert.equal(stray.status, 1);
    assert.match(stray.stderr, /appliance\/os\/stray\.conf is in no manifest line/);
  });
});
