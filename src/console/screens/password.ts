/**
 * Web admin access: set or reset a web account's password over the socket
 * (PUT /users/NAME/password, which also creates the account and lifts a
 * lockout), and where to find the web UI with the certificate fingerprint to
 * check on first connection.
 */
import type { SystemInfo } from '../../admin/system-info.js';
import type { NetworkState } from '../../host/network.js';
import { USER_PATTERN } from '../../admin/auth/accounts.js';
import { passwordProblem } from '../../admin/auth/passwords.js';
import { A, type Screen } from '../term/screen.js';
import type { Key } from '../term/terminal.js';
import type { App } from '../ui/app.js';
import { Form } from '../ui/form.js';
import { drawLine, type Area, type Line, type View } from '../ui/view.js';

/** The web UI's address; a wildcard listener is shown with the management address instead. */
export function webUiUrl(url: string | null, net: NetworkState | null): string | null {
  if (!url) return null;
  const m = /^(https?):\/\/(\[[^\]]+\]|[^/:]+):(\d+)\/?$/.exec(url);
  if (!m || !['[::]', '0.0.0.0'].includes(m[2]!)) return url;
  const mgmt = net?.persisted?.address ?? net?.interfaces.find((i) => i.name === net.gateway?.interface)?.addresses[0]?.split('/')[0];
  if (!mgmt) return url;
  return `${m[1]}://${mgmt.includes(':') ? `[${mgmt}]` : mgmt}:${m[3]}/`;
}

/** "AB:CD:..." in groups of 8 bytes per line, so a long fingerprint stays readable at 80 columns. */
function fingerprintLines(fp: string): string[] {
  const bytes = fp.split(':');
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) out.push(bytes.slice(i, i + 16).join(':'));
  return out;
}

export class PasswordScreen implements View {
  readonly title = 'Web admin password';
  private readonly form: Form;
  private info: Line[] = ['Reading the web UI settings ...'];

  constructor(private readonly app: App, private readonly then?: () => void) {
    this.form = new Form([
      { kind: 'text', id: 'user', label: 'Web user', value: 'admin', width: 32, maxLength: 32, hint: 'created if it does not exist',
        check: (v) => (new RegExp(USER_PATTERN).test(v.trim()) ? null : 'lower-case letters, digits, "_", "." or "-", starting with a letter or "_"') },
      { kind: 'text', id: 'password', label: 'New password', value: '', secret: true, width: 32, maxLength: 1024, hint: 'at least 10 characters, not containing the user name',
        check: (v) => passwordProblem(this.form.value('user'), v) ?? null },
      { kind: 'text', id: 'again', label: 'Again', value: '', secret: true, width: 32, maxLength: 1024,
        check: (v) => (v === this.form.raw('password') ? null : 'the two passwords differ') },
      { kind: 'button', id: 'set', label: 'Set password' },
    ], () => this.submit());
  }

  opened(): void { void this.loadInfo(); }

  private async loadInfo(): Promise<void> {
    try {
      const [sys, net] = await Promise.all([this.app.api.get<SystemInfo>('/system'), this.app.api.get<NetworkState>('/system/network').catch(() => null)]);
      const url = webUiUrl(sys.admin.url, net);
      const users = await this.app.api.get<{ name: string }[]>('/users');
      this.info = [
        [{ text: 'Web UI:      ', attr: A.bold }, { text: url ?? 'not listening on the network (set global.admin.listen in the config)' }],
        ...(sys.admin.tls_fingerprint_sha256
          ? fingerprintLines(sys.admin.tls_fingerprint_sha256).map((l, i): Line => [{ text: i ? '             ' : 'Certificate: ', attr: A.bold }, { text: i ? l : `SHA-256 ${l}` }])
          : []),
        [{ text: 'Accounts:    ', attr: A.bold }, { text: users.map((u) => u.name).join(', ') || 'none yet' }],
      ];
    } catch (e) {
      this.info = [[{ text: `Web UI details unavailable: ${(e as Error).message}`, attr: A.red }]];
    }
    this.app.render();
  }

  private async submit(): Promise<void> {
    const user = this.form.value('user');
    const r = await this.app.busy('Setting the password', () =>
      this.app.api.put<{ ok: boolean; message: string }>(`/users/${encodeURIComponent(user)}/password`, { password: this.form.raw('password') }));
    if (!r) return;
    this.form.clear('password', 'again');
    this.app.ok(`${r.message}. Sign in to the web UI as ${user}.`);
    await this.loadInfo();
    this.then?.();
  }

  hints(): string { return 'Up/Down/Tab move  Enter next/set  Esc back'; }

  render(s: Screen, a: Area): void {
    this.info.forEach((l, i) => drawLine(s, a.top + i, a.left, l, a.width));
    const top = a.top + this.info.length + 1;
    this.form.render(s, { ...a, top, height: a.top + a.height - top });
  }

  key(k: Key): Promise<boolean> { return this.form.key(k); }
}
