#!/usr/bin/env node
/** lbd: the appliance service. Foreground, JSON logs on stdout; SIGHUP reloads, SIGTERM/SIGINT stop cleanly. */
import { parseArgs } from 'node:util';
import { createLogger, LogRing, type Logger } from '../log/logger.js';
import { loadConfigFile } from '../config/load.js';
import { Daemon } from '../lbd/daemon.js';
import { ConfigError, formatDiagnostic } from '../config/diagnostics.js';
import { buildSubsystems } from '../lbd/subsystems.js';
import { parseListen } from '../admin/listen.js';
import { ServiceNotifier } from '../lbd/service-notify.js';
import type { Config } from '../config/model.js';

const USAGE = 'usage: lbd [--config FILE] [--state-dir DIR] [--admin-listen ADDR:PORT] [--admin-socket PATH] [--firewall-dir DIR] [--check]\n' +
  '  --config FILE     appliance YAML/JSON or keepalived.conf (default /etc/lb-appliance/config.yaml)\n' +
  '  --state-dir DIR   config history and runtime state (default /var/lib/lb-appliance)\n' +
  '  --admin-listen [http://|https://]ADDR:PORT\n' +
  '                    web admin UI/API address, overriding global.admin.listen (HTTPS unless http:// on loopback)\n' +
  '  --admin-socket PATH  local API socket for the console (default STATE_DIR/lbd.sock)\n' +
  '  --firewall-dir DIR  where the appliance firewall includes lbd.elements.nft from (default /etc/lb-appliance/firewall.d)\n' +
  '  --check           validate the config, log the result and exit\n';

/** The one-line STATUS= systemctl shows. */
const statusLine = (c: Config | undefined) => c
  ? `running: ${c.vrrp_instances.length} VRRP instance(s), ${c.virtual_servers.length} virtual server(s), ${c.l7.frontends.length} L7 frontend(s)`
  : 'running';

/** --check: validate and log, touching no state. */
function checkOnly(file: string, log: Logger): boolean {
  const r = loadConfigFile(file);
  for (const d of r.diagnostics) log[d.severity === 'error' ? 'error' : 'warn']({ file: d.file, line: d.line }, formatDiagnostic(d, file));
  if (!r.config) { log.fatal('invalid config'); return false; }
  log.info({ file, format: r.format }, 'config is valid');
  return true;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string', default: '/etc/lb-appliance/config.yaml' },
        'state-dir': { type: 'string', default: '/var/lib/lb-appliance' },
        'admin-listen': { type: 'string' },
        'admin-socket': { type: 'string' },
        'firewall-dir': { type: 'string' },
        check: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`lbd: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) { process.stdout.write(USAGE); return 0; }
  if (args['admin-listen'] !== undefined) {
    try { parseListen(args['admin-listen'], true); } catch (e) { process.stderr.write(`lbd: --admin-listen: ${(e as Error).message}\n${USAGE}`); return 2; }
  }

  // A log reader that goes away (a closed pipe) must not take the service down; the ring keeps the lines.
  process.stdout.on('error', () => undefined);
  const ring = new LogRing();
  const log = createLogger({ ring, base: { pid: process.pid, svc: 'lbd' } });
  if (args.check) return checkOnly(args.config!, log) ? 0 : 1;
  const daemon = new Daemon({
    configFile: args.config!, stateDir: args['state-dir']!, log, ring,
    admin: { listen: args['admin-listen'], socket: args['admin-socket'] },
    firewallDir: args['firewall-dir'],
    subsystems: buildSubsystems,
  });
  // Signals are handled from the first moment: the daemon runs operations one at a time, so a
  // SIGHUP or SIGTERM that arrives while subsystems are still starting waits for the start to end
  // instead of killing a half-started lbd (and orphaning its proxies or VIPs).
  // A service lives until told to stop, even when no subsystem holds the event loop open.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let stopping = false;
  const service = new ServiceNotifier(log);
  process.on('SIGHUP', () => {
    service.reloading();
    void daemon.reload('SIGHUP').then((applied) => {
      service.ready(applied ? statusLine(daemon.running) : `${statusLine(daemon.running)}; last reload refused (see the log)`);
    });
  });
  const stopped = new Promise<number>((resolve) => {
    const stop = (sig: string) => {
      stopping = true;
      service.stopping();
      log.info({ signal: sig }, 'stopping');
      clearInterval(keepAlive);
      daemon.stop().then(() => { log.info('stopped'); resolve(0); }, () => resolve(1));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  try {
    await daemon.start();
  } catch (e) {
    if (e instanceof ConfigError) { log.fatal('invalid config, not starting'); return 1; }
    log.fatal({ err: e }, 'start failed');
    await daemon.stop();
    return 1;
  }
  if (!stopping) {
    log.info('lbd running');
    service.ready(statusLine(daemon.running));
  }
  return stopped;
}

main().then((code) => { process.exitCode = code; process.exit(code); });
