/**
 * Network setup wizard: management interface, static address/prefix or DHCP,
 * gateway, name servers, host name. Every field is checked as it is left
 * (the same rules lbd applies, src/host/settings.ts); lbd then checks the
 * whole against the node and lists its steps (dry run), the operator
 * confirms, and lbd applies and persists them (PUT /system/network).
 */
import { ipFamily } from '../../util/ip.js';
import type { NetworkResult, NetworkState } from '../../host/network.js';
import { addressProblem, gatewayProblem, hostnameProblem, parseDns, parsePrefixLength, subnetProblem, type NetworkSettings, type SettingsField } from '../../host/settings.js';
import type { Screen } from '../term/screen.js';
import type { Key } from '../term/terminal.js';
import type { App } from '../ui/app.js';
import { Form, type ChoiceField, type TextField } from '../ui/form.js';
import type { Area, Line, View } from '../ui/view.js';
import { ApiError } from '../api.js';

/** The address of this SSH session on the node (SSH_CONNECTION: client port server port). */
export const sshServerAddress = (env: NodeJS.ProcessEnv): string | undefined => env.SSH_CONNECTION?.split(' ')[2];

function initial(st: NetworkState): NetworkSettings {
  if (st.persisted) return st.persisted;
  const iface = st.interfaces.find((i) => i.name === st.gateway?.interface) ?? st.interfaces.find((i) => i.up && i.addresses.length) ?? st.interfaces[0];
  const [address, prefix] = (iface?.addresses[0] ?? '').split('/');
  return {
    interface: iface?.name ?? '', mode: 'static', address: address || undefined, prefix: prefix ? Number(prefix) : undefined,
    gateway: st.gateway?.interface === iface?.name ? st.gateway?.address : undefined, dns: st.dns, hostname: st.hostname,
  };
}

export class NetworkScreen implements View {
  readonly title = 'Network setup';
  private state?: NetworkState;
  private form?: Form;

  /** `then`: what to do after a successful apply (the first-boot flow continues with the password). */
  constructor(private readonly app: App, private readonly then?: () => void) {}

  opened(): void { void this.load(); }

  private async load(): Promise<void> {
    const st = await this.app.busy('Reading the network settings', () => this.app.api.get<NetworkState>('/system/network'));
    if (!st) return;
    this.state = st;
    this.form = this.buildForm(st, initial(st));
    this.app.render();
  }

  private buildForm(st: NetworkState, s: NetworkSettings): Form {
    const isStatic = () => this.form?.value('mode') === 'static';
    const family = () => (ipFamily(this.form?.value('address') ?? '') || ((this.form?.value('address') ?? '').includes(':') ? 6 : 4)) as 4 | 6;
    const names = st.interfaces.map((i) => i.name);
    const fields: (TextField | ChoiceField | { kind: 'button'; id: string; label: string })[] = [
      { kind: 'choice', id: 'interface', label: 'Interface', options: names.length ? names : ['(none)'], value: names.includes(s.interface) ? s.interface : names[0] ?? '(none)' },
      { kind: 'choice', id: 'mode', label: 'Addressing', options: ['static', 'dhcp'], value: s.mode, hint: 'Left/Right or Space: static address or DHCP' },
      { kind: 'text', id: 'address', label: 'Address', value: s.address ?? '', width: 40, visible: isStatic, hint: 'IPv4 or IPv6 address, without /prefix',
        check: (v) => addressProblem(v) },
      { kind: 'text', id: 'prefix', label: 'Prefix length', value: s.prefix === undefined ? '' : String(s.prefix), width: 4, visible: isStatic, hint: 'e.g. 24 for 255.255.255.0',
        check: (v) => {
          const p = parsePrefixLength(v, family());
          if (typeof p === 'string') return p;
          const a = this.form!.value('address');
          return addressProblem(a) ? null : subnetProblem(a, p);
        } },
      { kind: 'text', id: 'gateway', label: 'Gateway', value: s.gateway ?? '', width: 40, visible: isStatic, hint: 'default gateway in the subnet; empty for none',
        check: (v) => {
          if (!v.trim()) return null;
          const a = this.form!.value('address');
          const p = parsePrefixLength(this.form!.value('prefix'), family());
          if (addressProblem(a) || typeof p === 'string') return 'fix the address and prefix first';
          return gatewayProblem(v, a, p);
        } },
      { kind: 'text', id: 'dns', label: 'DNS servers', value: s.dns.join(' '), width: 50, hint: 'up to 3 addresses separated by spaces; empty keeps resolv.conf as it is',
        check: (v) => { const d = parseDns(v); return typeof d === 'string' ? d : null; } },
      { kind: 'text', id: 'hostname', label: 'Host name', value: s.hostname, width: 40, check: hostnameProblem },
      { kind: 'button', id: 'apply', label: 'Review and apply' },
    ];
    return new Form(fields, () => this.review());
  }

