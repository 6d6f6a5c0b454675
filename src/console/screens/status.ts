/** The live status screen: node, VRRP instances, virtual services with their real servers, L7, recent transitions. */
import type { StatusView } from '../../admin/status/schemas.js';
import { A, type Screen } from '../term/screen.js';
import type { Key } from '../term/terminal.js';
import type { App } from '../ui/app.js';
import { Pager } from '../ui/pager.js';
import type { Area, Line, View } from '../ui/view.js';
import type { Transition } from '../status-model.js';
import { duration, orDash, row, shortTime, stateAttr } from './format.js';

const H = A.bold | A.underline;

export function statusLines(v: StatusView, transitions: Transition[], maxTransitions = 20): Line[] {
  const n = v.node;
  const lines: Line[] = [];
  lines.push([
    { text: 'Node ', attr: A.bold }, { text: `${n.router_id || '-'}  host ${n.hostname}  lbd ${n.lbd_version}  up ${duration(n.uptime_s)}  config rev ${orDash(n.config_revision)}  ` },
    { text: n.maintenance ? 'MAINTENANCE' : 'in service', attr: n.maintenance ? A.yellow | A.bold : A.green },
  ]);
  lines.push('');

  lines.push([{ text: 'VRRP instances', attr: H }, { text: v.reported.vrrp ? '' : '   (vrrp not reporting)', attr: A.yellow }]);
  if (!v.vrrp.length) lines.push('  none configured');
  else lines.push(row(['  NAME', 17], ['IF', 9], ['STATE', 9], ['PRIO', 10], ['MASTER', 17], ['VIPS', 0]).map((s) => ({ ...s, attr: A.bold })));
  for (const i of v.vrrp) {
    const prio = i.priority === null ? `-/${i.base_priority}` : i.priority === i.base_priority ? String(i.priority) : `${i.priority}/${i.base_priority}`;
    lines.push(row([`  ${i.name}`, 17], [i.interface, 9], [i.state, 9, stateAttr(i.state)], [prio, 10], [orDash(i.master), 17], [i.vips.join(' ') || '-', 0]));
  }
  lines.push('');

  lines.push([{ text: 'Virtual services', attr: H }, { text: v.reported.health ? '' : '   (health not reporting)', attr: A.yellow }, { text: v.reported.lvs ? '' : '   (no kernel IPVS status)', attr: 0 }]);
  if (!v.virtual_servers.length) lines.push('  none configured');
  for (const vs of v.virtual_servers) {
    const quorum = vs.quorum_ok === null ? '' : vs.quorum_ok ? '  quorum ok' : '  QUORUM LOST';
    lines.push([
      { text: `  ${vs.name}`, attr: A.bold }, { text: `  ${vs.endpoints.join(' ')}  ${vs.lb_algo}/${vs.lb_kind}  ` },
      { text: `${vs.up}/${vs.total} up`, attr: vs.up === vs.total ? A.green : A.red | A.bold },
      { text: quorum, attr: vs.quorum_ok === false ? A.red | A.bold : 0 },
    ]);
    for (const rs of vs.real_servers) {
      const weight = rs.weight === null ? `-/${rs.weight_configured}` : `${rs.weight}/${rs.weight_configured}`;
      const conns = rs.active_conns === null ? '-' : `${rs.active_conns}/${rs.inactive_conns ?? 0}`;
      const check = rs.last_check ? `${rs.last_check.message ?? (rs.last_check.ok ? 'ok' : 'failed')}${rs.last_check.latency_ms !== null ? ` ${Math.round(rs.last_check.latency_ms)}ms` : ''}` : '';
      lines.push(row([`    ${rs.key}`, 26], [rs.health === 'up' ? 'up' : rs.health.toUpperCase(), 8, stateAttr(rs.health)], [rs.admin, 9, rs.admin === 'enabled' ? 0 : stateAttr(rs.admin)], [weight, 8], [conns, 9], [check, 0]));
    }
  }
  lines.push('');

  const l7 = v.l7;
  if (l7.frontends.length || l7.backends.length) {
    lines.push([{ text: 'L7 proxies', attr: H }, { text: v.reported.l7 ? '' : '   (proxy not reporting)', attr: A.yellow }]);
    for (const f of l7.frontends) lines.push([{ text: `  frontend ${f.name}` }, { text: ` (${f.engine}) ${f.bind.join(' ')}  ` }, { text: f.state, attr: stateAttr(f.state) }]);
    for (const b of l7.backends) {
      lines.push([{ text: `  backend ${b.name}`, attr: A.bold }, { text: `  ${b.balance}  ` }, { text: `${b.up}/${b.total} up`, attr: b.up === b.total ? A.green : A.red | A.bold }]);
      for (const s of b.servers) {
        lines.push(row([`    ${s.name}`, 14], [`${s.address}:${s.port}${s.backup ? ' (backup)' : ''}`, 22], [s.state, 8, stateAttr(s.state)], [`w${orDash(s.weight)}`, 6],
          [`${orDash(s.check)}${s.latency_ms !== null ? ` ${s.latency_ms}ms` : ''}`, 0]));
      }
    }
    lines.push('');
  }

  lines.push([{ text: 'Recent transitions', attr: H }]);
  if (!transitions.length) lines.push('  none seen yet');
  for (const t of transitions.slice(0, maxTransitions)) {
    lines.push(row([`  ${shortTime(t.time)}`, 17], [t.subject, 28], [t.change, 20, stateAttr(t.change.split(' ').at(-1) ?? '')], [t.detail ?? '', 0]));
  }
  return lines;
}

export class StatusScreen implements View {
  readonly title = 'Status';
  private readonly pager = new Pager();

  constructor(private readonly app: App) {}

  opened(): void { void this.app.status.refresh(); }

  hints(): string { return `Up/Down PgUp/PgDn scroll  r refresh  Esc back  (live) ${this.pager.position()}`; }

  render(s: Screen, a: Area): void {
    const st = this.app.status;
    const lines: Line[] = [];
    if (st.problem) lines.push([{ text: `lbd: ${st.problem}; retrying`, attr: A.red | A.bold }], '');
    if (st.view) lines.push(...statusLines(st.view, st.transitions));
    else if (!st.problem) lines.push('reading status ...');
    this.pager.set(lines);
    this.pager.render(s, a);
  }

  key(k: Key): boolean {
    if (k.name === 'char' && k.ch === 'r') { void this.app.status.refresh(); return true; }
    return this.pager.key(k);
  }
}
