/**
 * The persisted management network: a systemd-networkd `.network` file (so
 * the settings survive a reboot whoever brings the network up), /etc/hostname
 * and resolv.conf. Rendering and reading only; files are written by network.ts.
 */
import type { NetworkSettings } from './settings.js';

const HEADER = '# Management network of this lb-appliance node, written by lbd (console: Network setup).\n' +
  '# The next setup rewrites it; change it with the console or PUT /api/v1/system/network.\n';

export function renderNetworkFile(s: NetworkSettings): string {
  const lines = [HEADER, '[Match]', `Name=${s.interface}`, '', '[Network]'];
  if (s.mode === 'dhcp') lines.push('DHCP=yes');
  else {
    lines.push('DHCP=no', `Address=${s.address}/${s.prefix}`);
    if (s.gateway) lines.push(`Gateway=${s.gateway}`);
  }
  for (const d of s.dns) lines.push(`DNS=${d}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The settings in a `.network` file written by renderNetworkFile (plus the
 * host name, which lives elsewhere), or null when the file says something
 * else (written by hand or by another tool): then nothing is assumed from it.
 */
export function parseNetworkFile(text: string, hostname: string): NetworkSettings | null {
  let section = '';
  const values = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(\w+)\]$/.exec(line);
    if (sec) { section = sec[1]!; continue; }
    const kv = /^(\w+)\s*=\s*(.*)$/.exec(line);
    if (!kv) return null;
    const key = `${section}.${kv[1]}`;
    values.set(key, [...(values.get(key) ?? []), kv[2]!.trim()]);
  }
  const one = (k: string) => { const v = values.get(k); return v && v.length === 1 ? v[0] : undefined; };
  const iface = one('Match.Name');
  if (!iface || /[\s*?[]/.test(iface)) return null;
  const dns = values.get('Network.DNS') ?? [];
  const dhcp = one('Network.DHCP');
  if (dhcp === 'yes' || dhcp === 'ipv4' || dhcp === 'true') return { interface: iface, mode: 'dhcp', dns, hostname };
  const addr = one('Network.Address');
  const m = addr ? /^([^/]+)\/(\d{1,3})$/.exec(addr) : null;
  if (!m) return null;
  const gateway = one('Network.Gateway');
  return { interface: iface, mode: 'static', address: m[1]!, prefix: Number(m[2]), ...(gateway ? { gateway } : {}), dns, hostname };
}

/**
 * resolv.conf with `dns` as its name servers: the other lines (search,
 * options, comments) are kept, the old nameserver lines replaced in place.
 */
export function renderResolvConf(previous: string, dns: string[]): string {
  const kept = previous.split('\n').filter((l) => !/^\s*nameserver\s/.test(l));
  while (kept.length && kept.at(-1) === '') kept.pop();
  const ns = dns.map((d) => `nameserver ${d}`);
  return `${[...kept, ...ns].join('\n')}\n`;
}

export function parseResolvConf(text: string): string[] {
  return text.split('\n').map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((x): x is string => !!x);
}
