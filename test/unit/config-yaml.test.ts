import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { parseConfigText, parseYamlConfig, validateRaw } from '../../src/config/load.js';
import { errorsOf, formatDiagnostic, warningsOf } from '../../src/config/diagnostics.js';
import { example } from '../lib/paths.js';

const exampleFiles = readdirSync(example()).flatMap((d) => readdirSync(example(d)).map((f) => example(d, f)));

/** Errors of a YAML text as "LINE: message" strings. */
function errors(text: string): string[] {
  return errorsOf(parseYamlConfig(text, 'c.yaml').diagnostics).map((d) => `${d.line}: ${formatDiagnostic(d).replace(/^c\.yaml:\d+: /, '')}`);
}

const base = (extra = '') => `vrrp_instances:
  VI_1:
    interface: eth0
    virtual_router_id: 51
    virtual_ipaddress: [198.18.0.10/24]
${extra}`;

test('all shipped examples are valid and cover the four required topologies', () => {
  assert.ok(exampleFiles.length >= 8);
  for (const f of exampleFiles) {
    const r = parseConfigText(readFileSync(f, 'utf8'), f);
    assert.deepEqual(errorsOf(r.diagnostics), [], f);
    assert.deepEqual(warningsOf(r.diagnostics), [], f);
    assert.ok(r.config, f);
  }
  const lvs = parseConfigText(readFileSync(example('lvs-dr', 'lb1.yaml'), 'utf8')).config!;
  assert.equal(lvs.virtual_servers[0]!.lb_kind, 'DR');
  assert.equal(lvs.virtual_servers[0]!.real_servers[0]!.checks[0]!.type, 'HTTP_GET');
  assert.ok(lvs.virtual_servers[0]!.sorry_server);
  const fw = parseConfigText(readFileSync(example('fwmark-web', 'lb1.yaml'), 'utf8')).config!;
  assert.deepEqual(fw.virtual_servers[0]!.endpoints, [{ kind: 'fwmark', fwmark: 80, family: 4 }]);
  assert.deepEqual(fw.virtual_servers[0]!.mark_rules[0]!.ports, [80, 443]);
  const ngx = parseConfigText(readFileSync(example('nginx-ha', 'lb1.yaml'), 'utf8')).config!;
  assert.equal(ngx.vrrp_instances[0]!.track_script[0]!.weight, -20);
  assert.equal(ngx.l7.frontends[0]!.engine, 'nginx');
  const a1 = parseConfigText(readFileSync(example('active-active', 'lb1.yaml'), 'utf8')).config!;
  const a2 = parseConfigText(readFileSync(example('active-active', 'lb2.yaml'), 'utf8')).config!;
  assert.deepEqual(a1.vrrp_instances.map((i) => i.state), ['MASTER', 'BACKUP']);
  assert.deepEqual(a2.vrrp_instances.map((i) => i.state), ['BACKUP', 'MASTER']);
});

test('JSON is the same document as YAML', () => {
  for (const f of exampleFiles) {
    const y = parseConfigText(readFileSync(f, 'utf8'), f);
    const j = parseConfigText(JSON.stringify(y.raw), 'c.json');
    assert.deepEqual(j.config, y.config, f);
    assert.deepEqual(validateRaw(y.raw).config, y.config, f);
  }
});

test('defaults follow keepalived and shorthands expand', () => {
  const c = parseYamlConfig(base(`    track_script: [chk]
vrrp_scripts:
  chk: { script: "true", weight: -30, fall: 3, rise: 5 }
virtual_servers:
  - address: 198.18.0.10
    port: 80
    real_servers:
      - address: 198.18.1.1
        checks: [{ type: HTTP_GET, url: [{ path: / }] }]
`)).config!;
  const i = c.vrrp_instances[0]!;
  assert.equal(i.priority, 100);
  assert.equal(i.advert_int, 1);
  assert.equal(i.version, 2);
  assert.equal(i.state, 'BACKUP');
  assert.equal(i.mcast_dst_ip, '224.0.0.18');
  assert.deepEqual(i.virtual_ipaddress[0], { address: '198.18.0.10', prefix: 24, family: 4, dev: 'eth0', label: undefined, broadcast: undefined, scope: undefined, no_track: false });
  assert.deepEqual(i.track_script, [{ script: 'chk', weight: -30 }]);
  const vs = c.virtual_servers[0]!;
  assert.equal(vs.name, '198.18.0.10:80/TCP');
  assert.equal(vs.lb_algo, 'wlc');
  assert.equal(vs.lb_kind, 'NAT');
  assert.equal(vs.delay_loop, 60);
  const rs = vs.real_servers[0]!;
  assert.equal(rs.port, 80);
  assert.equal(rs.weight, 1);
  const chk = rs.checks[0]!;
  assert.equal(chk.connect_timeout, 5);
  assert.equal(chk.retry, 1);
  assert.equal(chk.delay_before_retry, 1);
  assert.equal(chk.delay_loop, 60);
  assert.equal(chk.connect_ip, '198.18.1.1');
  assert.equal(chk.connect_port, 80);
  assert.ok(chk.type === 'HTTP_GET' && chk.url[0]!.status_code[0]![0] === 200 && chk.url[0]!.status_code[0]![1] === 299);
});

