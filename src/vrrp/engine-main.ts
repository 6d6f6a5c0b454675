/**
 * The VRRP engine process, forked and supervised by VrrpSubsystem. It raises
 * its own scheduling priority (nice, optionally SCHED_RR with an RLIMIT_RTTIME
 * safety net), then runs the engine on commands from lbd over IPC. If lbd goes
 * away, or a signal arrives, it stops cleanly: priority 0 adverts, VIPs removed.
 */
import { setPriority } from 'node:os';
import { pino } from 'pino';
import { lbnet } from '../net/native.js';
import { REDACT_PATHS } from '../log/logger.js';
import type { Config } from '../config/model.js';
import { VrrpEngine } from './engine.js';
import type { FromEngine, ToEngine } from './ipc.js';
import type { VrrpEngineStatus } from './status.js';

const send = (m: FromEngine) => { if (process.connected) process.send!(m); };

const log = pino({
  level: 'debug',
  base: undefined,
  redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  formatters: { level: (label) => ({ level: label }) },
}, { write: (line: string) => send({ t: 'log', line }) });

function schedule(s: Config['global']['vrrp_scheduling']): string {
  const parts: string[] = [];
  try { setPriority(s.nice); parts.push(`nice ${s.nice}`); } catch (e) { log.warn(`cannot set nice ${s.nice}: ${(e as Error).message}`); }
  if (s.rt_priority) {
    try { lbnet.setRealtime(s.rt_priority, s.rlimit_rtime_us); parts.push(`SCHED_RR ${s.rt_priority}`); } catch (e) {
      log.warn(`cannot use realtime scheduling: ${(e as Error).message}`);
    }
  }
  return parts.join(', ') || 'default';
}

let engine: VrrpEngine | undefined;
let stopping: Promise<void> | undefined;

function stop(reason: string, code = 0): void {
  stopping ??= (async () => {
    try { await engine?.stop(reason); } catch (e) { log.error({ err: (e as Error).message }, 'engine stop failed'); code = 1; }
    send({ t: 'stopped' });
    // Let the last messages reach lbd before exiting.
    setTimeout(() => process.exit(code), 50);
  })();
}

process.on('message', (m: ToEngine) => {
  switch (m.t) {
    case 'start': {
      const opts = { log, stateDir: process.env.LBD_STATE_DIR ?? '.', scheduling: 'default', onStatus: (status: VrrpEngineStatus) => send({ t: 'status', status }) };
      engine = new VrrpEngine(opts);
      // Realtime only once started: opening sockets and loading code is one long CPU burst that
      // RLIMIT_RTTIME would punish on a slow (emulated) machine, and it needs no precise timing.
      engine.start(m.config, m.maintenance, m.external).then(() => {
        opts.scheduling = schedule(m.config.global.vrrp_scheduling);
        send({ t: 'started' });
      }, (e: Error) => { send({ t: 'failed', op: 'start', error: e.message }); stop('start failed', 1); });
      break;
    }
    case 'reload':
      engine?.reload(m.config).then(() => send({ t: 'reloaded' }), (e: Error) => send({ t: 'failed', op: 'reload', error: e.message }));
      break;
    case 'maintenance': engine?.setMaintenance(m.on); break;
    case 'tracker': engine?.setExternalTracker(m.name, m.ok); break;
    case 'stop': stop(m.reason); break;
  }
});

process.on('disconnect', () => stop('lbd went away'));
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => stop(`signal ${sig}`));
// A hangup of lbd's terminal reaches the whole process group: lbd reloads, the engine carries on.
process.on('SIGHUP', () => undefined);
process.on('uncaughtException', (e) => {
  log.fatal({ err: e.stack ?? e.message }, 'VRRP engine crashed');
  // lbd removes our VIPs and starts a new engine; do not trust this process's state any further.
  setTimeout(() => process.exit(70), 50);
});
