/**
 * IpvsClient: the kernel's IPVS table over generic netlink. Reads are dumps; writes are
 * Operations sent in batches (many messages per sendmsg, a bounded number of batches in
 * flight) so that programming thousands of objects costs few system calls.
 */
import { IPVS_GENL_NAME } from './constants.js';
import { GenlTransport, type GenlRequest, type TransportOptions } from './transport.js';
import type { NlMessage } from './netlink.js';
import { KernelError, IpvsError, IpvsUnavailableError } from './errors.js';
import {
  decodeDaemon, decodeDest, decodeFamilyId, decodeInfo, decodeService, decodeTimeouts, familyRequest, ipvsRequests as R, operationRequest,
} from './codec.js';
import { serviceId } from './format.js';
import type {
  DestKey, Destination, DestinationInfo, IpvsInfo, Operation, Service, ServiceInfo, ServiceKey, SyncDaemon, Timeouts,
} from './types.js';

export interface ClientOptions extends TransportOptions {
  /** Messages per sendmsg (64 matched ipvsadm-restore's speed in measurements). */
  batchSize?: number;
  /** Batches in flight at once; their replies must fit the receive buffer. */
  window?: number;
}

export interface ApplyResult {
  /** Operations the kernel acknowledged. */
  applied: number;
  /** One error per failed operation, in order. */
  errors: IpvsError[];
}

export class IpvsClient {
  private readonly batchSize: number;
  private readonly window: number;
  /** The kernel runs one dump per socket at a time (EBUSY otherwise): dumps wait their turn. */
  private dumps: Promise<unknown> = Promise.resolve();

  private constructor(private readonly t: GenlTransport, readonly familyId: number, opts: ClientOptions) {
    this.batchSize = Math.max(1, opts.batchSize ?? 64);
    this.window = Math.max(1, opts.window ?? 2);
  }

  /** Open a socket and resolve the IPVS family. Throws IpvsUnavailableError when the kernel has no IPVS. */
  static async open(opts: ClientOptions = {}): Promise<IpvsClient> {
    const t = new GenlTransport(opts);
    try {
      const replies = await t.request(familyRequest(IPVS_GENL_NAME));
      const id = replies.length ? decodeFamilyId(replies[0]!) : undefined;
      if (!id) throw new IpvsUnavailableError('the controller returned no family id');
      return new IpvsClient(t, id, opts);
    } catch (e) {
      t.close();
      if (e instanceof KernelError && e.code === 'ENOENT') throw new IpvsUnavailableError();
      throw e;
    }
  }

  close(): void { this.t.close(); }

  private async one<T>(what: { op: string; object: string }, p: Promise<T>): Promise<T> {
    try { return await p; } catch (e) { throw new IpvsError(what, e as Error); }
  }

  private dump(req: GenlRequest): Promise<NlMessage[]> {
    const p = this.dumps.then(() => this.t.request(req));
    this.dumps = p.catch(() => undefined);
    return p;
  }

  async info(): Promise<IpvsInfo> {
    const r = await this.one({ op: 'get-info', object: 'IPVS' }, this.t.request(R.getInfo(this.familyId)));
    return decodeInfo(r[0]!);
  }

  /** Every virtual service with its statistics. */
  async services(): Promise<ServiceInfo[]> {
    const r = await this.one({ op: 'list-services', object: 'all' }, this.dump(R.dumpServices(this.familyId)));
    return r.map(decodeService);
  }

  /** One service, or undefined when the kernel has no such service. */
  async service(key: ServiceKey): Promise<ServiceInfo | undefined> {
    return (await this.lookup([key]))[0];
  }

  /** Several services by key in one sendmsg; undefined for each one the kernel does not have. */
  async lookup(keys: readonly ServiceKey[]): Promise<(ServiceInfo | undefined)[]> {
    const settled = await Promise.allSettled(this.t.send(keys.map((k) => R.getService(this.familyId, k))));
    return settled.map((s, i) => {
      if (s.status === 'fulfilled') return s.value.length ? decodeService(s.value[0]!) : undefined;
      if (s.reason instanceof KernelError && s.reason.code === 'ESRCH') return undefined;
      throw new IpvsError({ op: 'get-service', object: serviceId(keys[i]!) }, s.reason as Error);
    });
  }

