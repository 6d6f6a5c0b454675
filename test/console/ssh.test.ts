/**
 * Logging in as the appliance's admin user through a real OpenSSH server
 * lands in the console. sshd runs in a lab namespace on its loopback, with a
 * temporary host key and Debian's sshd_config whose Include is the appliance's
 * drop-in (appliance/ssh/sshd_config.d/lb-appliance.conf); the admin user is
 * made by appliance/users/admin-user.sh under a throwaway name (and removed).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { must, run, waitFor } from '../lib/netns.js';
import { Tmux } from '../lib/tmux.js';
import { LbdNode, VrrpLab } from '../lib/vrrp-lab.js';
import { exampleConfig } from '../lib/admin.js';
import { lbctlJs, repoRoot } from '../lib/paths.js';

const DROP_IN = join(repoRoot, 'appliance', 'ssh', 'sshd_config.d', 'lb-appliance.conf');
const ADMIN_USER_SH = join(repoRoot, 'appliance', 'users', 'admin-user.sh');
const PORT = 2222;
const id = randomBytes(3).toString('hex');
const user = `lbt${id}`;
const group = `lbg${id}`;

interface Env { vl: VrrpLab; ns: string; lb: LbdNode; dir: string; shell: string; config: string; key: string; madeRunSshd: boolean }
let env: Env | undefined;

/** The drop-in for the throwaway user: its Match and ForceCommand lines, and nothing else, changed. */
function dropInFor(shell: string): string {
  const text = readFileSync(DROP_IN, 'utf8');
  assert.equal(text.match(/^Match User admin$/gm)?.length, 1, 'the drop-in has one Match User admin block');
  assert.equal(text.match(/^\tForceCommand \/usr\/local\/sbin\/lb-console$/gm)?.length, 1, 'the drop-in forces the console');
  return text.replace(/^Match User admin$/m, `Match User ${user}`).replace(/^\tForceCommand \S+$/m, `\tForceCommand ${shell}`);
}

