/**
 * lbd's checker on its own, for health-checks.bench.ts (the counterpart of
 * `keepalived -C`): `node health-checks-worker.js CONFIG.json STATE_DIR`.
 * Runs the health subsystem on the config with lbd's normal logging (JSON lines
 * on stdout, which the benchmark reads for transitions) and status publishing.
 */
import { readFileSync } from 'node:fs';
import { validateRaw } from '../src/config/load.js';
import { HealthSubsystem } from '../src/health/health-subsystem.js';
import { createLogger } from '../src/log/logger.js';
import { StatusHub } from '../src/status/hub.js';

const [configFile, stateDir] = process.argv.slice(2);
const { config, diagnostics } = validateRaw(JSON.parse(readFileSync(configFile!, 'utf8')));
if (!config) {
  process.stderr.write(`invalid config: ${JSON.stringify(diagnostics.slice(0, 3))}\n`);
  process.exit(2);
}
const health = new HealthSubsystem({ log: createLogger({ level: 'info' }), status: new StatusHub(), stateDir: stateDir! });
await health.start(config);
process.on('SIGTERM', () => { void health.stop().then(() => process.exit(0)); });
