/** The main menu (the console's home), the power menu, and the first-boot path (network, then web password). */
import { A, type Screen } from '../term/screen.js';
import type { Key } from '../term/terminal.js';
import type { App } from '../ui/app.js';
import { SelectList, type ListItem } from '../ui/list.js';
import { drawLine, type Area, type Line, type View } from '../ui/view.js';
import { StatusScreen } from './status.js';
import { NetworkScreen } from './network.js';
import { PasswordScreen } from './password.js';
import { ServersScreen, reloadProxies, toggleMaintenance } from './operations.js';
import { ConfigScreen } from './config.js';
import { LogsScreen } from './logs.js';
import { DiagnosticsScreen } from './diagnostics.js';

type Action = () => void | Promise<void>;

async function power(app: App): Promise<void> {
  const action = await app.choose<'reboot' | 'poweroff'>('Reboot or shut down', [
    { hotkey: 'r', label: 'Reboot this node', value: 'reboot' },
    { hotkey: 's', label: 'Shut down (power off) this node', value: 'poweroff' },
  ]);
  if (!action) return;
  const what = action === 'reboot' ? 'Reboot' : 'Shut down';
  const v = app.status.view;
  const masters = v?.vrrp.filter((i) => i.state === 'MASTER').map((i) => i.name) ?? [];
  const ok = await app.confirm([
    `${what} ${v?.node.hostname ?? 'this node'} now?`, '',
    masters.length ? `It is MASTER for ${masters.join(', ')}: a peer takes over when lbd stops (priority 0).` : 'It is master of no VRRP instance.',
    action === 'poweroff' ? 'It stays off until someone starts it from the hypervisor or the hardware.' : 'The console disconnects; log in again after the reboot.',
  ], { title: what, yes: what, danger: true });
  if (!ok) { app.info(`${what} cancelled.`); return; }
  const r = await app.busy(`${what}`, () => app.api.post<{ message: string }>('/system/power', { action }, 60_000));
  if (r) app.ok(`${what} requested: the node is going down.`);
}

export class MainMenu implements View {
  readonly title = 'Main menu';
  private readonly list: SelectList<Action>;

  constructor(private readonly app: App) {
    this.list = new SelectList<Action>(this.items(), (item) => item.value!());
  }

  private items(): ListItem<Action>[] {
    const app = this.app;
    const maint = app.status.view?.node.maintenance;
    const item = (hotkey: string, label: string, detail: string, value: Action): ListItem<Action> =>
      ({ hotkey, value, line: [{ text: ` ${hotkey}  ` , attr: A.bold }, { text: label.padEnd(26) }, { text: detail }] });
    return [
      item('1', 'Status', 'VRRP, virtual services, L7, transitions (live)', () => app.push(new StatusScreen(app))),
      item('2', 'Network setup', 'management address, gateway, DNS, host name', () => app.push(new NetworkScreen(app))),
      item('3', 'Web admin access', 'set or reset a password; web UI address', () => app.push(new PasswordScreen(app))),
      item('4', maint ? 'Leave maintenance' : 'Maintenance', maint ? 'this node is BACKUP for everything: rejoin' : 'make this node BACKUP (VIPs go to the peer)', () => toggleMaintenance(app)),
      item('5', 'Real servers', 'drain, disable, enable, weight (LVS and L7)', () => app.push(new ServersScreen(app))),
      item('6', 'Configuration', 'edit, validate, apply; revisions, diff, roll back', () => app.push(new ConfigScreen(app))),
      item('7', 'Reload proxies', 'HAProxy/Nginx with the running config', () => reloadProxies(app)),
      item('8', 'Logs', 'view, filter and follow lbd\'s log', () => app.push(new LogsScreen(app))),
      item('9', 'Diagnostics', 'ping, TCP connect, HTTP GET from this node', () => app.push(new DiagnosticsScreen(app))),
      item('0', 'Reboot / shut down', '', () => power(app)),
      item('q', 'Log out', '', async () => { if (await app.confirm(['Log out of the console?'], { title: 'Log out', yes: 'Log out' })) app.quit(); }),
    ];
  }

  hints(): string { return 'Up/Down select  Enter or 1-9/0 open  q log out  Ctrl-L redraw'; }

  render(s: Screen, a: Area): void {
    this.list.setItems(this.items(), (x, y) => x === y);
    const items = this.list.items.length;
    this.list.render(s, { ...a, height: Math.min(items, a.height) });
    const v = this.app.status.view;
    if (!v || a.height < items + 4) return;
    const line: Line = [
      { text: 'VRRP ', attr: A.bold }, { text: v.vrrp.map((i) => `${i.name} ${i.state}`).join(', ') || 'none' },
      { text: '   Services ', attr: A.bold }, { text: `${v.virtual_servers.filter((x) => x.up === x.total).length}/${v.virtual_servers.length} fully up` },
    ];
    drawLine(s, a.top + items + 1, a.left, line, a.width);
  }

  key(k: Key): Promise<boolean> { return this.list.key(k); }
}

/** First boot (no saved network settings and no web account): offer the setup path before the menu. */
export class FirstBoot implements View {
  readonly title = 'First-boot setup';
  private readonly list: SelectList<Action>;

  constructor(app: App) {
    const toPassword = () => { app.pop(); app.push(new PasswordScreen(app, () => app.popToRoot())); };
    this.list = new SelectList<Action>([
      { hotkey: '1', line: ' 1  Start: network setup, then the web admin password', value: () => app.push(new NetworkScreen(app, toPassword)) },
      { hotkey: '2', line: ' 2  Only the web admin password', value: () => app.push(new PasswordScreen(app, () => app.popToRoot())) },
      { hotkey: 's', line: ' s  Skip to the main menu', value: () => app.pop(this) },
    ], (item) => item.value!());
  }

  hints(): string { return 'Enter or 1/2 start  s/Esc skip'; }

  render(s: Screen, a: Area): void {
    const intro: Line[] = [
      [{ text: 'This node is not set up yet.', attr: A.bold }], '',
      'The setup gives it a management address (with gateway, name servers and a host',
      'name, saved so they survive a reboot) and a password for the web admin UI.',
      'Everything can be changed later from the main menu.', '',
    ];
    intro.forEach((l, i) => drawLine(s, a.top + i, a.left, l, a.width));
    this.list.render(s, { ...a, top: a.top + intro.length, height: 3 });
  }

  key(k: Key): Promise<boolean> { return this.list.key(k); }
}