const sshArgs = (key: string) => ['-F', '/dev/null', '-p', String(PORT), '-i', key, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no',
  '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `${user}@127.0.0.1`];

before(async () => {
  const vl = await VrrpLab.create('ssh');
  const dir = join(vl.tmp, 'ssh');
  mkdirSync(dir, { recursive: true });
  // The unprivileged user must reach its login shell and lbd's socket.
  chmodSync(vl.tmp, 0o755);
  chmodSync(dir, 0o755);
  const madeRunSshd = !existsSync('/run/sshd');
  try {
    const ns = await vl.host('lb', 2);
    const key = join(dir, 'client');
    await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
    const shell = join(dir, 'lb-console');
    const socket = join(dir, 'lbd.sock');
    const r = await runWithEnv(ADMIN_USER_SH, {
      LB_ADMIN_USER: user, LB_ADMIN_GROUP: group, LB_CONSOLE_SHELL: shell, LBCTL: `${process.execPath} ${lbctlJs}`, LB_SOCKET: socket,
      LB_ADMIN_AUTHORIZED_KEYS: `${key}.pub`,
    });
    assert.equal(r.code, 0, `admin-user.sh: ${r.stderr}`);
    const lb = new LbdNode(vl, ns, 'lb1', { args: ['--admin-socket', socket] });
    env = { vl, ns, lb, dir, shell, config: join(dir, 'sshd_config'), key, madeRunSshd };
    writeFileSync(lb.configFile, exampleConfig().replace(/^global:\n/m, `global:\n  admin: { socket_group: ${group} }\n`));
    await lb.start();

    // Debian's sshd_config with its Include pointing at the appliance's drop-in only.
    const debian = readFileSync('/etc/ssh/sshd_config', 'utf8');
    assert.match(debian, /^Include \/etc\/ssh\/sshd_config\.d\/\*\.conf$/m);
    writeFileSync(join(dir, 'lb-appliance.conf'), dropInFor(shell));
    writeFileSync(env.config, [`Port ${PORT}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host_key')}`, `PidFile ${join(dir, 'sshd.pid')}`, '',
      debian.replace(/^Include \/etc\/ssh\/sshd_config\.d\/\*\.conf$/m, `Include ${join(dir, 'lb-appliance.conf')}`)].join('\n'));
    if (madeRunSshd) mkdirSync('/run/sshd', { mode: 0o755 });
    const t = await run('/usr/sbin/sshd', ['-t', '-f', env.config]);
    assert.equal(t.code, 0, `sshd -t: ${t.stderr}`);
    const sshd = vl.lab.spawn(ns, '/usr/sbin/sshd', ['-D', '-e', '-f', env.config]);
    let log = '';
    sshd.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
    await waitFor(`sshd listening (${log})`, async () => (await vl.lab.exec(ns, 'ss', ['-Htln', `sport = :${PORT}`])).stdout.includes('127.0.0.1'), 10_000, 100);
  } catch (e) {
    await cleanup(vl, madeRunSshd);
    throw e;
  }
});

function runWithEnv(script: string, vars: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return run('env', [...Object.entries(vars).map(([k, v]) => `${k}=${v}`), 'sh', script], 30_000);
}

async function cleanup(vl: VrrpLab, madeRunSshd: boolean): Promise<void> {
  if (env?.lb && !env.lb.exited()) await env.lb.terminate().catch(() => undefined);
  await vl.cleanup();
  await run('userdel', ['--remove', user]);
  await run('groupdel', [group]);
  if (env) {
    const shells = readFileSync('/etc/shells', 'utf8');
    if (shells.includes(env.shell)) writeFileSync('/etc/shells', shells.split('\n').filter((l) => l !== env!.shell).join('\n'));
  }
  if (madeRunSshd) { try { rmdirSync('/run/sshd'); } catch { /* in use or gone */ } }
}

after(async () => { if (env) await cleanup(env.vl, env.madeRunSshd); });

test('sshd with the appliance drop-in: no root login, no forwarding, the console forced on admin', { timeout: 30_000 }, async () => {
  const eff = async (u: string) => (await must('/usr/sbin/sshd', ['-T', '-f', env!.config, '-C', `user=${u},host=client,addr=127.0.0.1`])).toLowerCase();
  const root = await eff('root');
  assert.match(root, /^permitrootlogin no$/m);
  assert.match(root, /^disableforwarding yes$/m);
  assert.match(root, /^permittunnel no$/m);
  assert.match(root, /^forcecommand none$/m, 'the Match block applies to admin only');
  const admin = await eff(user);
  assert.match(admin, new RegExp(`^forcecommand ${env!.shell.toLowerCase()}$`, 'm'));
  assert.match(admin, /^allowtcpforwarding no$/m);
  assert.match(admin, /^x11forwarding no$/m);
  assert.match(admin, /^permituserrc no$/m);
  // The Debian lines after the Include still apply globally (the Match block ended with its file).
  assert.match(root, /^subsystem sftp \/usr\/lib\/openssh\/sftp-server$/m);
  assert.equal((await must('getent', ['passwd', user])).trim().split(':')[6], env!.shell, 'the console is the login shell');
});

test('admin logs in over SSH and lands in the console, which reads lbd\'s status through the socket', { timeout: 60_000 }, async () => {
  const e = env!;
  await e.lb.waitState('VI_WEB', 'MASTER', 15_000);
  const t = await Tmux.start(['ip', 'netns', 'exec', e.ns, 'ssh', '-t', ...sshArgs(e.key)], { env: { TERM: 'xterm-256color', LANG: 'C.UTF-8' } });
  try {
    // A node with neither saved network settings nor a web account: the console offers the setup first.
    await t.waitFor(/This node is not set up yet/, 20_000);
    await t.keys('s');
    const screen = await t.waitFor(/VRRP VI_WEB MASTER/, 10_000);
    assert.match(screen, /lb-appliance/);
    await t.keys('q');
    await t.waitFor(/Log out of the console\?/);
    await t.keys('y');
    await waitFor('the SSH session ended', () => t.dead(), 10_000, 100);
  } finally {
    await t.kill();
  }
});

test('admin gets no shell and runs no command: without a terminal the console refuses', { timeout: 30_000 }, async () => {
  const r = await run('ip', ['netns', 'exec', env!.ns, 'ssh', '-T', ...sshArgs(env!.key), 'id; echo shell-reached'], 20_000);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /the console needs a terminal/);
  assert.doesNotMatch(r.stdout, /shell-reached|uid=/);
});
