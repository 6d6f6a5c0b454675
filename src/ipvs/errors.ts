/** Typed failures: the kernel's errno with the operation and object it concerns. */
import { getSystemErrorName } from 'node:util';
import type { Operation } from './types.js';
import { describeOperation } from './format.js';

function errnoName(errno: number): string {
  try { return getSystemErrorName(-errno); } catch { return `errno ${errno}`; }
}

/** A netlink request the kernel answered with a negative errno. */
export class KernelError extends Error {
  readonly code: string;
  constructor(readonly errno: number) {
    const code = errnoName(errno);
    super(`kernel returned ${code}`);
    this.name = 'KernelError';
    this.code = code;
  }
}

/** The socket failed (send error, receive overflow, timeout): the outcome of the requests is unknown. */
export class TransportError extends Error {
  constructor(message: string, readonly errno: number) {
    super(message);
    this.name = 'TransportError';
  }
}

/** The kernel has no IPVS: the generic netlink family "IPVS" does not exist. */
export class IpvsUnavailableError extends Error {
  constructor(detail = '') {
    super('IPVS is not available in this kernel: the generic netlink family "IPVS" does not exist ' +
      '(load the ip_vs module, or use a kernel built with CONFIG_IP_VS)' + (detail ? `: ${detail}` : ''));
    this.name = 'IpvsUnavailableError';
    // A fact about the machine, not a bug: one line wherever it is printed or logged.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** What an errno means for each kind of IPVS operation (from net/netfilter/ipvs/ip_vs_ctl.c). */
function meaning(op: Operation['op'] | string, code: string, scheduler?: string): string | undefined {
  switch (code) {
    case 'EEXIST': return op === 'add-service' ? 'the virtual service already exists' : 'the destination already exists';
    case 'ESRCH': return 'no such virtual service';
    case 'ENOENT':
      if (op === 'add-service' || op === 'update-service') return `scheduler "${scheduler}" or persistence engine not available in this kernel`;
      return op.endsWith('-dest') ? 'no such destination' : undefined;
    case 'EPERM': return 'permission denied (needs CAP_NET_ADMIN)';
    case 'EINVAL': return 'the kernel rejected the values';
    case 'ERANGE': return 'weight or thresholds out of range (the lower threshold must not exceed the upper)';
    case 'EAFNOSUPPORT': return 'address family not supported (IPv6 needs CONFIG_IP_VS_IPV6; mixed families need tunnelling)';
    default: return undefined;
  }
}

/** One IPVS operation failed: the errno, the operation and the object, in the message and as fields. */
export class IpvsError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly object: string;
  constructor(readonly operation: Operation | { op: string; object: string }, cause: Error) {
    const object = 'object' in operation ? operation.object : describeOperation(operation).replace(/^\S+ /, '');
    // TypeError: a value the client refused to encode (the kernel would answer EINVAL).
    const code = cause instanceof KernelError ? cause.code : cause instanceof TypeError ? 'EINVAL' : 'ETRANSPORT';
    const sched = 'service' in operation ? operation.service.scheduler : undefined;
    const why = cause instanceof KernelError ? meaning(operation.op, code, sched) : undefined;
    super(`${operation.op} ${object}: ${why ? `${why} (${code})` : cause.message}`, { cause });
    this.name = 'IpvsError';
    this.errno = cause instanceof KernelError || cause instanceof TransportError ? cause.errno : 22;
    this.code = code;
    this.object = object;
  }
}
