/** `lbctl realserver-script --vip ADDR [--vip ADDR...]`: print a real server's LVS-DR set-up script. */
import { parseArgs } from 'node:util';
import { realServerScript } from '../lvs/realserver-script.js';

const USAGE = 'usage: lbctl realserver-script --vip ADDR [--vip ADDR...] > rs.sh; then on each real server: sh rs.sh start|stop|status\n';

export function runRealServerScript(args: string[]): number {
  let vips: string[];
  try {
    vips = parseArgs({ args, options: { vip: { type: 'string', multiple: true } } }).values.vip ?? [];
    process.stdout.write(realServerScript(vips));
    return 0;
  } catch (e) {
    process.stderr.write(`lbctl realserver-script: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
}
