#!/usr/bin/env node
/** lbctl: the appliance's command-line tool. Each verb lives in its own module. */
interface Verb { summary: string; run: (args: string[]) => number | Promise<number> }

/** Each verb's module loads only when used: `lbctl ipvs` must not pay for compiling the config schema. */
const verbs: Record<string, Verb> = {
  check: { summary: 'check FILE                          validate an appliance YAML or a keepalived.conf', run: async (a) => (await import('./check.js')).runCheck(a) },
  import: { summary: 'import keepalived FILE [-o OUT]     convert a keepalived.conf to appliance YAML', run: async (a) => (await import('./import.js')).runImport(a) },
  render: { summary: 'render FILE [--out DIR]             the haproxy.cfg / nginx.conf lbd would run for FILE', run: async (a) => (await import('./render.js')).runRender(a) },
  ipvs: { summary: 'ipvs list|info|add|del ...          the kernel\'s IPVS table by hand (lbctl ipvs -h)', run: async (a) => (await import('./ipvs.js')).runIpvs(a) },
  'realserver-script': { summary: 'realserver-script --vip ADDR        print a real server\'s LVS-DR set-up script', run: async (a) => (await import('./realserver-script.js')).runRealServerScript(a) },
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
