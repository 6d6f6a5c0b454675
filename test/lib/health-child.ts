/**
 * Runs the real HealthSubsystem inside a network namespace for netns tests
 * (`ip netns exec NS node health-child.js STATE_DIR`). Commands arrive as JSON
 * lines on stdin ({id, cmd, ...}); stdout carries pino log lines, replies
 * ({ev: 'reply', id, result | error}) and every pool change
 * ({ev: 'change', vs, t, dests}) as the LVS subsystem would see it.
 */
import { createInterface } from 'node:readline';
import { HealthSubsystem } from '../../src/health/health-subsystem.js';
import { StatusHub } from '../../src/status/hub.js';
import { createLogger } from '../../src/log/logger.js';
import { diffConfig } from '../../src/config/diff.js';
import { endpointKey } from '../../src/config/resolve.js';
import type { Config } from '../../src/config/model.js';
import { mustConfig } from './config.js';

const out = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');
const stateDir = process.argv[2]!;
const health = new HealthSubsystem(
  { log: createLogger({ level: 'debug', stream: process.stdout }), status: new StatusHub(), stateDir },
  { statusIntervalMs: 200 },
);
let config: Config | undefined;

const destsOf = (name: string) => {
  const vs = config!.virtual_servers.find((v) => v.name === name)!;
  return health.destinations(vs).map((d) => `${endpointKey(d.address, d.port)}=${d.weight}`);
};
const allDests = () => Object.fromEntries(config!.virtual_servers.map((v) => [v.name, destsOf(v.name)]));
health.on('change', (vs) => out({ ev: 'change', vs, t: Date.now(), dests: destsOf(vs) }));

type Msg = { id: number; cmd: string; config?: unknown; op?: string; args?: unknown[] };
async function handle(m: Msg): Promise<unknown> {
  switch (m.cmd) {
    case 'start': config = mustConfig(m.config); await health.start(config); return allDests();
    case 'reload': {
      const next = mustConfig(m.config);
      await health.reload(next, diffConfig(config!, next));
      config = next;
      return allDests();
    }
    case 'op': return (health as unknown as Record<string, (...a: unknown[]) => unknown>)[m.op!]!.apply(health, m.args ?? []);
    case 'status': return health.status();
    case 'dests': return allDests();
    case 'stop': await health.stop(); return null;
    default: throw new Error(`unknown command ${m.cmd}`);
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line) as Msg;
  handle(m).then((result) => out({ ev: 'reply', id: m.id, result }), (e: Error) => out({ ev: 'reply', id: m.id, error: e.message }))
    .finally(() => { if (m.cmd === 'stop') process.exit(0); });
});
out({ ev: 'ready' });