test('each class of invalid input gets a precise error at its line', () => {
  const cases: [string, RegExp][] = [
    [base('    priorty: 100\n'), /^6: .*VI_1\.priorty: unknown key "priorty" \(did you mean "priority"\?\)$/],
    [base().replace('virtual_router_id: 51', 'virtual_router_id: 300'), /^4: .*virtual_router_id: must be between 1 and 255 \(got 300\)$/],
    [base('    priority: 0\n'), /^6: .*priority: must be between 1 and 255 \(got 0\)$/],
    [base('    priority: 255\n'), /^6: .*priority 255 is reserved for the address owner/],
    [base().replace('198.18.0.10/24', '198.18.0.300/24'), /^5: .*virtual_ipaddress\[0\]: "198\.18\.0\.300\/24" is not an address/],
    [base().replace('198.18.0.10/24', '198.18.0.10/33'), /^5: .*is not an address with an optional prefix length/],
    [base('    virtual_ipaddress_excluded: [1.2.3.4]\n    track_script: [nope]\n'), /^7: .*track_script\[0\]: script "nope" is not defined in vrrp_scripts$/],
    [base('    advert_int: 0.5\n'), /^6: .*VRRPv2 advertises whole seconds/],
    [base('    version: 3\n    advert_int: 50\n'), /^7: .*VRRPv3 allows at most 40\.95 s/],
    [base().replace('198.18.0.10/24]', '198.18.0.10/24, "2001:db8::1"]'), /^5: .*virtual_ipaddress\[1\]: IPv6 address 2001:db8::1 in an IPv4 instance/],
    [base('  VI_2:\n    interface: eth0\n    virtual_router_id: 51\n    virtual_ipaddress: [198.18.0.11]\n'), /^8: .*VI_2\.virtual_router_id: VRID 51 is already used by instance VI_1 on eth0/],
    [base('    nopreempt: true\n    state: MASTER\n'), /nopreempt needs state: BACKUP/],
    [base('    version: 3\n    authentication: { auth_type: PASS, auth_pass: x }\n'), /VRRPv3 has no authentication/],
    [base('    authentication: { auth_type: PASS, auth_pass: toolongpass }\n'), /auth_pass: "toolongpass" must be at most 8 characters long/],
    [base('    unicast_peer: ["2001:db8::2"]\n'), /peer 2001:db8::2 is IPv6 but the instance is IPv4/],
    [base('    interface: "eth 0"\n').replace('    interface: eth0\n', ''), /interface: "eth 0" is not an interface name/],
    ['virtual_servers:\n  - fwmark: 5\n    mark_rules: [{ address: 198.18.0.1, ports: [80] }]\n    real_servers: []\n  - address: 198.18.0.1\n    port: 80\n    mark_rules: [{ address: 198.18.0.1 }]\n    real_servers: []\n',
      /^7: .*virtual_servers\[1\]\.mark_rules: mark_rules need a fwmark/],
    ['virtual_servers:\n  - address: 198.18.0.1\n    port: 80\n    lb_algo: wrrr\n    real_servers: []\n', /^4: .*lb_algo: must be one of rr, wrr, /],
    ['virtual_servers:\n  - address: 198.18.0.1\n    port: 80\n    lb_kind: DR\n    real_servers: [{ address: 198.18.1.1, port: 8080 }]\n', /^5: .*port: DR forwards packets unchanged/],
    ['virtual_servers:\n  - address: 198.18.0.1\n    real_servers: []\n', /missing required key "port"/],
    ['virtual_servers:\n  - real_servers: []\n', /needs address and port, fwmark, or group/],
    ['virtual_servers:\n  - address: 198.18.0.1\n    port: 80\n    real_servers: [{ address: "2001:db8::5" }]\n', /2001:db8::5 is IPv6 but the virtual server is IPv4/],
    ['virtual_servers:\n  - address: 198.18.0.1\n    port: 80\n    real_servers:\n      - address: 198.18.1.1\n        checks: [{ type: HTTP_GETT }]\n', /^6: .*checks\[0\]\.type: unknown check type "HTTP_GETT"; expected one of HTTP_GET, SSL_GET, TCP_CHECK, MISC_CHECK$/],
    ['virtual_servers:\n  - address: 198.18.0.1\n    port: 80\n    real_servers:\n      - address: 198.18.1.1\n        checks: [{ type: HTTP_GET, url: [{ path: "/a b" }] }]\n', /path: "\/a b" is not valid: expected absolute path, no spaces/],
    ['virtual_servers:\n  - address: 198.18.0.1\n    port: 80\n    real_servers:\n      - address: 198.18.1.1\n        checks: [{ type: HTTP_GET, url: [{ path: /, digest: xyz }] }]\n', /digest: "xyz" is not valid: expected MD5 of the body/],
    ['vrrp_sync_groups:\n  G: { group: [VI_9] }\n', /group\[0\]: instance "VI_9" is not defined in vrrp_instances/],
    ['l7:\n  frontends:\n    www: { engine: nginx, bind: ["198.18.0.1:80"], default_backend: app }\n', /default_backend: backend "app" is not defined in l7\.backends/],
    ['global:\n  notification_email: ["a b@c"]\n', /is not an e-mail address/],
    ['vrrp_instances: [1, 2]\n', /vrrp_instances: must be a mapping \(got a list\)/],
    ['- a\n- b\n', /the config must be a mapping of sections/],
    ['global: { router_id: a\n', /^\d+: /],
    ['global:\n  router_id: a\n  router_id: b\n', /Map keys must be unique/],
  ];
  for (const [text, re] of cases) {
    const errs = errors(text);
    assert.ok(errs.some((e) => re.test(e)), `expected ${re} in:\n${errs.join('\n') || '(no errors)'}\nfor:\n${text}`);
  }
});

