import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseKeepalived } from '../../src/keepalived/parse.js';
import { importKeepalived, looksLikeKeepalived } from '../../src/keepalived/import.js';
import { loadConfigFile, parseConfigText, parseYamlConfig, validateRaw } from '../../src/config/load.js';
import { errorsOf, formatDiagnostic, warningsOf } from '../../src/config/diagnostics.js';
import { toYaml } from '../../src/cli/import.js';
import { fixture } from '../lib/paths.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'lbk-'));

/** Write `text` as keepalived.conf in a fresh dir and load it; returns its diagnostics as "file:line: message". */
function check(text: string, extra: Record<string, string> = {}): { errors: string[]; warnings: string[]; result: ReturnType<typeof loadConfigFile> } {
  const dir = tmp();
  for (const [name, body] of Object.entries(extra)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  const file = join(dir, 'keepalived.conf');
  writeFileSync(file, text);
  const result = loadConfigFile(file);
  const fmt = (d: Parameters<typeof formatDiagnostic>[0]) => formatDiagnostic(d).replace(dir + '/', '');
  return { errors: errorsOf(result.diagnostics).map(fmt), warnings: warningsOf(result.diagnostics).map(fmt), result };
}

const inst = (body: string) => `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    198.18.0.10/24\n  }\n${body}}\n`;

test('format detection by content', () => {
  assert.equal(looksLikeKeepalived('! comment\nglobal_defs {\n}\n'), true);
  assert.equal(looksLikeKeepalived('vrrp_instance VI_1\n{\n'), true);
  assert.equal(looksLikeKeepalived('# c\nvrrp_instances:\n  VI_1: {}\n'), false);
  assert.equal(looksLikeKeepalived('{"vrrp_instances": {}}'), false);
  assert.equal(looksLikeKeepalived('---\nglobal: {}\n'), false);
  assert.equal(looksLikeKeepalived('@node1 net_namespace a\n'), true);
});

test('lexical syntax: comments, quotes, escapes, braces anywhere, continuation', () => {
  const { statements, diagnostics } = parseKeepalived('x.conf', [
    '! bang comment',
    '# hash comment',
    'a one "two three" \'four five\' six # trailing',
    'b "semi;colon|pipe&amp" \\#not-comment x\\ y ! trailing',
    'c {',
    '  d "inner } brace" }',
    'e',
    '{',
    '  f 1 \\',
    '    2',
    '}',
    'g { h } i { j { k } }',
    'l "esc\\x41\\t\\101"',
  ].join('\n'));
  assert.deepEqual(diagnostics, []);
  const simple = (s: (typeof statements)[number]): unknown => ({ k: s.keyword, a: s.args, ...(s.block ? { b: s.block.map(simple) } : {}), line: s.line });
  assert.deepEqual(statements.map(simple), [
    { k: 'a', a: ['one', 'two three', 'four five', 'six'], line: 3 },
    { k: 'b', a: ['semi;colon|pipe&amp', '#not-comment', 'x y'], line: 4 },
    { k: 'c', a: [], b: [{ k: 'd', a: ['inner } brace'], line: 6 }], line: 5 },
    { k: 'e', a: [], b: [{ k: 'f', a: ['1', '2'], line: 9 }], line: 7 },
    { k: 'g', a: [], b: [{ k: 'h', a: [], line: 12 }], line: 12 },
    { k: 'i', a: [], b: [{ k: 'j', a: [], b: [{ k: 'k', a: [], line: 12 }], line: 12 }], line: 12 },
    { k: 'l', a: ['escA\tA'], line: 13 },
  ]);
});

test('structural errors: unclosed and extra braces, unterminated quotes, orphan {', () => {
  const cases: [string, RegExp][] = [
    [inst('').replace(/}\n$/, ''), /keepalived\.conf:1: 'vrrp_instance' block opened here is never closed \(missing '}'\)/],
    [inst('') + '}\n', /keepalived\.conf:8: extra '}' with no open block/],
    [inst('  notify_master "/bin/true\n'), /keepalived\.conf:7: unterminated quote/],
    ['global_defs {\n}\n{\n}\n', /keepalived\.conf:3: '\{' without a keyword before it/],
    // As in keepalived, only double quotes protect a comment character.
    [inst("  notify_master '/bin/echo # x'\n"), /keepalived\.conf:7: missing terminating ' quote/],
  ];
  for (const [text, re] of cases) {
    const { errors } = check(text);
    assert.ok(errors.some((e) => re.test(e)), `${re} not in ${JSON.stringify(errors)}`);
  }
});

test('include with globs relative to the including file, nested and sorted; missing and cyclic includes are errors', () => {
  const { errors, result } = check('include conf.d/*.conf\ninclude sub/inc.conf\n', {
    'conf.d/20-b.conf': inst('').replace(/VI_1/, 'VI_B').replace('51', '52').replace('198.18.0.10', '198.18.0.12'),
    'conf.d/10-a.conf': inst('').replace(/VI_1/, 'VI_A'),
    'conf.d/ignored.txt': 'garbage {',
    'sub/inc.conf': 'include ../more/*.conf\n',
    'more/x.conf': 'vrrp_script chk { script /bin/true }\n',
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(result.config!.vrrp_instances.map((i) => i.name), ['VI_A', 'VI_B']);
  assert.deepEqual(result.config!.vrrp_scripts.map((s) => s.name), ['chk']);
  assert.ok(check('include nothing/*.conf\n').errors.some((e) => /keepalived\.conf:1: include nothing\/\*\.conf: no file matches/.test(e)));
  const cyc = check('include keepalived.conf\nvrrp_script a { script /bin/true }\n');
  assert.ok(cyc.errors.some((e) => /includes itself/.test(e)), JSON.stringify(cyc.errors));
});

test('the tutorial-style fixtures import, validate and map their directives', () => {
  const lvs = loadConfigFile(fixture('keepalived', 'lvs-dr-tutorial.conf'));
  assert.deepEqual(errorsOf(lvs.diagnostics), []);
  assert.ok(warningsOf(lvs.diagnostics).some((d) => d.line === 45 && /nb_get_retry is deprecated/.test(d.message)));
  const vs = lvs.config!.virtual_servers[0]!;
  assert.equal(vs.lb_kind, 'DR');
  assert.equal(vs.lb_algo, 'wrr');
  assert.equal(vs.persistence_timeout, 50);
  assert.deepEqual(vs.sorry_server, { address: '192.168.10.200', port: 80, lb_kind: 'DR' });
  const c0 = vs.real_servers[0]!.checks[0]!;
  assert.ok(c0.type === 'HTTP_GET');
  assert.equal(c0.retry, 3);
  assert.equal(c0.delay_before_retry, 3);
  assert.equal(c0.connect_timeout, 3);
  assert.equal(vs.real_servers[1]!.inhibit_on_failure, true);
  const c1 = vs.real_servers[1]!.checks[0]!;
  assert.ok(c1.type === 'HTTP_GET' && c1.url[0]!.digest === '9b3a0c85a887a256d6939da88aabd8cd');
  assert.deepEqual(lvs.config!.global.notification_email, ['admin@example.com']);
  assert.equal(lvs.config!.global.smtp_port, 25);
  assert.deepEqual(lvs.config!.vrrp_instances[0]!.virtual_ipaddress[0]!.label, 'eth0:0');

  const ha = loadConfigFile(fixture('keepalived', 'haproxy-unicast.conf')).config!;
  assert.deepEqual(ha.vrrp_instances[0]!.unicast_peer, ['10.0.0.12']);
  assert.equal(ha.vrrp_instances[0]!.unicast_src_ip, '10.0.0.11');
  assert.equal(ha.vrrp_scripts[0]!.script, 'killall -0 haproxy');
  assert.deepEqual(ha.vrrp_instances[0]!.track_script, [{ script: 'chk_haproxy', weight: 2 }]);

  const ngx = loadConfigFile(fixture('keepalived', 'nginx-ha.conf')).config!;
  const i = ngx.vrrp_instances[0]!;
  assert.equal(i.nopreempt, true);
  assert.deepEqual(i.track_script, [{ script: 'chk_nginx', weight: -30 }]);
  assert.deepEqual(i.track_interface, [{ interface: 'ens192', weight: 0 }, { interface: 'ens224', weight: -10 }]);
  assert.equal(i.notify_fault, '/etc/keepalived/notify.sh fault');
  assert.equal(i.notify, '/etc/keepalived/notify-all.sh');

  const fw = loadConfigFile(fixture('keepalived', 'fwmark-group.conf')).config!;
  assert.equal(fw.global.vrrp_mcast_group4, '233.6.6.6');
  assert.deepEqual(fw.virtual_servers[0]!.endpoints.map((e) => (e.kind === 'addr' ? e.address : e.fwmark)),
    ['192.168.20.10', '192.168.20.11', '192.168.20.12', '192.168.20.13']);
  assert.deepEqual(fw.virtual_servers[1]!.endpoints, [{ kind: 'fwmark', fwmark: 80, family: 4 }]);
  assert.equal(fw.virtual_servers[1]!.flags.sh_port, true);
  const misc = fw.virtual_servers[1]!.real_servers[1]!.checks[0]!;
  assert.ok(misc.type === 'MISC_CHECK' && misc.misc_dynamic && misc.misc_path === '/usr/local/bin/check_web.sh 192.168.30.2');

  const v6 = loadConfigFile(fixture('keepalived', 'ipv6-v3.conf')).config!;
  assert.equal(v6.vrrp_instances[0]!.family, 6);
  assert.equal(v6.vrrp_instances[0]!.mcast_dst_ip, 'ff02::12');
  assert.equal(v6.vrrp_instances[0]!.advert_int, 0.5);
  assert.equal(v6.virtual_servers[0]!.real_servers[0]!.key, '[2001:db8:20::1]:8443');

  const t = loadConfigFile(fixture('keepalived', 'torture', 'keepalived.conf'));
  assert.deepEqual(errorsOf(t.diagnostics), []);
  assert.equal(t.config!.global.router_id, 'lb one');
  assert.deepEqual(t.config!.global.notification_email, ['ops@example.com', 'noc@example.com']);
  assert.equal(t.config!.vrrp_scripts[0]!.script, `/bin/sh -c 'test -e /run/up && echo "ok # not a comment" | grep -q ok'`);
  assert.equal(t.config!.vrrp_scripts[1]!.script, `'/usr/local/bin/check with spaces' 'arg#1'`);
  assert.equal(t.config!.vrrp_instances[0]!.sync_group, 'G1');
  assert.deepEqual(t.config!.virtual_servers[0]!.real_servers[0]!.checks[0]!.type === 'HTTP_GET' && t.config!.virtual_servers[0]!.real_servers[0]!.checks[0]!.url[0]!.status_code, [[200, 200], [301, 302]]);
});

test('unknown directives are warnings with file:line; supported-elsewhere ones say so', () => {
  const { errors, warnings } = check(inst('  frobnicate 1\n  use_vmac\n') + 'global_defs {\n  vrrp_strict\n}\nmystery_block {\n}\n');
  assert.deepEqual(errors, []);
  assert.ok(warnings.includes('keepalived.conf:7: warning: unknown directive "frobnicate" in vrrp_instance VI_1 (ignored)'), warnings.join('\n'));
  assert.ok(warnings.includes('keepalived.conf:8: warning: use_vmac is not supported by lb-appliance (ignored)'));
  assert.ok(warnings.some((w) => /^keepalived\.conf:11: warning: vrrp_strict: /.test(w)));
  assert.ok(warnings.includes('keepalived.conf:13: warning: unknown top-level directive "mystery_block" (ignored)'));
});

test('values keepalived would silently fix are errors at file:line', () => {
  const cases: [string, string | RegExp][] = [
    [inst('').replace('virtual_router_id 51', 'virtual_router_id 300'), 'keepalived.conf:3: vrrp_instances.VI_1.virtual_router_id: must be between 1 and 255 (got 300)'],
    [inst('').replace('198.18.0.10/24', '198.18.0.300/24'), /^keepalived\.conf:5: vrrp_instances\.VI_1\.virtual_ipaddress\[0\]: "198\.18\.0\.300\/24" is not an address/],
    [inst('  track_script {\n    chk_missing\n  }\n'), 'keepalived.conf:8: vrrp_instances.VI_1.track_script[0]: script "chk_missing" is not defined in vrrp_scripts'],
    ['virtual_server 198.18.0.1 80 {\n  lb_algo roundrobin\n}\n', /^keepalived\.conf:2: virtual_servers\[0\]\.lb_algo: must be one of rr, wrr/],
    [inst('  priority high\n'), 'keepalived.conf:7: priority: "high" is not a whole number'],
    [inst('  authentication {\n    auth_type PASS\n    auth_pass 123456789\n  }\n'), /^keepalived\.conf:9: auth_pass is 9 characters; VRRPv2 carries at most 8/],
    [inst('  authentication { auth_type PASS auth_pass 1111 }\n'), /^keepalived\.conf:7: auth_type takes one value; unexpected "auth_pass 1111"/],
    [inst('  priority 100\n  priority 101\n'), /^keepalived\.conf:8: priority is already set at .*keepalived\.conf:7$/],
    [inst('  state MASTRE\n'), /^keepalived\.conf:7: vrrp_instances\.VI_1\.state: must be one of MASTER, BACKUP \(got "MASTRE"\)/],
    ['vrrp_script s {\n  script /bin/true\n  weight 10 reverse\n}\n', /^keepalived\.conf:3: weight \.\.\. reverse is not supported/],
    ['virtual_server 198.18.0.1 80 {\n  real_server 198.18.1.1 80 {\n    DNS_CHECK {\n    }\n  }\n}\n', /^keepalived\.conf:3: DNS_CHECK is not supported by lb-appliance/],
    ['virtual_server 198.18.0.1 80 {\n  real_server 198.18.1.1 80 {\n    HTTP_GET {\n      connect_timeout 3\n    }\n  }\n}\n', /^keepalived\.conf:3: HTTP_GET has no url block/],
    [inst('').replace('virtual_router_id 51', 'virtual_router_id 51\n  @lb2 priority 50'), /^keepalived\.conf:4: conditional lines/],
    ['vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    1.2.3.4 frob x\n  }\n}\n', /^keepalived\.conf:5: virtual_ipaddress: unsupported option "frob"/],
  ];
  for (const [text, want] of cases) {
    const { errors } = check(text);
    assert.ok(errors.some((e) => (typeof want === 'string' ? e === want : want.test(e))), `${want} not in:\n${errors.join('\n')}`);
  }
});

test('import → YAML → check round-trips to the same model for every fixture', () => {
  const dir = fixture('keepalived');
  const files = [...readdirSync(dir).filter((f) => f.endsWith('.conf')).map((f) => join(dir, f)), join(dir, 'torture', 'keepalived.conf')];
  assert.ok(files.length >= 6);
  for (const f of files) {
    const imp = importKeepalived(readFileSync(f, 'utf8'), f);
    assert.deepEqual(errorsOf(imp.diagnostics), [], f);
    const direct = validateRaw(imp.raw);
    assert.ok(direct.config, f);
    const yaml = toYaml(imp.raw, f);
    const again = parseYamlConfig(yaml, 'out.yaml');
    assert.deepEqual(errorsOf(again.diagnostics), [], `${f}\n${yaml}`);
    assert.deepEqual(again.config, direct.config, f);
    assert.deepEqual(parseConfigText(yaml).config, loadConfigFile(f).config, f);
  }
});
