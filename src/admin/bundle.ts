/**
 * The support bundle: a .tar.gz with what a support engineer needs to read a
 * problem and nothing that would let them (or whoever the mail is forwarded
 * to) into the appliance: config text and running model with secrets
 * redacted, status, recent logs, system facts, history and audit metadata.
 */
import { createGzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import type { AdminContext } from './context.js';
import { systemInfo } from './system-info.js';
import { redactDeep, redactLogLine, redactYamlText } from './redact.js';

const README = `lb-appliance support bundle

config.yaml          the running config file, secrets replaced by [redacted]
running-config.json  the resolved model lbd runs (defaults filled in), secrets redacted
status.json          the status view (as GET /api/v1/status)
status-sections.json the subsystems' raw status sections, secrets redacted
logs.jsonl           recent log lines (newest last), secrets redacted
system.json          host, OS, kernel, IPVS, interfaces, CPU, memory, disks, lbd
history.json         config revisions: who, when, why (no config text)
audit.jsonl          recent audit entries (changes and logins)
`;

export async function supportBundle(ctx: AdminContext): Promise<{ name: string; stream: Readable }> {
  const d = ctx.daemon;
  const files: [string, string][] = [
    ['README.txt', README],
    ['config.yaml', redactYamlText(d.store.currentText()) ?? '# the config file did not parse as YAML; left out so no secret can leak\n'],
    ['running-config.json', JSON.stringify(redactDeep(d.running ?? null), null, 2)],
    ['status.json', JSON.stringify(ctx.status.view(), null, 2)],
    ['status-sections.json', JSON.stringify(redactDeep(d.status.snapshot()), null, 2)],
    ['logs.jsonl', (ctx.ring?.recent(5000) ?? []).map((l) => JSON.stringify(redactLogLine(l))).join('\n') + '\n'],
    ['system.json', JSON.stringify(await systemInfo(ctx), null, 2)],
    ['history.json', JSON.stringify(d.store.history(), null, 2)],
    ['audit.jsonl', ctx.audit.recent(2000).reverse().map((e) => JSON.stringify(redactDeep(e))).join('\n') + '\n'],
  ];
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const dir = `lbd-support-${(d.running?.global.router_id ?? 'node').replace(/[^A-Za-z0-9_.-]/g, '_')}-${stamp}`;
  const tar = pack();
  for (const [name, body] of files) tar.entry({ name: `${dir}/${name}`, mode: 0o644, mtime: new Date() }, body);
  tar.finalize();
  return { name: `${dir}.tar.gz`, stream: tar.pipe(createGzip()) };
}
