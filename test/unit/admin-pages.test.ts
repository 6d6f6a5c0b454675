import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseDocument, stringify } from 'yaml';
import { startAdmin, session, exampleConfig, type AdminHarness } from '../lib/admin.js';
import { applyForm, formView } from '../../src/admin/forms/form.js';
import { VIRTUAL_SERVER_FORM } from '../../src/admin/forms/spec.js';
import { parseConfigText } from '../../src/config/load.js';
import { healthService, healthStatus, realServer } from '../lib/status-fixtures.js';
import type { FirewallStatus } from '../../src/firewall/subsystem.js';

const withPages = async (fn: (h: AdminHarness, s: { cookie: string; csrf: string }) => Promise<void>) => {
  const h = await startAdmin();
  try { await fn(h, await session(h)); } finally { await h.stop(); }
};

const postForm = (h: AdminHarness, s: { cookie: string; csrf: string }, url: string, fields: Record<string, string>) => h.built.app.inject({
  method: 'POST', url, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
  payload: new URLSearchParams({ _csrf: s.csrf, ...fields }).toString(),
});

/** The fields a browser would submit for the VS form as rendered (inputs and selects with their values). */
function formFields(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input name="([^"]+)" value="([^"]*)"[^>]*?(disabled)?>/g)) if (!m[3]) out[m[1]!] = m[2]!.replace(/&#x3D;/g, '=');
  for (const m of html.matchAll(/<input type="hidden" name="(_existing|_rows)" value="(\d+)">/g)) out[m[1]!] = m[2]!;
  for (const m of html.matchAll(/<select name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g)) out[m[1]!] = /<option value="([^"]*)" selected>/.exec(m[2]!)?.[1] ?? '';
  return out;
}

test('every page renders for a logged-in user', { timeout: 60_000 }, () => withPages(async (h, s) => {
  for (const url of ['/', '/config', '/config/raw', '/config/vrrp/VI_WEB', '/config/virtual-servers/0', '/config/virtual-servers/new', '/config/backends/new', '/history', '/history/1', '/operations', '/system', '/logs?level=info', '/accounts']) {
    const r = await h.built.app.inject({ url, headers: { cookie: s.cookie } });
    assert.equal(r.statusCode, 200, `${url}: ${r.body.slice(0, 300)}`);
    assert.match(r.body, /<meta name="csrf-token" content="[\w-]+">/);
  }
  assert.equal((await h.built.app.inject({ url: '/config/vrrp/NOPE', headers: { cookie: s.cookie } })).statusCode, 404);
}));

test('the System page and API show what lbd lets through the appliance firewall', { timeout: 60_000 }, () => withPages(async (h, s) => {
  const get = async (url: string) => (await h.built.app.inject({ url, headers: { cookie: s.cookie } })).body;
  assert.match(await get('/system'), /<dt>Firewall<\/dt><dd>not reported<\/dd>/);
  const fw: FirewallStatus = {
    managed: true, table: 'inet lb_filter', file: '/etc/lb-appliance/firewall.d/lbd.elements.nft', updatedAt: new Date().toISOString(),
    elements: { lbd_vrrp_peers4: 1, lbd_vrrp_peers6: 1, lbd_vip_services4: 3, lbd_vip_services6: 0 },
  };
  h.daemon.status.publish('firewall', fw);
  assert.match(await get('/system'), /lbd lets in 2 unicast VRRP peer\(s\) and 3 service address\(es\)<\/dd>/);
  assert.deepEqual(JSON.parse(await get('/api/v1/system')).firewall, { managed: true, vrrp_peers: 2, services: 3, error: null });
  h.daemon.status.publish('firewall', { ...fw, managed: false, file: null, error: 'no table inet lb_filter' });
  assert.match(await get('/system'), /not managed by lbd: no table inet lb_filter/);
}));

test('the virtual service form changes a weight with a diff preview; apply keeps comments; errors land on their field', { timeout: 60_000 }, () => withPages(async (h, s) => {
  const page = await h.built.app.inject({ url: '/config/virtual-servers/0', headers: { cookie: s.cookie } });
  const fields = formFields(page.body);
  assert.equal(fields['r.1.weight'], '1');
  assert.equal(fields['r.0.checks.0.type'], 'HTTP_GET');
  assert.equal(fields['r.0.checks.0.url.0.path'], '/index.html');

  const preview = await postForm(h, s, '/config/virtual-servers/0', { ...fields, 'r.1.weight': '5' });
  assert.equal(preview.statusCode, 200, preview.body.slice(0, 500));
  assert.match(preview.body, /<span class="del">-        weight: 1<\/span>\n<span class="add">\+        weight: 5/);
  assert.match(preview.body, /virtual_servers ~web/);
  assert.equal(readFileSync(h.configFile, 'utf8'), exampleConfig(), 'the preview writes nothing');

  const proposal = /name="proposal" value="([\w-]{22})"/.exec(preview.body)![1]!;
  const applied = await postForm(h, s, '/config/apply', { proposal, reason: 'more to web2' });
  assert.equal(applied.statusCode, 303, applied.body);
  assert.equal((await postForm(h, s, '/config/apply', { proposal })).statusCode, 409, 'a preview applies once');
  const now = readFileSync(h.configFile, 'utf8');
  assert.equal(now, exampleConfig().replace('        weight: 1\n', '        weight: 5\n'), 'only the weight changed; comments and layout kept');
  assert.equal(h.daemon.running!.virtual_servers[0]!.real_servers[1]!.weight, 5);
  const history = await h.built.app.inject({ url: '/history', headers: { cookie: s.cookie } });
  assert.match(history.body, /Revision \d+ applied: virtual_servers ~web/);
  assert.match(history.body, /more to web2/);

  const bad = await postForm(h, s, '/config/virtual-servers/0', { ...fields, 'r.1.port': 'eighty', 'f.lb_algo': 'wrr' });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /<td class="invalid" data-field="r\.1\.port"><input name="r\.1\.port" value="eighty"[^>]*aria-invalid="true">\s*<small class="field-error" role="alert">must be a whole number/);
  assert.equal(readFileSync(h.configFile, 'utf8'), now, 'a rejected form changes nothing');
}));

