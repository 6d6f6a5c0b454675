/** Runtime operations through the API: maintenance, real-server and L7-server drain/disable/enable/weight, proxy reload. */
import type { StatusView } from '../../admin/status/schemas.js';
import { A, type Screen } from '../term/screen.js';
import type { Key } from '../term/terminal.js';
import type { App } from '../ui/app.js';
import { SelectList, type ListItem } from '../ui/list.js';
import type { Area, View } from '../ui/view.js';
import { orDash, row, stateAttr } from './format.js';

interface Ok { ok: boolean; message: string }

export async function toggleMaintenance(app: App): Promise<void> {
  const v = app.status.view;
  if (!v) { app.error(app.status.problem ?? 'no status from lbd yet'); return; }
  const on = !v.node.maintenance;
  const instances = v.vrrp.map((i) => `${i.name} (${i.state})`).join(', ') || 'none configured';
  const ok = await app.confirm(on
    ? ['Put this node in maintenance?', '', 'Every VRRP instance goes BACKUP; a master sends priority 0 so a peer takes its virtual addresses over at once.',
      '', `Instances: ${instances}`]
    : ['Take this node out of maintenance?', '', 'Its VRRP instances rejoin the election with their configured priority (a higher priority takes the addresses back if preemption is on).'],
  { title: on ? 'Maintenance' : 'Leave maintenance', yes: on ? 'Go to maintenance' : 'Leave maintenance', danger: on });
  if (!ok) { app.info('Maintenance unchanged.'); return; }
  const r = await app.busy(on ? 'Entering maintenance' : 'Leaving maintenance', () => app.api.post<Ok>('/ops/maintenance', { on, reason: 'from the console' }));
  if (r) { app.ok(on ? 'Maintenance on: this node is BACKUP for every instance.' : 'Maintenance off: the node is back in the election.'); await app.status.refresh(); }
}

export async function reloadProxies(app: App): Promise<void> {
  if (!(await app.confirm(['Reload HAProxy/Nginx with the running config?', '', 'Graceful: established connections are kept.'], { title: 'Reload proxies', yes: 'Reload' }))) {
    app.info('Nothing reloaded.');
    return;
  }
  const r = await app.busy('Reloading proxies', () => app.api.post<Ok>('/ops/proxy/reload', {}, 90_000));
  if (r) app.ok(r.message);
}

type Target = { kind: 'rs'; vs: string; key: string; admin: string } | { kind: 'l7'; backend: string; server: string; state: string };

function items(v: StatusView): ListItem<Target>[] {
  const out: ListItem<Target>[] = [];
  for (const vs of v.virtual_servers) {
    out.push({ line: [{ text: `${vs.name}`, attr: A.bold }, { text: `  ${vs.endpoints.join(' ')}  ${vs.up}/${vs.total} up` }], selectable: false });
    for (const rs of vs.real_servers) {
      out.push({
        line: row([`  ${rs.key}`, 28], [rs.health === 'up' ? 'up' : rs.health.toUpperCase(), 9, stateAttr(rs.health)], [rs.admin, 10, rs.admin === 'enabled' ? 0 : stateAttr(rs.admin)], [`weight ${orDash(rs.weight)}/${rs.weight_configured}`, 0]),
        value: { kind: 'rs', vs: vs.name, key: rs.key, admin: rs.admin },
      });
    }
  }
  for (const b of v.l7.backends) {
    out.push({ line: [{ text: `L7 backend ${b.name}`, attr: A.bold }, { text: `  ${b.up}/${b.total} up` }], selectable: false });
    for (const s of b.servers) {
      out.push({
        line: row([`  ${s.name}`, 16], [`${s.address}:${s.port}`, 22], [s.state, 9, stateAttr(s.state)], [`weight ${orDash(s.weight)}/${s.weight_configured}`, 0]),
        value: { kind: 'l7', backend: b.name, server: s.name, state: s.state },
      });
    }
  }
  if (!out.length) out.push({ line: 'No virtual services or L7 backends in the running config.', selectable: false });
  return out;
}

