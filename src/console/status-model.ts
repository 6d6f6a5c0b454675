/**
 * The live status the console shows: GET /status again whenever lbd's event
 * stream says something changed (and every 10 s for the clocks), and a list
 * of recent transitions — seeded from the view's own timestamps (last VRRP
 * transition per instance, real servers' last health change), then added to
 * by comparing each new view with the previous one.
 */
import { EventEmitter } from 'node:events';
import type { StatusView } from '../admin/status/schemas.js';
import type { ApiClient, SseStream } from './api.js';

export interface Transition { time: string; subject: string; change: string; detail?: string }

const MAX_TRANSITIONS = 100;

export class StatusModel extends EventEmitter<{ change: [] }> {
  view: StatusView | null = null;
  /** Why lbd cannot be reached right now, or null. */
  problem: string | null = null;
  transitions: Transition[] = [];
  private stream?: SseStream;
  private timer?: NodeJS.Timeout;
  private inFlight = false;
  private again = false;

  constructor(private readonly api: ApiClient) { super(); }

  start(): void {
    this.stream = this.api.stream('/events', {
      event: () => { void this.refresh(); },
      state: (up, problem) => {
        if (up) { void this.refresh(); return; }
        this.problem = problem ?? 'lbd not reachable';
        this.emit('change');
      },
    });
    this.timer = setInterval(() => { void this.refresh(); }, 10_000);
    void this.refresh();
  }

  stop(): void {
    this.stream?.close();
    if (this.timer) clearInterval(this.timer);
  }

  /** Read /status now (one request at a time; a change during a request triggers one more). */
  async refresh(): Promise<void> {
    if (this.inFlight) { this.again = true; return; }
    this.inFlight = true;
    try {
      const next = await this.api.get<StatusView>('/status');
      this.record(this.view, next);
      this.view = next;
      this.problem = null;
    } catch (e) {
      this.problem = (e as Error).message;
    } finally {
      this.inFlight = false;
    }
    this.emit('change');
    if (this.again) { this.again = false; await this.refresh(); }
  }

  private add(t: Transition): void {
    if (this.transitions.some((x) => x.time === t.time && x.subject === t.subject && x.change === t.change)) return;
    this.transitions.push(t);
    this.transitions.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
    this.transitions.length = Math.min(this.transitions.length, MAX_TRANSITIONS);
  }

  private record(prev: StatusView | null, next: StatusView): void {
    const now = next.generated_at;
    for (const i of next.vrrp) {
      const lt = i.last_transition;
      if (lt) this.add({ time: lt.time, subject: `VRRP ${i.name}`, change: `${lt.from ?? 'INIT'} -> ${lt.to}`, detail: lt.reason ?? undefined });
    }
    for (const vs of next.virtual_servers) {
      for (const rs of vs.real_servers) {
        const before = prev?.virtual_servers.find((v) => v.name === vs.name)?.real_servers.find((r) => r.key === rs.key);
        if (rs.since && rs.health !== 'unknown') {
          const change = before && before.health !== rs.health ? `${before.health} -> ${rs.health}` : rs.health;
          this.add({ time: rs.since, subject: `${vs.name} ${rs.key}`, change, detail: rs.last_check?.message ?? undefined });
        }
        if (before && before.admin !== rs.admin) this.add({ time: now, subject: `${vs.name} ${rs.key}`, change: `${before.admin} -> ${rs.admin}` });
      }
    }
    for (const b of next.l7.backends) {
      for (const sv of b.servers) {
        const before = prev?.l7.backends.find((x) => x.name === b.name)?.servers.find((x) => x.name === sv.name);
        if (before && before.state !== sv.state) this.add({ time: now, subject: `L7 ${b.name}/${sv.name}`, change: `${before.state} -> ${sv.state}`, detail: sv.check ?? undefined });
      }
    }
    if (prev && prev.node.maintenance !== next.node.maintenance && next.node.maintenance !== null)
      this.add({ time: now, subject: 'node', change: next.node.maintenance ? 'maintenance on' : 'maintenance off' });
  }
}
