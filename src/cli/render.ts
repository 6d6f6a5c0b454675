/**
 * `lbctl render FILE [--out DIR] [--state-dir DIR]`: the haproxy.cfg and/or
 * nginx.conf lbd would run for a config, printed or written into DIR, for
 * inspection and for `haproxy -c -f` / `nginx -t -c`. Paths inside (sockets,
 * pid files) are those of an lbd using the same --state-dir.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load.js';
import { errorsOf, formatDiagnostic } from '../config/diagnostics.js';
import { proxyPaths } from '../proxy/paths.js';
import { renderProxyConfigs } from '../proxy/render.js';
import { atomicWriteFileSync } from '../util/atomic-write.js';

const USAGE = 'usage: lbctl render FILE [--out DIR] [--state-dir DIR]\n';
export const DEFAULT_STATE_DIR = '/var/lib/lb-appliance';

export function runRender(args: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' }, 'state-dir': { type: 'string', default: DEFAULT_STATE_DIR } } });
  } catch (e) {
    process.stderr.write(`lbctl render: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.positionals.length !== 1) { process.stderr.write(USAGE); return 2; }
  const file = parsed.positionals[0]!;
  const r = loadConfigFile(file);
  const errors = errorsOf(r.diagnostics);
  for (const d of errors) process.stderr.write(formatDiagnostic(d, file) + '\n');
  if (errors.length || !r.config) { process.stderr.write(`${file}: ${errors.length} error(s); nothing rendered\n`); return 1; }

  const rendered = renderProxyConfigs(r.config.l7, proxyPaths(parsed.values['state-dir']!));
  const files = [['haproxy.cfg', rendered.haproxy], ['nginx.conf', rendered.nginx]] as const;
  const present = files.filter(([, c]) => c !== undefined);
  if (!present.length) { process.stderr.write(`${file}: no l7 frontends, nothing to render\n`); return 0; }
  const out = parsed.values.out;
  if (out) mkdirSync(out, { recursive: true });
  for (const [name, c] of present) {
    if (out) {
      // 0600: the stats password may be inside.
      atomicWriteFileSync(join(out, name), c!.text, 0o600);
      process.stdout.write(`wrote ${join(out, name)}\n`);
    } else {
      process.stdout.write(`${present.length > 1 ? `# ==> ${name} <==\n` : ''}${c!.text}`);
    }
  }
  return 0;
}
