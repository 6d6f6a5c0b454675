/** `lbctl import keepalived FILE [-o OUT.yaml]`: convert a keepalived.conf to the appliance YAML. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { importKeepalived } from '../keepalived/import.js';
import { validateRaw } from '../config/load.js';
import { errorsOf, formatDiagnostic, warningsOf } from '../config/diagnostics.js';
import { atomicWriteFileSync } from '../util/atomic-write.js';

/** The YAML for an imported config, with a header naming its source. */
export function toYaml(raw: unknown, source: string): string {
  return `# Imported from ${basename(source)} by "lbctl import keepalived".\n` +
    '# Check it with "lbctl check", then run lbd on it.\n' +
    stringify(raw, { lineWidth: 0, aliasDuplicateObjects: false });
}

export function runImport(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { output: { type: 'string', short: 'o' } } });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\nusage: lbctl import keepalived FILE [-o OUT.yaml]\n`);
    return 2;
  }
  const [kind, file] = parsed.positionals;
  if (kind !== 'keepalived' || !file || parsed.positionals.length !== 2) {
    process.stderr.write('usage: lbctl import keepalived FILE [-o OUT.yaml]\n');
    return 2;
  }
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) {
    process.stderr.write(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 1;
  }
  const imp = importKeepalived(text, file);
  const v = imp.raw && !errorsOf(imp.diagnostics).length ? validateRaw(imp.raw) : { diagnostics: [] };
  const all = [...imp.diagnostics, ...v.diagnostics.map((d) => imp.place(d))];
  for (const d of warningsOf(all)) process.stderr.write(formatDiagnostic(d, file) + '\n');
  const errors = errorsOf(all);
  for (const d of errors) process.stderr.write(formatDiagnostic(d, file) + '\n');
  if (errors.length) {
    process.stderr.write(`${file}: ${errors.length} error(s); nothing was written\n`);
    return 1;
  }
  const yaml = toYaml(imp.raw, file);
  if (parsed.values.output) {
    atomicWriteFileSync(parsed.values.output, yaml, 0o600);
    process.stderr.write(`wrote ${parsed.values.output}\n`);
  } else process.stdout.write(yaml);
  return 0;
}