  async destinations(key: ServiceKey): Promise<DestinationInfo[]> {
    const r = await this.one({ op: 'list-dests', object: serviceId(key) }, this.dump(R.dumpDests(this.familyId, key)));
    return r.map((m) => decodeDest(m, key.family));
  }

  /**
   * Carry out operations in order, `batchSize` per sendmsg. The kernel handles each
   * message on its own: a failure does not stop the ones after it.
   */
  async apply(ops: readonly Operation[]): Promise<ApplyResult> {
    const result: ApplyResult = { applied: 0, errors: [] };
    const failures: (IpvsError | undefined)[] = new Array(ops.length);
    let next = 0;
    const worker = async () => {
      while (next < ops.length) {
        const from = next;
        const batch = ops.slice(from, (next = Math.min(ops.length, from + this.batchSize)));
        const settled = await Promise.allSettled(this.t.send(batch.map((o) => operationRequest(this.familyId, o))));
        settled.forEach((s, i) => {
          if (s.status === 'fulfilled') result.applied++;
          else failures[from + i] = new IpvsError(batch[i]!, s.reason as Error);
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.window, Math.ceil(ops.length / this.batchSize)) }, worker));
    result.errors = failures.filter((e): e is IpvsError => !!e);
    return result;
  }

  private async applyOne(o: Operation): Promise<void> {
    const r = await this.apply([o]);
    if (r.errors.length) throw r.errors[0]!;
  }

  addService(service: Service): Promise<void> { return this.applyOne({ op: 'add-service', service }); }
  updateService(service: Service): Promise<void> { return this.applyOne({ op: 'update-service', service }); }
  deleteService(key: ServiceKey): Promise<void> { return this.applyOne({ op: 'delete-service', key }); }
  addDestination(key: ServiceKey, dest: Destination): Promise<void> { return this.applyOne({ op: 'add-dest', key, dest }); }
  updateDestination(key: ServiceKey, dest: Destination): Promise<void> { return this.applyOne({ op: 'update-dest', key, dest }); }
  deleteDestination(key: ServiceKey, dest: DestKey): Promise<void> { return this.applyOne({ op: 'delete-dest', key, dest }); }

  async timeouts(): Promise<Timeouts> {
    const r = await this.one({ op: 'get-timeouts', object: 'IPVS' }, this.t.request(R.getConfig(this.familyId)));
    return decodeTimeouts(r[0]!);
  }

  /** Set connection timeouts (seconds); an omitted or 0 value stays as it is. */
  async setTimeouts(t: Partial<Timeouts>): Promise<void> {
    await this.one({ op: 'set-timeouts', object: `tcp ${t.tcp ?? '-'} tcpfin ${t.tcpFin ?? '-'} udp ${t.udp ?? '-'}` }, this.t.request(R.setConfig(this.familyId, t)));
  }

  async syncDaemons(): Promise<SyncDaemon[]> {
    const r = await this.one({ op: 'list-sync-daemons', object: 'all' }, this.dump(R.dumpDaemons(this.familyId)));
    return r.map(decodeDaemon);
  }

  async startSyncDaemon(d: SyncDaemon): Promise<void> {
    await this.one({ op: 'start-sync-daemon', object: `${d.state} on ${d.interface} syncid ${d.syncId}` }, this.t.request(R.newDaemon(this.familyId, d)));
  }

  async stopSyncDaemon(state: SyncDaemon['state']): Promise<void> {
    await this.one({ op: 'stop-sync-daemon', object: state }, this.t.request(R.delDaemon(this.familyId, state)));
  }

  /** Zero the counters of one service, or of all. */
  async zero(key?: ServiceKey): Promise<void> {
    await this.one({ op: 'zero', object: key ? serviceId(key) : 'all' }, this.t.request(R.zero(this.familyId, key)));
  }

  /** Delete every service of every owner. Only for tests and explicit operator commands. */
  async flush(): Promise<void> {
    await this.one({ op: 'flush', object: 'all' }, this.t.request(R.flush(this.familyId)));
  }
}
