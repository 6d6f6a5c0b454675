/** ipvs-netlink: a typed client for the kernel's IPVS over generic netlink, and a reconciler. */
export { IpvsClient, type ApplyResult, type ClientOptions } from './client.js';
export { Reconciler, planChanges, canonicalKey, sameService, sameDestination, type DesiredService, type ObservedService, type ReconcileResult } from './reconciler.js';
export { IpvsError, IpvsUnavailableError, KernelError, TransportError } from './errors.js';
export { serviceId, destId, parseServiceKey, parseDestKey, parseHostPort, describeOperation } from './format.js';
export { canonicalAddress, familyOf } from './addr.js';
export { SVC_F, TUN_FLAG } from './constants.js';
export type * from './types.js';
