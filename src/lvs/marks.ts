/**
 * fwmark virtual servers' marking rules in lbd's own nftables table, `table inet lbd`:
 * packets to the VIP and ports get the service's mark in prerouting (mangle priority), as
 * the classic `iptables -t mangle -A PREROUTING -d VIP -p tcp -m multiport --dports 80,443
 * -j MARK --set-mark N` does. The whole table is replaced in one `nft -f` transaction, and
 * no other table is ever named.
 */
import type { VirtualServer } from '../config/model.js';

export const MARK_TABLE = 'inet lbd';

/** A comment nft accepts: no quotes or control characters, at most 128 bytes. */
const comment = (s: string) => s.replace(/[^\w .:/@+=,-]/g, '_').slice(0, 120);

/** The rules, one per mark_rule, in config order. */
export function markRules(vss: readonly VirtualServer[]): string[] {
  const rules: string[] = [];
  for (const vs of vss) {
    const fw = vs.endpoints.find((e) => e.kind === 'fwmark');
    if (!fw || fw.kind !== 'fwmark') continue; // mark_rules need a fwmark (semantic validation)
    for (const r of vs.mark_rules) {
      const dst = `${r.family === 4 ? 'ip' : 'ip6'} daddr ${r.address}${r.prefix === (r.family === 4 ? 32 : 128) ? '' : `/${r.prefix}`}`;
      const l4 = r.ports.length ? `${r.protocol} dport ${r.ports.length === 1 ? r.ports[0] : `{ ${r.ports.join(', ')} }`}` : `meta l4proto ${r.protocol}`;
      rules.push(`${dst} ${l4} counter meta mark set ${fw.fwmark} comment "${comment(vs.name)}"`);
    }
  }
  return rules;
}

/**
 * An `nft -f` script that replaces the table atomically: declaring it first makes the
 * delete valid when the table does not exist yet. No rules: the table is only removed.
 */
export function markScript(rules: readonly string[]): string {
  const head = `table ${MARK_TABLE}\ndelete table ${MARK_TABLE}\n`;
  if (!rules.length) return head;
  return `${head}table ${MARK_TABLE} {\n\tchain prerouting {\n\t\ttype filter hook prerouting priority mangle; policy accept;\n` +
    rules.map((r) => `\t\t${r}\n`).join('') + '\t}\n}\n';
}
