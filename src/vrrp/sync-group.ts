/**
 * vrrp_sync_group: member instances change state together (keepalived semantics).
 * - One member in FAULT puts the whole group in FAULT until no member has a fault.
 * - A member displaced from MASTER by a better master takes the other masters to BACKUP.
 * - The group becomes MASTER only when every member wants it (each one's
 *   master-down timer ran out, or it is already MASTER); until then a member
 *   whose timer ran out waits in BACKUP.
 */
import type { GroupHooks, VrrpInstance, VrrpState } from './instance.js';

export type GroupState = Exclude<VrrpState, 'INIT'> | 'INIT';

export class SyncGroupCoordinator implements GroupHooks {
  state: GroupState = 'INIT';

  constructor(readonly name: string, readonly members: VrrpInstance[], private readonly onState: (s: GroupState, reason: string) => void) {
    for (const m of members) m.group = this;
  }

  wantMaster(i: VrrpInstance, reason: string): void {
    i.wantsMaster = true;
    const ready = this.members.every((m) => !m.faulted && (m.state === 'MASTER' || m.wantsMaster));
    if (!ready) return;
    for (const m of this.members) if (m.state !== 'MASTER') m.becomeMaster(m === i ? reason : `sync group ${this.name} (${i.name}: ${reason})`);
  }

  leftMaster(i: VrrpInstance): void {
    for (const m of this.members) {
      if (m !== i && m.state === 'MASTER') m.becomeBackup(`sync group ${this.name}: ${i.name} became BACKUP`);
    }
  }

  faultChanged(_i: VrrpInstance): void {
    const faulty = this.members.find((m) => m.ownFaults.length > 0);
    for (const m of this.members) {
      m.setGroupFault(faulty && m !== faulty && m.ownFaults.length === 0 ? `sync group ${this.name}: ${faulty.name} in FAULT` : null);
    }
  }

  /** Called after any member's transition: derive the group's state for group notifications. */
  memberChanged(reason: string): void {
    const states = this.members.map((m) => m.state);
    const next: GroupState = states.includes('FAULT') ? 'FAULT'
      : states.every((s) => s === 'STOP') ? 'STOP'
        : states.every((s) => s === 'MASTER') ? 'MASTER'
          : states.every((s) => s === 'INIT') ? 'INIT' : 'BACKUP';
    if (next === this.state) return;
    this.state = next;
    this.onState(next, reason);
  }

  detach(): void {
    for (const m of this.members) if (m.group === this) m.group = undefined;
  }
}