test('raw YAML: errors are shown at their line, nothing is written', { timeout: 30_000 }, () => withPages(async (h, s) => {
  const r = await postForm(h, s, '/config/raw', { text: exampleConfig().replace('virtual_router_id: 51', 'virtual_router_id: 300') });
  assert.equal(r.statusCode, 400);
  assert.match(r.body, /data-goto-line="16">line 16<\/a>: <code>vrrp_instances.VI_WEB.virtual_router_id<\/code>: must be between 1 and 255 \(got 300\)/);
  assert.match(r.body, /<span id="L16" class="err"><i>16<\/i>    virtual_router_id: 300   ← must be between 1 and 255/);
  assert.equal(readFileSync(h.configFile, 'utf8'), exampleConfig());
}));

test('form ⇄ YAML: rows added and removed, a check type changed, emptied objects pruned, errors mapped to form rows', () => {
  const text = exampleConfig();
  const doc = parseDocument(text);
  const obj = doc.toJS().virtual_servers[0];
  const view = formView(VIRTUAL_SERVER_FORM, obj);
  const body: Record<string, string> = { _existing: '2', _rows: String(view.rows!.total) };
  for (const f of view.fields) body[f.name] = f.value;
  for (const r of view.rows!.rows) for (const c of r.cells) body[c.name] = c.value;
  body['f.sorry_server.address'] = '';
  body['r.0._remove'] = '1';
  body['r.1.checks.0.type'] = 'TCP_CHECK';
  body['r.2.address'] = '198.18.0.13';
  body['r.2.port'] = 'x80';
  const origin = applyForm(doc, ['virtual_servers', 0], VIRTUAL_SERVER_FORM, body);
  assert.deepEqual(origin, [1, 2], 'result row 0 is form row 1, row 1 the new form row 2');
  const out = doc.toJS().virtual_servers[0];
  assert.equal(out.sorry_server, undefined, 'sorry_server pruned once its address was cleared');
  assert.deepEqual(out.real_servers.map((r: { address: string }) => r.address), ['198.18.0.12', '198.18.0.13']);
  assert.deepEqual(out.real_servers[0].checks, [{ type: 'TCP_CHECK', connect_timeout: 3, retry: 3, delay_before_retry: 2 }], 'HTTP keys gone with the type change');
  assert.match(doc.toString(), /^# Two-node LVS direct routing/, 'comments kept');
  const r = parseConfigText(doc.toString(), 'c.yaml');
  const errView = formView(VIRTUAL_SERVER_FORM, out, body, r.diagnostics, ['virtual_servers', 0], origin);
  const cell = errView.rows!.rows[2]!.cells.find((c) => c.name === 'r.2.port')!;
  assert.match(cell.error!, /must be a whole number/);
});

test('a big node pages its dashboard: troubled services first and expanded, 100 a page, the live stream follows the page', { timeout: 60_000 }, async () => {
  const services = 250;
  const config = stringify({
    global: { router_id: 'big' },
    virtual_servers: Array.from({ length: services }, (_, i) => ({
      name: `vs${String(i).padStart(3, '0')}`, address: `198.18.${Math.floor(i / 200)}.${(i % 200) + 1}`, port: 80, lb_kind: 'DR',
      real_servers: [1, 2].map((j) => ({ address: `198.19.${j}.${(i % 200) + 1}`, port: 80, checks: [{ type: 'TCP_CHECK' }] })),
    })),
  });
  const h = await startAdmin({ config });
  try {
    const s = await session(h);
    // vs007 and vs242 have a server down; everything else is up.
    h.daemon.status.publish('health', healthStatus(h.daemon.running!.virtual_servers.map((vs) => healthService(vs.name,
      vs.real_servers.map((rs, j) => realServer(rs.key, !((vs.name === 'vs007' || vs.name === 'vs242') && j === 1)))))));
    const get = (url: string) => h.built.app.inject({ url, headers: { cookie: s.cookie } });
    const rows = (html: string) => [...html.matchAll(/<tr data-vs="(vs\d+)">/g)].map((m) => m[1]!);

    const first = await get('/');
    assert.equal(first.statusCode, 200);
    const p1 = rows(first.body);
    assert.equal(p1.length, 100);
    assert.deepEqual(p1.slice(0, 3), ['vs007', 'vs242', 'vs000'], 'troubled services lead the first page');
    assert.match(first.body, /2 need attention/);
    assert.match(first.body, /Services 1–100 of 250/);
    assert.equal((first.body.match(/<tr class="expanded">/g) ?? []).length, 2, 'only troubled services are expanded');
    assert.match(first.body, /data-live-url="\/events\/dashboard"/);

    const last = await get('/?page=3');
    assert.deepEqual([rows(last.body)[0], rows(last.body).at(-1), rows(last.body).length], ['vs199', 'vs249', 50]);
    assert.match(last.body, /data-live-url="\/events\/dashboard\?page(=|&#x3D;)3"/);
    assert.match(last.body, /<a href="\/\?page(=|&#x3D;)2" rel="prev">/);
    assert.deepEqual(rows((await get('/?page=99')).body), rows(last.body), 'a page past the end shows the last');
    assert.equal((await get('/?page=0')).statusCode, 400);
    assert.equal((await get('/?page=two')).statusCode, 400);
  } finally { await h.stop(); }
});
