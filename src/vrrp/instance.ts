/**
 * One VRRP instance: the RFC 5798 / RFC 3768 state machine with its timers,
 * and nothing else. Packets arrive decoded; sending, VIPs and notifications
 * are the host's business (engine.ts), time is the clock's (clock.ts). That
 * keeps every rule here testable with a fake clock and fake network.
 *
 * Behaviour follows the RFCs, and keepalived where they leave room:
 * - a non-owner configured `state: MASTER` waits one advert interval + skew
 *   before taking over, `BACKUP` the full master_down_interval;
 * - a master that hears a lower priority sends an advert at once (the other
 *   side steps down without waiting for our next one);
 * - preempt_delay counts from the first lower-priority advert seen;
 * - entering FAULT or stopping as master sends priority 0 (fast takeover).
 */
import type { Clock, TimerHandle } from './clock.js';
import { Jitter } from './jitter.js';
import { passwordField, type Advert, type DropReason, AUTH_NONE, AUTH_SIMPLE } from './packet.js';
import { compareIp } from '../util/ip.js';

export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

export interface Transition {
  /** Wall-clock time (ms since the epoch). */
  at: number;
  from: VrrpState;
  to: VrrpState;
  reason: string;
}

export interface InstanceParams {
  name: string;
  version: 2 | 3;
  vrid: number;
  basePriority: number;
  /** Our advertisement interval in centiseconds. */
  advertIntCs: number;
  nopreempt: boolean;
  preemptDelayMs: number;
  initialState: 'MASTER' | 'BACKUP';
  /** VRRPv2 simple password. */
  password?: string;
  /** Addresses carried in adverts (the VIPs, excluded ones left out). */
  addresses: string[];
  skipCheckAdvAddr: boolean;
}

/** What the instance asks of the world. */
export interface InstanceHost {
  clock: Clock;
  /** The primary address adverts are sent from (null: none usable, the instance is faulted by the engine). */
  sourceAddress(): string | null;
  /** Send one advert with this priority; false when the send failed. */
  sendAdvert(priority: number): boolean;
  /** Become the owner of the VIPs (add them, announce them). */
  takeOver(): void;
  /** Give the VIPs up. */
  release(): void;
  transitioned(t: Transition): void;
}

/** Sync-group hooks (sync-group.ts): members change state together. */
export interface GroupHooks {
  /** The member's master-down timer fired: it wants MASTER, the group decides. */
  wantMaster(i: VrrpInstance, reason: string): void;
  /** The member left MASTER for BACKUP because of a better master. */
  leftMaster(i: VrrpInstance): void;
  /** The member's own fault set changed. */
  faultChanged(i: VrrpInstance): void;
}

export interface InstanceCounters {
  advertsSent: number;
  advertsReceived: number;
  priorityZeroSent: number;
  priorityZeroReceived: number;
  sendErrors: number;
  becameMaster: number;
  releasedMaster: number;
  dropped: Partial<Record<DropReason, number>>;
}

const PRIO_OWNER = 255;
/** Replies to lower-priority adverts are rate-limited so a flood cannot make us flood. */
const LOWER_PRIO_REPLY_FRACTION = 0.25;

export class VrrpInstance {
  state: VrrpState = 'INIT';
  effectivePriority: number;
  /** In centiseconds; VRRPv3 backups learn the master's (RFC 5798 6.4.2). */
  masterAdvertIntCs: number;
  masterAddress: string | null = null;
  lastTransition: Transition | null = null;
  readonly counters: InstanceCounters = {
    advertsSent: 0, advertsReceived: 0, priorityZeroSent: 0, priorityZeroReceived: 0, sendErrors: 0,
    becameMaster: 0, releasedMaster: 0, dropped: {},
  };
  readonly jitter = new Jitter();
  group?: GroupHooks;
  /** Held BACKUP by the sync group after its own timer fired. */
  wantsMaster = false;

  private faults = new Map<string, string>();
  private groupFault: string | null = null;
  private maintenance = false;
  private downTimer?: TimerHandle;
  private downDeadline = 0;
  private downReason = '';
  private advertTimer?: TimerHandle;
  private nextAdvertAt = 0;
  private lastSentAt = -Infinity;
  private preemptAt: number | null = null;

