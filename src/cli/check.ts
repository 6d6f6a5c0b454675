/** `lbctl check FILE`: validate an appliance YAML/JSON or a keepalived.conf (detected by content). */
import { loadConfigFile } from '../config/load.js';
import { errorsOf, formatDiagnostic, warningsOf } from '../config/diagnostics.js';

export function runCheck(args: string[]): number {
  if (args.length !== 1 || args[0]!.startsWith('-')) {
    process.stderr.write('usage: lbctl check FILE\n');
    return 2;
  }
  const file = args[0]!;
  const r = loadConfigFile(file);
  for (const d of warningsOf(r.diagnostics)) process.stderr.write(formatDiagnostic(d, file) + '\n');
  const errors = errorsOf(r.diagnostics);
  for (const d of errors) process.stderr.write(formatDiagnostic(d, file) + '\n');
  if (errors.length || !r.config) {
    process.stderr.write(`${file}: ${errors.length} error(s); the config is not valid\n`);
    return 1;
  }
  const c = r.config;
  process.stdout.write(
    `${file}: valid ${r.format === 'keepalived' ? 'keepalived.conf' : 'config'} ` +
      `(${c.vrrp_instances.length} VRRP instance(s), ${c.virtual_servers.length} virtual server(s), ` +
      `${c.l7.frontends.length} L7 frontend(s), ${warningsOf(r.diagnostics).length} warning(s))\n`,
  );
  return 0;
}
