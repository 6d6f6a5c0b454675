/**
 * Desired services → the kernel, touching only what differs. `planChanges` is pure: it
 * compares desired and observed state and returns the fewest operations, ordered so that a
 * service never runs out of destinations while one is wanted (adds, then edits, then
 * deletions). `Reconciler` observes the kernel for the services in scope, plans and applies.
 * Only services named as desired or deletable are ever read or written: whatever else the
 * kernel holds (other owners, hand-made services) is left alone.
 */
import { SVC_F } from './constants.js';
import { canonicalAddress } from './addr.js';
import { destId, serviceId } from './format.js';
import type { IpvsClient } from './client.js';
import type { IpvsError } from './errors.js';
import type { Destination, Operation, Service, ServiceInfo, ServiceKey } from './types.js';

export interface DesiredService extends Service { destinations: Destination[] }

/** A service as the kernel holds it (counters, when read, are ignored here). */
export interface ObservedService { service: Service; destinations: Destination[] }

/** A key with its address in canonical text, so equal services have equal ids. */
export function canonicalKey(k: ServiceKey): ServiceKey {
  return 'fwmark' in k ? { family: k.family, fwmark: k.fwmark } : { family: k.family, protocol: k.protocol, address: canonicalAddress(k.address), port: k.port };
}

const canonicalDestId = (d: { address: string; port: number }) => destId({ address: canonicalAddress(d.address), port: d.port });

/** Kernel-owned bits (HASHED is set on every hashed service) are not ours to compare. */
const flagsOf = (s: Service) => s.flags & ~SVC_F.HASHED;

export function sameService(a: Service, b: Service): boolean {
  return a.scheduler === b.scheduler && flagsOf(a) === flagsOf(b) && a.timeout === b.timeout && a.netmask === b.netmask && (a.pe ?? '') === (b.pe ?? '');
}

export function sameDestination(a: Destination, b: Destination): boolean {
  if (a.forward !== b.forward || a.weight !== b.weight || a.upperThreshold !== b.upperThreshold || a.lowerThreshold !== b.lowerThreshold) return false;
  if (a.forward !== 'tun') return true;
  const ta = a.tunnel ?? { type: 'ipip' }, tb = b.tunnel ?? { type: 'ipip' };
  return ta.type === tb.type && (ta.port ?? 0) === (tb.port ?? 0) && (ta.flags ?? 0) === (tb.flags ?? 0);
}

function stripDest(d: Destination): Destination {
  const { address, port, family, forward, weight, upperThreshold, lowerThreshold, tunnel } = d;
  return { address, port, ...(family ? { family } : {}), forward, weight, upperThreshold, lowerThreshold, ...(tunnel ? { tunnel } : {}) };
}

function stripService(s: Service): Service {
  const { key, scheduler, flags, timeout, netmask, pe } = s;
  return { key: canonicalKey(key), scheduler, flags, timeout, netmask, ...(pe ? { pe } : {}) };
}

/**
 * The operations that make the kernel match `desired` for every desired service, and remove
 * the `deletable` services that are not desired. `observed` holds the kernel's state of those
 * services (absent = not in the kernel).
 */
export function planChanges(desired: readonly DesiredService[], observed: ReadonlyMap<string, ObservedService>, deletable: Iterable<ServiceKey> = []): Operation[] {
  const creates: Operation[] = [], serviceEdits: Operation[] = [], destAdds: Operation[] = [], destEdits: Operation[] = [], destDels: Operation[] = [], serviceDels: Operation[] = [];
  const wanted = new Set<string>();
  for (const d of desired) {
    const key = canonicalKey(d.key);
    const id = serviceId(key);
    if (wanted.has(id)) throw new TypeError(`service ${id} is desired twice`);
    wanted.add(id);
    const want = new Map<string, Destination>();
    for (const dest of d.destinations) {
      const did = canonicalDestId(dest);
      if (want.has(did)) throw new TypeError(`destination ${did} of ${id} is desired twice`);
      want.set(did, stripDest({ ...dest, address: canonicalAddress(dest.address) }));
    }
    const o = observed.get(id);
    if (!o) {
      creates.push({ op: 'add-service', service: stripService(d) });
      for (const dest of want.values()) creates.push({ op: 'add-dest', key, dest });
      continue;
    }
    if (!sameService(d, o.service)) serviceEdits.push({ op: 'update-service', service: stripService(d) });
    const have = new Map(o.destinations.map((x) => [canonicalDestId(x), x]));
    for (const [did, dest] of want) {
      const h = have.get(did);
      if (!h) destAdds.push({ op: 'add-dest', key, dest });
      else if (!sameDestination(dest, h)) destEdits.push({ op: 'update-dest', key, dest });
    }
    for (const [did, h] of have) {
      if (!want.has(did)) destDels.push({ op: 'delete-dest', key, dest: { address: h.address, port: h.port, family: h.family } });
    }
  }
  const deleted = new Set<string>();
  for (const k of deletable) {
    const key = canonicalKey(k);
    const id = serviceId(key);
    if (wanted.has(id) || deleted.has(id) || !observed.has(id)) continue;
    deleted.add(id);
    serviceDels.push({ op: 'delete-service', key });
  }
  return [...creates, ...serviceEdits, ...destAdds, ...destEdits, ...destDels, ...serviceDels];
}