const sameTarget = (a: Target | undefined, b: Target | undefined) =>
  !!a && !!b && a.kind === b.kind && (a.kind === 'rs' ? a.vs === (b as typeof a).vs && a.key === (b as typeof a).key : a.backend === (b as typeof a).backend && a.server === (b as typeof a).server);

type Action = 'drain' | 'disable' | 'enable' | 'weight';

const EXPLAIN: Record<Exclude<Action, 'weight'>, string> = {
  drain: 'No new connections go to it; established ones finish.',
  disable: 'Taken out of service: no new connections (established LVS connections time out; HAProxy closes them in maintenance).',
  enable: 'Back in service with its weight.',
};

export class ServersScreen implements View {
  readonly title = 'Real servers';
  private readonly list: SelectList<Target>;

  constructor(private readonly app: App) {
    this.list = new SelectList<Target>([], (item) => this.act(item.value!));
  }

  hints(): string { return 'Up/Down select  Enter act  d drain  x disable  e enable  w weight  Esc back'; }

  render(s: Screen, a: Area): void {
    const v = this.app.status.view;
    if (!v) { s.put(a.top, a.left, this.app.status.problem ?? 'reading status ...'); return; }
    this.list.setItems(items(v), sameTarget);
    this.list.render(s, a);
  }

  async key(k: Key): Promise<boolean> {
    const direct: Record<string, Action> = { d: 'drain', x: 'disable', e: 'enable', w: 'weight' };
    const t = this.list.current?.value;
    if (k.name === 'char' && k.ch && direct[k.ch] && t) { await this.run(t, direct[k.ch]!); return true; }
    return this.list.key(k);
  }

  private async act(t: Target): Promise<void> {
    const name = t.kind === 'rs' ? `${t.key} of ${t.vs}` : `${t.server} of ${t.backend}`;
    const action = await this.app.choose<Action>(name, [
      { hotkey: 'd', label: 'Drain (no new connections)', value: 'drain' },
      { hotkey: 'x', label: 'Disable (out of service)', value: 'disable' },
      { hotkey: 'e', label: 'Enable (back in service)', value: 'enable' },
      { hotkey: 'w', label: 'Set the runtime weight', value: 'weight' },
    ]);
    if (action) await this.run(t, action);
  }

  private async run(t: Target, action: Action): Promise<void> {
    const name = t.kind === 'rs' ? `${t.key} of ${t.vs}` : `${t.server} of backend ${t.backend}`;
    let weight: number | undefined;
    if (action === 'weight') {
      const max = t.kind === 'rs' ? 65535 : 256;
      const text = await this.app.prompt({
        title: `Weight of ${name}`, label: 'Weight', hint: `0 to ${max}; runtime only, the config keeps its weight`,
        check: (v) => (/^\d{1,5}$/.test(v.trim()) && Number(v) <= max ? null : `a whole number from 0 to ${max}`),
      });
      if (text === null) { this.app.info('Weight unchanged.'); return; }
      weight = Number(text);
    } else if (action !== 'enable') {
      const yes = await this.app.confirm([`${action === 'drain' ? 'Drain' : 'Disable'} ${name}?`, '', EXPLAIN[action]], { title: action, yes: action === 'drain' ? 'Drain' : 'Disable', danger: true });
      if (!yes) { this.app.info(`${name}: unchanged.`); return; }
    }
    const r = await this.app.busy(`${action} ${name}`, () => (t.kind === 'rs'
      ? this.app.api.post<Ok>('/ops/real-server', { virtual_server: t.vs, real_server: t.key, action, ...(weight !== undefined ? { weight } : {}) })
      : this.app.api.post<Ok>('/ops/l7-server', { backend: t.backend, server: t.server, action, ...(weight !== undefined ? { weight } : {}) })));
    if (r) { this.app.ok(`${name}: ${action}${weight !== undefined ? ` ${weight}` : ''} done.`); await this.app.status.refresh(); }
  }
}
