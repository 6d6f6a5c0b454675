#!/usr/bin/env node
/** lbctl: the appliance's command-line tool. Each verb lives in its own module. */
import { runCheck } from './check.js';
import { runImport } from './import.js';
import { runRender } from './render.js';

interface Verb { summary: string; run: (args: string[]) => number | Promise<number> }

const verbs: Record<string, Verb> = {
  check: { summary: 'check FILE                          validate an appliance YAML or a keepalived.conf', run: runCheck },
  import: { summary: 'import keepalived FILE [-o OUT]     convert a keepalived.conf to appliance YAML', run: runImport },
  console: { summary: 'console [--socket PATH] [--ascii]   the text console (the admin user\'s login program)', run: async (a) => (await import('../console/main.js')).consoleVerb(a) },
  render: { summary: 'render FILE [--out DIR]             the haproxy.cfg / nginx.conf lbd would run for FILE', run: runRender },
};

function usage(): string {
  return 'usage: lbctl VERB [ARGS]\n\n' + Object.values(verbs).map((v) => `  lbctl ${v.summary}`).join('\n') + '\n';
}

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === '-h' || verb === '--help' || verb === 'help') {
    process.stdout.write(usage());
    return verb ? 0 : 2;
  }
  const v = verbs[verb];
  if (!v) {
    process.stderr.write(`lbctl: unknown verb "${verb}"\n${usage()}`);
    return 2;
  }
  return v.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => { process.stderr.write(`lbctl: ${(e as Error).message}\n`); process.exitCode = 1; },
);