  private settings(): NetworkSettings {
    const f = this.form!;
    const dns = parseDns(f.value('dns'));
    const base = { interface: f.value('interface'), dns: typeof dns === 'string' ? [] : dns, hostname: f.value('hostname') };
    if (f.value('mode') === 'dhcp') return { ...base, mode: 'dhcp' };
    return { ...base, mode: 'static', address: f.value('address'), prefix: Number(f.value('prefix').replace(/^\//, '')), ...(f.value('gateway') ? { gateway: f.value('gateway') } : {}) };
  }

  /** lbd's own check: a field it refuses gets the message under it. */
  private refused(e: unknown): void {
    const m = e instanceof ApiError ? /^(interface|mode|address|prefix|gateway|dns|hostname): (.*?)(;|$)/.exec(e.message) : null;
    if (m) this.form!.setError(m[1] as SettingsField, m[2]!);
    this.app.error(e);
  }

  private async review(): Promise<void> {
    const settings = this.settings();
    let plan: NetworkResult;
    try {
      plan = await this.app.task('Checking with lbd', () => this.app.api.put<NetworkResult>('/system/network', { ...settings, dry_run: true }));
    } catch (e) { this.refused(e); return; }
    if (!plan.actions.length) { await this.app.alert('Network setup', ['Nothing to change: the node already has these settings.', ...plan.warnings]); return; }
    const lines: Line[] = ['lbd will:', ...plan.actions.map((a) => `  - ${a}`)];
    if (plan.warnings.length) lines.push('', ...plan.warnings.map((w) => `Note: ${w}`));
    const ssh = sshServerAddress(process.env);
    if (ssh && plan.removed_addresses.includes(ssh)) {
      lines.push('', `This SSH session is connected to ${ssh}, which is removed: the session will drop.` +
        (settings.address ? ` Reconnect to ${settings.address}.` : ''));
    }
    if (!(await this.app.confirm(lines, { title: 'Apply network settings?', yes: 'Apply', danger: true }))) { this.app.info('Network settings unchanged.'); return; }
    let done: NetworkResult | undefined;
    try {
      done = await this.app.task('Applying the network settings', () => this.app.api.put<NetworkResult>('/system/network', settings, 60_000));
    } catch (e) { this.refused(e); return; }
    await this.app.alert('Network settings applied', ['Done:', ...done.actions.map((a) => `  - ${a}`), ...(done.warnings.length ? ['', ...done.warnings.map((w) => `Note: ${w}`)] : [])]);
    this.app.ok('Network settings applied and saved.');
    if (this.then) this.then();
    else await this.load();
  }

  hints(): string { return 'Up/Down/Tab move  Left/Right choose  Enter next/apply  Esc back'; }

  render(s: Screen, a: Area): void {
    if (!this.form || !this.state) { s.put(a.top, a.left, 'Reading the network settings ...'); return; }
    const iface = this.state.interfaces.find((i) => i.name === this.form!.value('interface'));
    this.form.field('interface').hint = iface
      ? `${iface.up ? 'up' : iface.admin_up ? 'no carrier' : 'down'}  ${iface.mac ?? ''}  ${iface.addresses.join(' ') || 'no address'}`
      : 'no network interface found';
    const persisted = this.state.persisted ? `saved in ${this.state.files.network}` : `not set up yet (no ${this.state.files.network})`;
    s.putClipped(a.top, a.left, `Management network: ${persisted}`, 0, a.width);
    this.form.render(s, { ...a, top: a.top + 2, height: a.height - 2 });
  }

  async key(k: Key): Promise<boolean> {
    return this.form ? this.form.key(k) : false;
  }
}