export interface ReconcileResult {
  operations: Operation[];
  applied: number;
  errors: IpvsError[];
  /** The kernel was read (false: the known state was trusted). */
  read: boolean;
  observeMs: number;
  applyMs: number;
}

/** Above this many services in scope, one dump of all services is cheaper than one request each. */
const SCOPED_READ_LIMIT = 32;

export class Reconciler {
  /**
   * The kernel's state of services as last read, with our acknowledged writes applied since:
   * null = known to be absent; no entry = unknown. Lets a small change be planned without a
   * read (`useKnown`); anything that fails makes its service unknown again.
   */
  private readonly known = new Map<string, ObservedService | null>();

  constructor(private readonly client: IpvsClient) {}

  /** The kernel's state of the given services (destinations only for those in `withDests`). */
  async observe(keys: readonly ServiceKey[], withDests: ReadonlySet<string>): Promise<Map<string, ObservedService>> {
    const unique = new Map(keys.map((k) => { const c = canonicalKey(k); return [serviceId(c), c] as const; }));
    const found: ServiceInfo[] = [];
    if (unique.size > SCOPED_READ_LIMIT) {
      for (const s of await this.client.services()) if (unique.has(serviceId(s.key))) found.push(s);
    } else {
      for (const s of await this.client.lookup([...unique.values()])) if (s) found.push(s);
    }
    const out = new Map<string, ObservedService>();
    for (const s of found) {
      const id = serviceId(s.key);
      out.set(id, { service: s, destinations: withDests.has(id) ? await this.client.destinations(s.key) : [] });
    }
    for (const id of unique.keys()) {
      if (!out.has(id)) this.known.set(id, null);
      else if (withDests.has(id)) this.known.set(id, out.get(id)!);
    }
    return out;
  }

  /** Record what a read elsewhere found (a status poll): `null` when the service is absent. */
  learn(key: ServiceKey, state: ObservedService | null): void {
    this.known.set(serviceId(canonicalKey(key)), state);
  }

  /** Forget what is known (the next reconcile reads the kernel). */
  forget(): void { this.known.clear(); }

  /**
   * Make the kernel hold `desired`, and delete those of `deletable` that are not desired.
   * Nothing outside these two sets is read or changed. With `useKnown`, services whose state
   * is known are not read; if an operation then fails (someone changed the kernel behind our
   * back), the services in scope are read and reconciled again at once.
   */
  async reconcile(desired: readonly DesiredService[], deletable: readonly ServiceKey[] = [], opts: { useKnown?: boolean } = {}): Promise<ReconcileResult> {
    const t0 = performance.now();
    const desiredIds = new Set(desired.map((d) => serviceId(canonicalKey(d.key))));
    const scope = [...desired.map((d) => d.key), ...deletable];
    let observed: Map<string, ObservedService>;
    let read = true;
    if (opts.useKnown && scope.every((k) => this.known.has(serviceId(canonicalKey(k))))) {
      read = false;
      observed = new Map();
      for (const k of scope) {
        const id = serviceId(canonicalKey(k));
        const state = this.known.get(id);
        if (state) observed.set(id, state);
      }
    } else {
      observed = await this.observe(scope, desiredIds);
    }
    const t1 = performance.now();
    const operations = planChanges(desired, observed, deletable);
    const { applied, errors } = operations.length ? await this.client.apply(operations) : { applied: 0, errors: [] };
    this.remember(operations, errors);
    if (!read && errors.length) return this.reconcile(desired, deletable);
    return { operations, applied, errors, read, observeMs: t1 - t0, applyMs: performance.now() - t1 };
  }

  /** Apply acknowledged operations to the known state; a failed one makes its service unknown. */
  private remember(operations: readonly Operation[], errors: readonly IpvsError[]): void {
    const failed = new Set(errors.map((e) => e.operation));
    const unknown = new Set<string>();
    for (const o of operations) {
      const id = serviceId('service' in o ? o.service.key : o.key);
      if (failed.has(o)) { unknown.add(id); continue; }
      const state = this.known.get(id);
      switch (o.op) {
        case 'add-service': this.known.set(id, { service: o.service, destinations: [] }); break;
        case 'update-service': if (state) state.service = o.service; break;
        case 'delete-service': this.known.set(id, null); break;
        default: {
          if (!state) break;
          const did = canonicalDestId(o.dest);
          state.destinations = state.destinations.filter((d) => canonicalDestId(d) !== did);
          if (o.op !== 'delete-dest') state.destinations.push(o.dest);
        }
      }
    }
    for (const id of unknown) this.known.delete(id);
  }
}
