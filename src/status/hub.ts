/**
 * One status model for the whole node. Each subsystem publishes its own
 * section (vrrp, lvs, health, l7, ...); the API, UI, console and metrics read
 * the same snapshot and subscribe to 'change' for live updates.
 */
import { EventEmitter } from 'node:events';

export interface StatusEvents { change: [section: string] }

export class StatusHub extends EventEmitter<StatusEvents> {
  private sections = new Map<string, unknown>();

  publish(section: string, value: unknown): void {
    this.sections.set(section, value);
    this.emit('change', section);
  }

  get<T>(section: string): T | undefined {
    return this.sections.get(section) as T | undefined;
  }

  snapshot(): Record<string, unknown> {
    return Object.fromEntries(this.sections);
  }
}