  constructor(public params: InstanceParams, private readonly host: InstanceHost) {
    this.effectivePriority = params.basePriority;
    this.masterAdvertIntCs = params.advertIntCs;
  }

  get name(): string { return this.params.name; }
  get owner(): boolean { return this.params.basePriority === PRIO_OWNER; }
  get faulted(): boolean { return this.faults.size > 0 || this.groupFault !== null; }
  get ownFaults(): string[] { return [...this.faults.values()]; }

  // ------------------------------------------------------------ timers

  /** Skew_Time in ms: VRRPv3 scales with the master's interval, VRRPv2 is (256 - prio)/256 s. */
  skewMs(priority = this.effectivePriority): number {
    return this.params.version === 3 ? ((256 - priority) * this.masterAdvertIntCs * 10) / 256 : ((256 - priority) * 1000) / 256;
  }

  masterDownMs(priority = this.effectivePriority): number {
    const interval = this.params.version === 3 ? this.masterAdvertIntCs * 10 : this.params.advertIntCs * 10;
    return 3 * interval + this.skewMs(priority);
  }

  private armDown(ms: number, reason: string): void {
    this.clearDown();
    if (this.maintenance) return;
    this.downDeadline = this.host.clock.now() + ms;
    this.downReason = reason;
    this.downTimer = this.host.clock.setTimer(ms, () => this.downExpired());
  }

  private clearDown(): void {
    if (this.downTimer) this.host.clock.clearTimer(this.downTimer);
    this.downTimer = undefined;
  }

  private downExpired(): void {
    this.downTimer = undefined;
    if (this.state !== 'BACKUP' || this.maintenance) return;
    if (this.group) this.group.wantMaster(this, this.downReason);
    else this.becomeMaster(this.downReason);
  }

  private scheduleAdvert(): void {
    const interval = this.params.advertIntCs * 10;
    const now = this.host.clock.now();
    // Fixed cadence (no drift from callback latency); after a long stall, restart from now.
    this.nextAdvertAt = this.nextAdvertAt + interval < now ? now + interval : this.nextAdvertAt + interval;
    this.advertTimer = this.host.clock.setTimer(this.nextAdvertAt - now, () => {
      this.advertTimer = undefined;
      if (this.state !== 'MASTER') return;
      this.jitter.record(this.host.clock.now() - this.nextAdvertAt);
      this.advertise(this.effectivePriority);
      this.scheduleAdvert();
    });
  }

  private clearAdvert(): void {
    if (this.advertTimer) this.host.clock.clearTimer(this.advertTimer);
    this.advertTimer = undefined;
  }

  private advertise(priority: number): void {
    this.lastSentAt = this.host.clock.now();
    if (this.host.sendAdvert(priority)) {
      this.counters.advertsSent++;
      if (priority === 0) this.counters.priorityZeroSent++;
    } else this.counters.sendErrors++;
  }

  // ------------------------------------------------------------ transitions

  private setState(to: VrrpState, reason: string): void {
    const t: Transition = { at: this.host.clock.epoch(), from: this.state, to, reason };
    this.state = to;
    this.lastTransition = t;
    this.host.transitioned(t);
  }

  /** Enter MASTER: advert first (the old master must drop the VIPs before our GARPs), then take the VIPs. */
  becomeMaster(reason: string): void {
    if (this.state === 'MASTER' || this.faulted || this.maintenance || this.state === 'STOP') return;
    this.clearDown();
    this.wantsMaster = false;
    this.preemptAt = null;
    this.nextAdvertAt = this.host.clock.now();
    this.advertise(this.effectivePriority);
    this.scheduleAdvert();
    this.host.takeOver();
    this.masterAddress = this.host.sourceAddress();
    this.counters.becameMaster++;
    this.setState('MASTER', reason);
  }

  private leaveMaster(sendZero: boolean): void {
    this.clearAdvert();
    if (sendZero) this.advertise(0);
    this.host.release();
    this.counters.releasedMaster++;
  }

