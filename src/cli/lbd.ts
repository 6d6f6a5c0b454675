#!/usr/bin/env node
/** lbd: the appliance service. Foreground, JSON logs on stdout; SIGHUP reloads, SIGTERM/SIGINT stop cleanly. */
import { parseArgs } from 'node:util';
import { createLogger, LogRing } from '../log/logger.js';
import { Daemon } from '../lbd/daemon.js';
import { ConfigError } from '../config/diagnostics.js';
import { buildSubsystems } from '../lbd/subsystems.js';

const USAGE = 'usage: lbd [--config FILE] [--state-dir DIR] [--check]\n' +
  '  --config FILE     appliance YAML/JSON or keepalived.conf (default /etc/lb-appliance/config.yaml)\n' +
  '  --state-dir DIR   config history and runtime state (default /var/lib/lb-appliance)\n' +
  '  --check           validate the config, log the result and exit\n';

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string', default: '/etc/lb-appliance/config.yaml' },
        'state-dir': { type: 'string', default: '/var/lib/lb-appliance' },
        check: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`lbd: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) { process.stdout.write(USAGE); return 0; }

  const ring = new LogRing();
  const log = createLogger({ ring, base: { pid: process.pid, svc: 'lbd' } });
  const daemon = new Daemon({
    configFile: args.config!, stateDir: args['state-dir']!, log, ring,
    subsystems: args.check ? undefined : buildSubsystems,
  });
  try {
    await daemon.start();
  } catch (e) {
    if (e instanceof ConfigError) { log.fatal('invalid config, not starting'); return 1; }
    log.fatal({ err: e }, 'start failed');
    await daemon.stop();
    return 1;
  }
  if (args.check) { log.info('config is valid (--check: exiting)'); return 0; }

  log.info('lbd running');
  return new Promise<number>((resolve) => {
    process.on('SIGHUP', () => { void daemon.reload('SIGHUP'); });
    const stop = (sig: string) => {
      log.info({ signal: sig }, 'stopping');
      daemon.stop().then(() => { log.info('stopped'); resolve(0); }, () => resolve(1));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

main().then((code) => { process.exitCode = code; process.exit(code); });