test('errors inside one union are not hidden by the same union elsewhere (fuzz regression)', () => {
  const errs = errors(`virtual_servers:
  - fwmark: 80
    mark_rules: [{ address: 198.18.0.1, ports: [80] }]
    real_servers:
      - address: 198.18.0.11
        checks: [{ type: TCP_CHECK, connexct_port: 80 }]
      - address: 198.18.0.12
        checks: [{ typo: TCP_CHECK }]
`);
  assert.ok(errs.some((e) => /^6: .*unknown key "connexct_port" \(did you mean "connect_port"\?\)/.test(e)), errs.join('\n'));
  assert.ok(errs.some((e) => /^8: .*missing required key "type"/.test(e)), errs.join('\n'));
});

test('invalid map names are refused and their values still validated (fuzz regression)', () => {
  const errs = errors('vrrp_scripts:\n  "c!hk":\n');
  assert.ok(errs.some((e) => /^2: .*invalid name "c!hk"/.test(e)), errs.join('\n'));
});

test('pathological nesting is refused before parsing', () => {
  assert.ok(errors('['.repeat(10000)).some((e) => /nested more than 64 levels deep/.test(e)));
  assert.ok(errors('{'.repeat(10000)).some((e) => /nested more than 64 levels deep/.test(e)));
});

test('a config with errors yields no model', () => {
  const r = parseYamlConfig(base('    priority: 0\n'));
  assert.equal(r.config, undefined);
  assert.ok(r.raw);
});

test('YAML round trip of a resolved example through stringify', () => {
  for (const f of exampleFiles) {
    const r = parseConfigText(readFileSync(f, 'utf8'), f);
    const again = parseYamlConfig(stringify(r.raw));
    assert.deepEqual(again.config, r.config, f);
  }
});
