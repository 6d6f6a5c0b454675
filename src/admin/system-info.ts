/**
 * What the System page and the support bundle show about the machine:
 * systeminformation for OS, CPU, memory and disks, node:os for every address
 * of every interface, /proc/net/ip_vs for the kernel's IPVS version, plus
 * what lbd itself knows (its own facts, the firewall sets it keeps). Cached for a few seconds: collecting it runs `df`.
 */
import { readFileSync } from 'node:fs';
import { loadavg, networkInterfaces as osInterfaces } from 'node:os';
import si from 'systeminformation';
import { Type, type Static } from '@sinclair/typebox';
import type { AdminContext } from './context.js';
import { LBD_VERSION } from './version.js';
import { latestRevision } from './status/view.js';
import type { FirewallStatus } from '../firewall/subsystem.js';

const N = Type.Number();
const Nullable = <T extends import('@sinclair/typebox').TSchema>(s: T) => Type.Union([s, Type.Null()]);

export const SystemInfoSchema = Type.Object({
  hostname: Type.String(),
  os: Type.Object({ distro: Type.String(), release: Type.String(), kernel: Type.String(), arch: Type.String() }),
  uptime_s: N,
  cpu: Type.Object({ model: Type.String(), cores: Type.Integer(), load_percent: N, loadavg: Type.Array(N) }),
  memory: Type.Object({ total: N, available: N, used: N }),
  disks: Type.Array(Type.Object({ fs: Type.String(), mount: Type.String(), size: N, used: N, use_percent: N })),
  interfaces: Type.Array(Type.Object({
    name: Type.String(), state: Type.String(), mac: Type.String(), speed_mbps: Nullable(N),
    addresses: Type.Array(Type.String({ description: 'ADDRESS/PREFIX' })),
  })),
  ipvs: Type.Object({ available: Type.Boolean(), version: Nullable(Type.String()), table_size: Nullable(Type.Integer()) }),
  firewall: Nullable(Type.Object({
    managed: Type.Boolean({ description: 'lbd keeps the appliance firewall\'s lbd_* sets (false: that firewall is not loaded here)' }),
    vrrp_peers: Type.Integer({ description: 'unicast VRRP peers let in' }),
    services: Type.Integer({ description: 'address . protocol . port entries let in' }),
    error: Nullable(Type.String({ description: 'why the sets are not managed, or the last failure' })),
  }, { description: 'null until the firewall subsystem reports' })),
  lbd: Type.Object({
    version: Type.String(), node_version: Type.String(), pid: Type.Integer(), uptime_s: N,
    config_file: Type.String(), state_dir: Type.String(), config_revision: Nullable(Type.Integer()), subsystems: Type.Array(Type.String()),
  }),
  admin: Type.Object({
    url: Nullable(Type.String({ description: 'web UI address' })),
    tls_fingerprint_sha256: Nullable(Type.String({ description: 'SHA-256 fingerprint of the HTTPS certificate, to verify on first connection' })),
    socket: Nullable(Type.String()),
  }),
});
export type SystemInfo = Static<typeof SystemInfoSchema>;

/** "IP Virtual Server version 1.2.1 (size=4096)" → version and connection table size. */
export function readIpvsVersion(file = '/proc/net/ip_vs'): SystemInfo['ipvs'] {
  try {
    const m = /version (\S+) \(size=(\d+)\)/.exec(readFileSync(file, 'utf8').split('\n')[0] ?? '');
    return { available: true, version: m?.[1] ?? null, table_size: m ? Number(m[2]) : null };
  } catch {
    return { available: false, version: null, table_size: null };
  }
}

let cache: { at: number; value: Promise<Omit<SystemInfo, 'lbd' | 'admin' | 'firewall'>> } | undefined;
const CACHE_MS = 5000;

function machine(): Promise<Omit<SystemInfo, 'lbd' | 'admin' | 'firewall'>> {
  if (cache && Date.now() - cache.at < CACHE_MS) return cache.value;
  const value = (async () => {
    const [os, cpu, load, mem, fs, nics] = await Promise.all([si.osInfo(), si.cpu(), si.currentLoad(), si.mem(), si.fsSize(), si.networkInterfaces()]);
    const addrs = osInterfaces();
    const nicList = Array.isArray(nics) ? nics : [nics];
    return {
      hostname: os.hostname,
      os: { distro: `${os.distro} ${os.release}`.trim(), release: os.release, kernel: os.kernel, arch: os.arch },
      uptime_s: Math.round(si.time().uptime),
      cpu: { model: `${cpu.manufacturer} ${cpu.brand}`.trim(), cores: cpu.cores, load_percent: Math.round(load.currentLoad * 10) / 10, loadavg: loadavg() },
      memory: { total: mem.total, available: mem.available, used: mem.total - mem.available },
      disks: fs.map((d) => ({ fs: d.fs, mount: d.mount, size: d.size, used: d.used, use_percent: d.use ?? 0 })),
      interfaces: nicList.map((n) => ({
        name: n.iface, state: n.operstate, mac: n.mac, speed_mbps: typeof n.speed === 'number' && n.speed > 0 ? n.speed : null,
        addresses: (addrs[n.iface] ?? []).map((a) => a.cidr ?? a.address),
      })),
      ipvs: readIpvsVersion(),
    };
  })();
  cache = { at: Date.now(), value };
  value.catch(() => { cache = undefined; });
  return value;
}

export async function systemInfo(ctx: AdminContext): Promise<SystemInfo> {
  const m = await machine();
  const d = ctx.daemon;
  const fw = d.status.get<FirewallStatus>('firewall');
  return {
    ...m,
    firewall: fw ? {
      managed: fw.managed,
      vrrp_peers: (fw.elements.lbd_vrrp_peers4 ?? 0) + (fw.elements.lbd_vrrp_peers6 ?? 0),
      services: (fw.elements.lbd_vip_services4 ?? 0) + (fw.elements.lbd_vip_services6 ?? 0),
      error: fw.error ?? null,
    } : null,
    lbd: {
      version: LBD_VERSION, node_version: process.version, pid: process.pid, uptime_s: Math.round(process.uptime()),
      config_file: d.store.configFile, state_dir: d.opts.stateDir, config_revision: latestRevision(d), subsystems: d.subsystemNames(),
    },
    admin: { url: ctx.endpoint.url ?? null, tls_fingerprint_sha256: ctx.endpoint.fingerprint256 ?? null, socket: ctx.endpoint.socket ?? null },
  };
}
