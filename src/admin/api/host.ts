/**
 * The node itself, for the console's setup wizard and power menu (also open to
 * the web UI's administrators): the management network (read; check and plan
 * with dry_run; apply and persist) and reboot / power-off. lbd runs as root and
 * does the privileged work; the console stays an unprivileged client.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HttpError } from '../context.js';
import { ManagementNetwork, NetworkApplyError, NetworkSettingsError, hostFiles } from '../../host/network.js';
import { POWER_ACTIONS, requestPower } from '../../host/power.js';
import { MAX_DNS } from '../../host/settings.js';
import { audited } from './operations.js';
import { OkSchema, replies } from './schemas.js';
import type { ApiOptions } from './index.js';

const Str = (maxLength: number, description?: string) => Type.String({ maxLength, ...(description ? { description } : {}) });

const SettingsBody = {
  interface: Str(64, 'management interface'),
  mode: Type.Union([Type.Literal('static'), Type.Literal('dhcp')]),
  address: Type.Optional(Str(64, 'static mode: the address, without prefix')),
  prefix: Type.Optional(Type.Integer({ minimum: 0, maximum: 128 })),
  gateway: Type.Optional(Str(64, 'default gateway, inside the subnet (IPv6: or link-local)')),
  dns: Type.Array(Str(64), { maxItems: MAX_DNS, description: 'name servers' }),
  hostname: Str(253),
};
const SettingsSchema = Type.Object(SettingsBody);

const NetworkStateSchema = Type.Object({
  interfaces: Type.Array(Type.Object({
    name: Type.String(), up: Type.Boolean(), admin_up: Type.Boolean(), mac: Type.Union([Type.String(), Type.Null()]),
    addresses: Type.Array(Type.String({ description: 'ADDRESS/PREFIX, global scope' })),
  })),
  persisted: Type.Union([SettingsSchema, Type.Null()], { description: 'what the .network file says (null: no file, or one lbd did not write)' }),
  hostname: Type.String(),
  dns: Type.Array(Type.String()),
  gateway: Type.Union([Type.Object({ address: Type.String(), interface: Type.String() }), Type.Null()]),
  files: Type.Object({ network: Type.String(), hostname: Type.String(), resolvConf: Type.String() }),
  resolv_conf: Type.Union([Type.Literal('file'), Type.Literal('link'), Type.Literal('absent')]),
  networkd: Type.Boolean({ description: 'systemd-networkd is running (it is told to reload the file)' }),
});

const NetworkResultSchema = Type.Object({
  applied: Type.Boolean(),
  actions: Type.Array(Type.String()),
  removed_addresses: Type.Array(Type.String()),
  warnings: Type.Array(Type.String()),
});

export const hostApi: FastifyPluginAsyncTypebox<ApiOptions> = async (app, { ctx }) => {
  const vips = () => new Map((ctx.daemon.running?.vrrp_instances ?? []).flatMap((i) => i.virtual_ipaddress.map((v) => [v.address, i.name] as const)));
  const network = new ManagementNetwork(hostFiles(), ctx.log, vips);

  app.get('/system/network', {
    schema: { summary: 'Management network: interfaces, the persisted settings, host name, name servers, default gateway', tags: ['system'], response: replies(NetworkStateSchema) },
  }, async () => network.state());

  app.put('/system/network', {
    schema: {
      summary: 'Set the management network: checked, applied over rtnetlink and persisted (systemd-networkd file, hostname, resolv.conf); ' +
        'dry_run only checks and lists the steps. Invalid settings: 400, nothing changed; a failed step undoes the earlier ones.',
      tags: ['system'],
      body: Type.Object({ ...SettingsBody, dry_run: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      response: replies(NetworkResultSchema),
    },
  }, async (req) => {
    const { dry_run: dryRun, ...settings } = req.body;
    const run = () => network.apply(settings, dryRun === true).catch((e: unknown) => {
      if (e instanceof NetworkSettingsError) throw new HttpError(400, e.message);
      // The node could not take it (already logged with the undo result): the operator reads the step and the outcome.
      throw e instanceof NetworkApplyError ? new HttpError(500, e.message) : e;
    });
    if (dryRun) return run();
    let result!: Awaited<ReturnType<typeof run>>;
    await audited(ctx, req, 'network.set', settings.interface, async () => { result = await run(); },
      settings.mode === 'dhcp' ? 'DHCP' : `${settings.address}/${settings.prefix} gw ${settings.gateway ?? '-'} host ${settings.hostname}`);
    return result;
  });

  app.post('/system/power', {
    schema: {
      summary: 'Reboot or power off the node (systemd stops lbd cleanly: VIPs released, priority 0 sent)', tags: ['system'],
      body: Type.Object({ action: Type.Union(POWER_ACTIONS.map((a) => Type.Literal(a))) }, { additionalProperties: false }),
      response: replies(OkSchema),
    },
  }, async (req) => audited(ctx, req, `power.${req.body.action}`, 'node', () => requestPower(req.body.action)));
};
