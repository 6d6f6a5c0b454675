/**
 * `lbctl ipvs`: the kernel's IPVS table by hand, through the same netlink client lbd uses.
 * For debugging: lbd removes what it did not expect only in services it owns, so a service
 * added here survives lbd (and one of lbd's changed here is corrected at its next apply).
 */
import { parseArgs } from 'node:util';
import {
  IpvsClient, SVC_F, destId, parseDestKey, parseServiceKey, serviceId,
  type DestinationInfo, type ForwardMethod, type ServiceInfo,
} from '../ipvs/index.js';

const USAGE = `usage:
  lbctl ipvs list [--json]                   services and destinations with counters and rates
  lbctl ipvs info                            IPVS version, connection table size, timeouts
  lbctl ipvs add SERVICE [-s SCHED] [-p SECONDS] [-M PREFIX] [--ops]
  lbctl ipvs add SERVICE DEST [-m dr|nat|tun] [-w WEIGHT] [-x UPPER] [-y LOWER]
  lbctl ipvs del SERVICE [DEST]
SERVICE: tcp|udp|sctp:ADDRESS:PORT ([IPv6]:PORT) or fwmark:MARK / fwmark6:MARK
DEST:    ADDRESS:PORT ([IPv6]:PORT; port 0 for fwmark services)
`;

class UsageError extends Error {}

const num = (v: string | undefined, what: string, dflt: number): number => {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new UsageError(`${what}: "${v}" is not a number`);
  return Number(v);
};

export async function runIpvs(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        scheduler: { type: 'string', short: 's' }, persistent: { type: 'string', short: 'p' }, netmask: { type: 'string', short: 'M' },
        ops: { type: 'boolean' },
        method: { type: 'string', short: 'm' }, weight: { type: 'string', short: 'w' }, upper: { type: 'string', short: 'x' }, lower: { type: 'string', short: 'y' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`lbctl ipvs: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: o, positionals: [verb, ...rest] } = parsed;
  if (o.help) { process.stdout.write(USAGE); return 0; }
  let client: IpvsClient | undefined;
  try {
    const check = (n: number) => { if (rest.length > n) throw new UsageError(`unexpected "${rest[n]}"`); };
    switch (verb) {
      case 'list': {
        check(0);
        client = await IpvsClient.open();
        const services = await client.services();
        const rows = [];
        for (const s of services) rows.push({ service: s, destinations: await client.destinations(s.key) });
        process.stdout.write(o.json ? JSON.stringify(rows, null, 2) + '\n' : formatTable(rows));
        return 0;
      }
      case 'info': {
        check(0);
        client = await IpvsClient.open();
        const [info, t] = [await client.info(), await client.timeouts()];
        process.stdout.write(`IPVS ${info.version}, connection table size ${info.connTableSize}\ntimeouts: tcp ${t.tcp} s, tcpfin ${t.tcpFin} s, udp ${t.udp} s\n`);
        return 0;
      }
      case 'add': {
        if (!rest[0]) throw new UsageError('add needs a SERVICE');
        check(2);
        const key = parseServiceKey(rest[0]);
        if (rest[1]) {
          const dest = parseDestKey(rest[1]);
          const method = (o.method ?? 'dr') as ForwardMethod;
          if (!['dr', 'nat', 'tun'].includes(method)) throw new UsageError(`-m ${method}: use dr, nat or tun`);
          client = await IpvsClient.open();
          await client.addDestination(key, {
            ...dest, forward: method, weight: num(o.weight, '-w', 1), upperThreshold: num(o.upper, '-x', 0), lowerThreshold: num(o.lower, '-y', 0),
          });
          process.stdout.write(`added ${destId(dest)} to ${serviceId(key)}\n`);
        } else {
          const timeout = num(o.persistent, '-p', 0);
          client = await IpvsClient.open();
          await client.addService({
            key, scheduler: o.scheduler ?? 'wlc',
            flags: (timeout ? SVC_F.PERSISTENT : 0) | (o.ops ? SVC_F.ONEPACKET : 0),
            timeout, netmask: num(o.netmask, '-M', key.family === 4 ? 32 : 128),
          });
          process.stdout.write(`added ${serviceId(key)}\n`);
        }
        return 0;
      }
      case 'del': {
        if (!rest[0]) throw new UsageError('del needs a SERVICE');
        check(2);
        const key = parseServiceKey(rest[0]);
        const dest = rest[1] ? parseDestKey(rest[1]) : undefined;
        client = await IpvsClient.open();
        if (dest) await client.deleteDestination(key, dest); else await client.deleteService(key);
        process.stdout.write(`deleted ${dest ? `${destId(dest)} from ` : ''}${serviceId(key)}\n`);
        return 0;
      }
      default:
        throw new UsageError(verb ? `unknown command "${verb}"` : 'a command is needed');
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof TypeError) {
      process.stderr.write(`lbctl ipvs: ${e.message}\n${USAGE}`);
      return 2;
    }
    process.stderr.write(`lbctl ipvs: ${(e as Error).message}\n`);
    return 1;
  } finally {
    client?.close();
  }
}

function flagNames(s: ServiceInfo): string {
  const f: string[] = [];
  if (s.flags & SVC_F.PERSISTENT) f.push(`persistent ${s.timeout}s /${s.netmask}`);
  if (s.flags & SVC_F.ONEPACKET) f.push('ops');
  if (s.flags & SVC_F.SCHED1) f.push('flag-1');
  if (s.flags & SVC_F.SCHED2) f.push('flag-2');
  if (s.flags & SVC_F.SCHED3) f.push('flag-3');
  if (s.pe) f.push(`pe ${s.pe}`);
  return f.join(', ');
}

function formatTable(rows: { service: ServiceInfo; destinations: DestinationInfo[] }[]): string {
  const head = ['SERVICE / -> DESTINATION', 'SCHED/FWD', 'WEIGHT', 'ACTIVE', 'INACTIVE', 'CONNS', 'INPKTS', 'OUTPKTS', 'CPS', 'FLAGS'];
  const lines: string[][] = [head];
  for (const { service: s, destinations } of rows) {
    lines.push([serviceId(s.key), s.scheduler, '', '', '', String(s.stats.conns), String(s.stats.inPackets), String(s.stats.outPackets), String(s.stats.cps), flagNames(s)]);
    for (const d of destinations) {
      lines.push([`  -> ${destId(d)}`, d.forward, String(d.weight), String(d.activeConns), String(d.inactiveConns),
        String(d.stats.conns), String(d.stats.inPackets), String(d.stats.outPackets), String(d.stats.cps), d.tunnel ? `tunnel ${d.tunnel.type}` : '']);
    }
  }
  const widths = head.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}
