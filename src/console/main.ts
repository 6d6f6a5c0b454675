/**
 * `lbctl console`: the appliance's text console, the login program of its
 * `admin` user. It needs a terminal, talks to lbd only over the admin API on
 * lbd's Unix socket, and cannot be left for a shell: Ctrl-C cancels, Ctrl-Z
 * and Ctrl-\ do nothing, leaving the console logs out.
 */
import { parseArgs } from 'node:util';
import { ApiClient, DEFAULT_SOCKET } from './api.js';
import { App } from './ui/app.js';
import { Screen } from './term/screen.js';
import { Terminal, detectCaps } from './term/terminal.js';
import { StatusModel } from './status-model.js';
import { FirstBoot, MainMenu } from './screens/main-menu.js';
import type { NetworkState } from '../host/network.js';

const USAGE = 'usage: lbctl console [--socket PATH] [--ascii] [--no-color]\n' +
  `  --socket PATH  lbd's local API socket (default ${DEFAULT_SOCKET})\n` +
  '  --ascii        7-bit ASCII only (automatic for vt100/vt220 and non-UTF-8 locales)\n' +
  '  --no-color     no colours (automatic for vt100/vt220, or with NO_COLOR set)\n';

/** Offer the first-boot setup when the node has neither saved network settings nor a web account. */
async function firstBoot(app: App): Promise<void> {
  try {
    const [net, users] = await Promise.all([app.api.get<NetworkState>('/system/network'), app.api.get<unknown[]>('/users')]);
    if (!net.persisted && !users.length) app.push(new FirstBoot(app));
  } catch { /* lbd unreachable: the header says so */ }
}

export async function runConsole(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: { socket: { type: 'string' }, ascii: { type: 'boolean' }, 'no-color': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (e) {
    process.stderr.write(`lbctl console: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) { process.stdout.write(USAGE); return 0; }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write('lbctl console: the console needs a terminal (over SSH: ssh -t); nothing else is available for this user\n');
    return 1;
  }
  // Keys that would signal the console in the moments the terminal is not raw (around the editor).
  for (const sig of ['SIGINT', 'SIGQUIT', 'SIGTSTP'] as const) process.on(sig, () => undefined);

  const term = new Terminal(process.stdin, process.stdout);
  await term.start();
  const api = new ApiClient(args.socket ?? DEFAULT_SOCKET);
  const status = new StatusModel(api);
  const app = new App(term, new Screen(detectCaps(process.env, { ascii: args.ascii, noColor: args['no-color'] }), term.cols, term.rows), api, status);
  const end = () => app.quit();
  // The session went away (SSH dropped, serial hang-up): leave quietly.
  process.once('SIGHUP', end);
  process.once('SIGTERM', end);
  process.stdin.once('end', end);
  process.once('uncaughtException', (e) => {
    term.stop();
    process.stderr.write(`lbctl console: internal error: ${e.stack ?? e.message}\n`);
    process.exit(1);
  });

  status.start();
  app.push(new MainMenu(app));
  void firstBoot(app);
  await app.finished;
  status.stop();
  term.stop();
  return 0;
}

/** The lbctl verb: the process ends with the console, whatever handles are still open. */
export async function consoleVerb(argv: string[]): Promise<number> {
  process.exit(await runConsole(argv));
}
