/**
 * Which kernel services lbd created, kept in STATE_DIR/lvs-owned.json so that a restart
 * (even after kill -9) adopts them and removes stale ones, and never touches a service it
 * did not create. A service is recorded before it is created and forgotten after it is
 * deleted, so a crash in between leaves at worst a record of a service that does not exist.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteFileSync } from '../util/atomic-write.js';

interface OwnershipFile { version: 1; services: Record<string, string> }

export class OwnershipStore {
  readonly file: string;
  /** Service id (serviceId()) → the virtual server it belongs to. */
  private services = new Map<string, string>();

  constructor(stateDir: string) {
    this.file = join(stateDir, 'lvs-owned.json');
  }

  /** Read the file; a missing file means nothing is owned. A corrupt one is an error (never guess). */
  load(): void {
    let text: string;
    try { text = readFileSync(this.file, 'utf8'); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') { this.services.clear(); return; }
      throw e;
    }
    let data: OwnershipFile;
    try { data = JSON.parse(text) as OwnershipFile; } catch (e) { throw new Error(`${this.file}: not valid JSON (${(e as Error).message}); move it aside to start over`); }
    if (data?.version !== 1 || typeof data.services !== 'object') throw new Error(`${this.file}: unknown format; move it aside to start over`);
    this.services = new Map(Object.entries(data.services));
  }

  ids(): string[] { return [...this.services.keys()]; }
  owns(id: string): boolean { return this.services.has(id); }
  owner(id: string): string | undefined { return this.services.get(id); }

  /** Record services (id → virtual server name); writes only when something changed. */
  add(entries: Iterable<[string, string]>): void {
    let changed = false;
    for (const [id, vs] of entries) {
      if (this.services.get(id) !== vs) { this.services.set(id, vs); changed = true; }
    }
    if (changed) this.save();
  }

  remove(ids: Iterable<string>): void {
    let changed = false;
    for (const id of ids) changed = this.services.delete(id) || changed;
    if (changed) this.save();
  }

  private save(): void {
    const data: OwnershipFile = { version: 1, services: Object.fromEntries([...this.services].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) };
    atomicWriteFileSync(this.file, JSON.stringify(data, null, 2) + '\n', 0o600);
  }
}
