/** Reboot and power-off of the node, through systemd (which stops lbd cleanly on the way). */
import { runCommand } from '../util/command.js';

export const POWER_ACTIONS = ['reboot', 'poweroff'] as const;
export type PowerAction = (typeof POWER_ACTIONS)[number];

/** Ask systemd to reboot or power off; resolves once the job is queued (lbd is stopped by it shortly after). */
export async function requestPower(action: PowerAction): Promise<void> {
  const r = await runCommand('systemctl', { args: [action], timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`systemctl ${action} failed: ${r.error ?? (r.stderr.trim() || `exit ${r.code}`)}`);
}