  /** Enter BACKUP with a fresh master-down timer (also used by the sync group). */
  becomeBackup(reason: string, sendZero = false): void {
    if (this.state === 'BACKUP' || this.state === 'STOP' || this.faulted) return;
    if (this.state === 'MASTER') {
      this.leaveMaster(sendZero);
      this.masterAddress = null;
    }
    this.wantsMaster = false;
    this.masterAdvertIntCs = this.params.advertIntCs;
    this.setState('BACKUP', reason);
    this.armDown(this.masterDownMs(), 'no advertisement within master_down_interval');
  }

  private enterFault(reason: string): void {
    if (this.state === 'FAULT' || this.state === 'STOP') return;
    this.clearDown();
    if (this.state === 'MASTER') this.leaveMaster(true);
    this.masterAddress = null;
    this.wantsMaster = false;
    this.setState('FAULT', reason);
  }

  /** Leave FAULT (or INIT) the way RFC 5798's Initialize state does. */
  private initialize(reason: string, atStart = false): void {
    if (this.faulted) { this.enterFault(this.faultText()); return; }
    this.masterAdvertIntCs = this.params.advertIntCs;
    if (this.owner && !this.maintenance) {
      this.becomeMaster(`${reason}; address owner (priority 255)`);
      return;
    }
    this.setState('BACKUP', reason);
    if (atStart && this.params.initialState === 'MASTER') this.armDown(this.masterAdvertIntCs * 10 + this.skewMs(), 'configured state MASTER and no better master advertised');
    else this.armDown(this.masterDownMs(), 'no advertisement within master_down_interval');
  }

  faultReasons(): string[] {
    return [...this.faults.values(), ...(this.groupFault ? [this.groupFault] : [])];
  }

  private faultText(): string {
    return this.faultReasons().join('; ');
  }

  // ------------------------------------------------------------ inputs

  start(): void {
    if (this.state !== 'INIT') return;
    this.initialize(this.maintenance ? 'start (maintenance: staying backup)' : 'start', true);
  }

  stop(reason = 'stopping'): void {
    if (this.state === 'STOP') return;
    this.clearDown();
    if (this.state === 'MASTER') this.leaveMaster(true);
    this.masterAddress = null;
    this.setState('STOP', reason);
  }

  /** A tracker's verdict: `reason` null clears the fault named `key`. */
  setFault(key: string, reason: string | null): void {
    const was = this.faults.size > 0;
    if (reason === null) this.faults.delete(key); else this.faults.set(key, reason);
    if (was === this.faults.size > 0) return;
    this.group?.faultChanged(this);
    this.applyFaults(reason === null ? `recovered: ${key}` : reason);
  }

  /** The sync group's verdict on the whole group (null: the group is healthy). */
  setGroupFault(reason: string | null): void {
    if (this.groupFault === reason) return;
    this.groupFault = reason;
    this.applyFaults(reason ?? 'sync group recovered');
  }

  private applyFaults(reason: string): void {
    if (this.state === 'INIT' || this.state === 'STOP') return;
    if (this.faulted) this.enterFault(this.faultText());
    else if (this.state === 'FAULT') this.initialize(reason);
  }

  setEffectivePriority(p: number): void {
    if (this.owner || p === this.effectivePriority) return;
    const oldDown = this.masterDownMs();
    this.effectivePriority = p;
    // A running master-down timer moves by the change in skew (as keepalived does).
    if (this.state === 'BACKUP' && this.downTimer) {
      const remaining = this.downDeadline - this.host.clock.now() + (this.masterDownMs() - oldDown);
      this.armDown(Math.max(0, remaining), this.downReason);
    }
  }

  /** Maintenance: give up MASTER now (priority 0 so a peer takes over at once) and stay BACKUP. */
  setMaintenance(on: boolean): void {
    if (this.maintenance === on) return;
    this.maintenance = on;
    if (on) {
      this.clearDown();
      if (this.state === 'MASTER') this.becomeBackup('maintenance', true);
    } else if (this.state === 'BACKUP') {
      this.armDown(this.masterDownMs(), 'no advertisement within master_down_interval (maintenance released)');
    }
  }

