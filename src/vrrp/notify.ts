/**
 * State-change notifications: keepalived's notify hooks and SMTP alerts.
 *
 * Scripts run asynchronously through runCommand (no shell unless needed, killed
 * after NOTIFY_TIMEOUT_MS, processes they leave in the background survive).
 * Per instance or group the hooks run one after another, so a script always
 * sees transitions in the order they happened; nothing here ever blocks the
 * state machine.
 *   notify_master / notify_backup / notify_fault / notify_stop: no arguments;
 *   notify: TYPE NAME STATE PRIORITY (TYPE = INSTANCE | GROUP).
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from '../log/logger.js';
import type { GlobalSettings, Notify } from '../config/model.js';
import { runCommand } from '../util/command.js';

export const NOTIFY_TIMEOUT_MS = 60_000;

export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

export class SmtpAlerter {
  private transport?: Transporter;

  constructor(private readonly global: GlobalSettings, private readonly log: Logger) {
    if (!global.smtp_server || global.notification_email.length === 0) return;
    this.transport = nodemailer.createTransport({
      host: global.smtp_server,
      port: global.smtp_port,
      secure: global.smtp_tls === 'tls',
      requireTLS: global.smtp_tls === 'starttls',
      ignoreTLS: global.smtp_tls === 'none',
      name: global.smtp_helo_name,
      connectionTimeout: global.smtp_connect_timeout * 1000,
      greetingTimeout: global.smtp_connect_timeout * 1000,
      auth: global.smtp_user ? { user: global.smtp_user, pass: global.smtp_password } : undefined,
    });
  }

  get enabled(): boolean { return this.transport !== undefined; }

  /** Send one alert; failures are logged (never the password) and never thrown. */
  async send(subject: string, text: string): Promise<boolean> {
    if (!this.transport) return false;
    const g = this.global;
    try {
      await this.transport.sendMail({
        from: g.notification_email_from ?? `keepalived@${g.router_id}`,
        to: g.notification_email, subject: `[${g.router_id}] ${subject}`, text,
      });
      return true;
    } catch (e) {
      this.log.error({ smtp_server: g.smtp_server, err: (e as Error).message }, 'SMTP alert failed');
      return false;
    }
  }

  close(): void {
    this.transport?.close();
  }
}

const SMTP_TEXT: Record<NotifyState, string> = {
  MASTER: '=> VRRP Instance is now owning VRRP VIPs <=',
  BACKUP: '=> VRRP Instance is nolonger owning VRRP VIPs <=',
  FAULT: '=> VRRP Instance is in FAULT state <=',
  STOP: '=> VRRP Instance stopped <=',
};

export class Notifier {
  private queues = new Map<string, Promise<void>>();

  constructor(private readonly log: Logger, private smtp: SmtpAlerter) {}

  setSmtp(smtp: SmtpAlerter): void {
    this.smtp.close();
    this.smtp = smtp;
  }

  /** Hooks of an instance (type INSTANCE) or sync group (GROUP) entering `state`. */
  notify(type: 'INSTANCE' | 'GROUP', name: string, hooks: Notify, state: NotifyState, priority: number, reason: string): void {
    const specific = { MASTER: hooks.notify_master, BACKUP: hooks.notify_backup, FAULT: hooks.notify_fault, STOP: hooks.notify_stop }[state];
    const jobs: (() => Promise<unknown>)[] = [];
    if (specific) jobs.push(() => this.run(specific, [], name));
    if (hooks.notify) jobs.push(() => this.run(hooks.notify!, [type, name, state, String(priority)], name));
    if (hooks.smtp_alert && this.smtp.enabled) {
      const what = type === 'GROUP' ? 'VRRP Group' : 'VRRP Instance';
      jobs.push(() => this.smtp.send(`${what} ${name} - Entering ${state} state`, `${SMTP_TEXT[state]}\n\nreason: ${reason}\n`));
    }
    if (!jobs.length) return;
    const key = `${type}:${name}`;
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.then(async () => { for (const j of jobs) await j(); });
    this.queues.set(key, next);
    void next.finally(() => { if (this.queues.get(key) === next) this.queues.delete(key); });
  }

  private async run(line: string, args: string[], name: string): Promise<void> {
    const r = await runCommand(line, { timeoutMs: NOTIFY_TIMEOUT_MS, args, keepBackground: true });
    const fields = { instance: name, script: line, args, code: r.code, signal: r.signal, ms: Math.round(r.durationMs) };
    if (r.error) this.log.error({ ...fields, err: r.error }, 'notify script could not run');
    else if (r.timedOut) this.log.warn(fields, `notify script killed after ${NOTIFY_TIMEOUT_MS / 1000} s`);
    else if (r.code !== 0) this.log.warn({ ...fields, stderr: r.stderr.slice(0, 500) }, 'notify script failed');
    else this.log.debug(fields, 'notify script done');
  }

  /** Wait for queued hooks (bounded by their timeouts), at stop. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.queues.values()]);
  }

  close(): void {
    this.smtp.close();
  }
}