  /** Apply changed parameters in place (reload): no transition unless the change itself demands one. */
  update(params: InstanceParams): void {
    const intervalChanged = params.advertIntCs !== this.params.advertIntCs;
    this.params = params;
    if (intervalChanged) {
      if (this.params.version === 2 || this.state !== 'BACKUP') this.masterAdvertIntCs = params.advertIntCs;
      if (this.state === 'MASTER') { this.clearAdvert(); this.nextAdvertAt = this.host.clock.now(); this.scheduleAdvert(); }
    }
  }

  countDrop(reason: DropReason): void {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
  }

  /** Receive checks that depend on this instance's configuration (RFC 3768 7.1, RFC 5798 7.1). */
  private check(a: Advert, source: string): DropReason | null {
    const p = this.params;
    if (a.version !== p.version) return 'version';
    if (source === this.host.sourceAddress()) return 'own_address';
    if (p.version === 2) {
      const want = p.password ? AUTH_SIMPLE : AUTH_NONE;
      if (a.authType !== want) return 'auth_type';
      if (p.password && !a.authData.equals(passwordField(p.password))) return 'auth';
      if (a.intervalCs !== p.advertIntCs) return 'interval';
    }
    const checkAddrs = !p.skipCheckAdvAddr || source !== this.masterAddress;
    if (checkAddrs && a.priority !== PRIO_OWNER && !this.owner) {
      const mine = new Set(p.addresses);
      if (a.addresses.length !== mine.size || a.addresses.some((x) => !mine.has(x))) return 'addresses';
    }
    return null;
  }

  /** A decoded advert for our VRID from `source`. */
  receive(a: Advert, source: string): void {
    const bad = this.check(a, source);
    if (bad) { this.countDrop(bad); return; }
    this.counters.advertsReceived++;
    if (a.priority === 0) this.counters.priorityZeroReceived++;
    if (this.state === 'BACKUP') this.receiveAsBackup(a, source);
    else if (this.state === 'MASTER') this.receiveAsMaster(a, source);
  }

  private receiveAsBackup(a: Advert, source: string): void {
    const now = this.host.clock.now();
    if (a.priority === 0) {
      this.armDown(this.skewMs(), `master ${source} released (priority 0)`);
      return;
    }
    const p = this.params;
    const holdForDelay = p.preemptDelayMs > 0 && (this.preemptAt === null || now < this.preemptAt);
    if (p.nopreempt || a.priority >= this.effectivePriority || holdForDelay) {
      if (p.version === 3) this.masterAdvertIntCs = a.intervalCs || p.advertIntCs;
      this.masterAddress = source;
      this.wantsMaster = false;
      if (a.priority >= this.effectivePriority) this.preemptAt = null;
      else if (holdForDelay && this.preemptAt === null) this.preemptAt = now + p.preemptDelayMs;
      this.armDown(this.masterDownMs(), `no advertisement from master ${source} within master_down_interval`);
    } else {
      // Lower priority and preemption allowed: ignore it; our timer runs out and we take over.
      this.masterAddress = source;
      this.downReason = `preempting master ${source} (priority ${a.priority} < ours ${this.effectivePriority})`;
    }
  }

  private receiveAsMaster(a: Advert, source: string): void {
    const ours = this.host.sourceAddress();
    const higher = a.priority > this.effectivePriority ||
      (a.priority === this.effectivePriority && ours !== null && compareIp(source, ours) > 0);
    if (a.priority === 0) {
      this.clearAdvert();
      this.nextAdvertAt = this.host.clock.now();
      this.advertise(this.effectivePriority);
      this.scheduleAdvert();
    } else if (higher) {
      this.leaveMaster(false);
      if (this.params.version === 3) this.masterAdvertIntCs = a.intervalCs || this.params.advertIntCs;
      this.masterAddress = source;
      const why = a.priority > this.effectivePriority
        ? `higher priority master ${source} (${a.priority} > ours ${this.effectivePriority})`
        : `equal priority ${a.priority} from higher address ${source}`;
      this.setState('BACKUP', why);
      this.armDown(this.masterDownMs(), `no advertisement from master ${source} within master_down_interval`);
      this.group?.leftMaster(this);
    } else if (this.host.clock.now() - this.lastSentAt > this.params.advertIntCs * 10 * LOWER_PRIO_REPLY_FRACTION) {
      // A lower-priority node thinks it is master: answer now so it steps down.
      this.advertise(this.effectivePriority);
    }
  }
}
