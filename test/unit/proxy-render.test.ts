/**
 * Golden files for the proxy templates: one fixture per feature
 * (test/fixtures/proxy/*.yaml) rendered into test/golden/proxy/NAME.{haproxy.cfg,nginx.conf}.
 * UPDATE_GOLDEN=1 rewrites them; review the diff before committing. Each feature
 * also has explicit expectations below, so a wrong golden file cannot pass silently.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadConfigFile } from '../../src/config/load.js';
import { errorsOf } from '../../src/config/diagnostics.js';
import { proxyPaths } from '../../src/proxy/paths.js';
import { renderProxyConfigs } from '../../src/proxy/render.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = join(root, 'test/fixtures/proxy');
const golden = join(root, 'test/golden/proxy');
const paths = proxyPaths('/var/lib/lb-appliance');

function render(name: string) {
  const r = loadConfigFile(join(fixtures, `${name}.yaml`));
  assert.deepEqual(errorsOf(r.diagnostics), [], `${name}.yaml must be valid`);
  return renderProxyConfigs(r.config!.l7, paths);
}

const names = readdirSync(fixtures).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();

test('every fixture matches its golden files', () => {
  assert.ok(names.length >= 8);
  for (const name of names) {
    const out = render(name);
    for (const [engine, file] of [['haproxy', `${name}.haproxy.cfg`], ['nginx', `${name}.nginx.conf`]] as const) {
      const text = out[engine]?.text;
      const path = join(golden, file);
      if (process.env.UPDATE_GOLDEN === '1') { if (text !== undefined) writeFileSync(path, text); continue; }
      if (text === undefined) { assert.ok(!existsSync(path), `${file}: no ${engine} frontend, yet a golden file exists`); continue; }
      assert.ok(existsSync(path), `${file} is missing (UPDATE_GOLDEN=1 creates it)`);
      assert.equal(text, readFileSync(path, 'utf8'), `${file} differs from the rendered config`);
    }
  }
});

/** Lines (trimmed) each rendering must contain, per feature. */
const expectations: Record<string, { haproxy?: string[]; nginx?: string[]; notHaproxy?: string[]; notNginx?: string[] }> = {
  'http-basic': {
    haproxy: [
      'frontend web', 'bind 198.18.0.120:80', 'bind [2001:db8::120]:80', 'maxconn 20000', 'option forwardfor', 'default_backend app',
      'balance roundrobin', 'server app1 198.18.0.21:8080 weight 3', 'server app2 198.18.0.22:8080 weight 1 maxconn 500',
      'server app3 [2001:db8::23]:8080 weight 1', 'server sorry localhost:80 weight 1 backup',
      'bind unix@/var/lib/lb-appliance/proxy/haproxy/probe-web.sock mode 600',
      'stats socket /var/lib/lb-appliance/proxy/haproxy/admin.sock mode 600 level admin expose-fd listeners',
    ],
    nginx: [
      'upstream app {', 'zone app 64k;', 'server 198.18.0.21:8080 weight=3 max_fails=1 fail_timeout=10s;  # app1',
      'server 198.18.0.22:8080 weight=1 max_fails=1 fail_timeout=10s max_conns=500;  # app2',
      'server [2001:db8::23]:8080 weight=1 max_fails=1 fail_timeout=10s;  # app3', 'server localhost:80 weight=1 max_fails=1 fail_timeout=10s backup;  # sorry',
      'listen 198.18.0.121:80;', 'listen unix:/var/lib/lb-appliance/proxy/nginx/probe-web-nginx.sock;', 'proxy_pass http://app;',
      'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;', 'daemon off;', 'pid /var/lib/lb-appliance/proxy/nginx/nginx.pid;',
    ],
    notNginx: ['load_module /usr/lib/nginx/modules/ngx_stream_module.so;', 'stream {'],
  },
  tls: {
    haproxy: ['bind 198.18.0.120:443 ssl crt /etc/lb-appliance/tls/www.pem', 'http-request set-header X-Forwarded-Proto https if { ssl_fc }'],
    nginx: ['listen 198.18.0.121:443 ssl;', 'ssl_certificate /etc/lb-appliance/tls/www.crt;', 'ssl_certificate_key /etc/lb-appliance/tls/www.key;'],
  },
  routing: {
    haproxy: [
      'acl rule0_host req.hdr(host),field(1,:),lower -m str api.example.com', 'acl rule0_path path_beg /v2/', 'use_backend api-v2 if rule0_host rule0_path',
      'acl rule1_domain req.hdr(host),field(1,:),lower -m end .api.example.org', 'use_backend api if rule1_host || rule1_domain',
      'use_backend static if rule2_path', 'default_backend www', 'balance leastconn', 'balance random', 'bind *:80',
    ],
    nginx: [
      'map "$host$uri" $lbd_route_edge_nginx_0 {', 'default www;', '"~^api\\\\.example\\\\.com/v2/" api-v2;',
      '"~^(?:api\\\\.example\\\\.com|[^/]+\\\\.api\\\\.example\\\\.org)/" api;', '"~^[^/]*/static/" static;',
      'proxy_pass http://$lbd_route_edge_nginx_0;', 'least_conn;', 'random;',
    ],
  },
  checks: {
    haproxy: [
      'option httpchk', 'http-check send meth GET uri /health?full=1 ver HTTP/1.1 hdr Host app.example.com', 'http-check expect status 200-299,404',
      'default-server inter 1500ms rise 3 fall 2', 'server a1 198.18.0.21:8080 weight 1 check', 'default-server inter 5s rise 2 fall 3',
      'http-check send meth GET uri /ping', 'default-server inter 2s rise 2 fall 3 check-ssl verify none port 8443', 'timeout check 3s',
    ],
  },
  stickiness: {
    haproxy: [
      'cookie SHOPSRV insert indirect nocache', 'server w1 198.18.0.21:80 weight 1 cookie w1',
      'stick-table type ipv6 size 50000 expire 600s', 'stick on src',
      'stick-table type binary len 32 size 100000 expire 1800s', 'tcp-request content accept if clienthello',
      'stick match req.payload_lv(43,1) if clienthello', 'tcp-response inspect-delay 5s', 'stick store-response res.payload_lv(43,1) if serverhello', 'mode tcp',
    ],
    nginx: ['ip_hash;'],
  },
  tcp: {
    haproxy: ['frontend db', 'mode tcp', 'balance first', 'server pg1 198.18.0.61:5432 weight 1 check maxconn 100', 'timeout tunnel 7200s'],
    notHaproxy: ['option forwardfor'],
    nginx: [
      'load_module /usr/lib/nginx/modules/ngx_stream_module.so;', 'stream {', 'least_conn;', 'hash $remote_addr consistent;',
      'server 198.18.0.62:5432 weight=1 max_fails=1 fail_timeout=10s backup;  # pg2', 'listen 198.18.0.121:465 ssl;',
      'ssl_certificate /etc/lb-appliance/tls/mail.pem;', 'ssl_certificate_key /etc/lb-appliance/tls/mail.pem;',
      'proxy_pass pg-nginx;', 'proxy_timeout 7200s;', 'proxy_connect_timeout 5s;',
    ],
  },
  'timeouts-stats': {
    haproxy: [
      'timeout connect 2500ms', 'timeout client 30s', 'timeout server 60s', 'timeout http-request 5s', 'timeout http-keep-alive 2s',
      'timeout queue 10s', 'timeout tunnel 600s', 'timeout check 1s', 'hard-stop-after 300s',
      'listen lbd_stats', 'bind 127.0.0.1:8404', 'stats uri /stats', 'stats refresh 5s', "stats auth 'admin:s3cr#t;{x}'",
    ],
    notHaproxy: ['option forwardfor'],
    nginx: ['worker_shutdown_timeout 300s;', 'proxy_connect_timeout 2500ms;', 'proxy_read_timeout 60s;', 'client_header_timeout 5s;', 'keepalive_timeout 2s;'],
  },
  'nginx-passive': {
    nginx: [
      'server 198.18.0.21:8080 weight=5 max_fails=3 fail_timeout=30s;  # app1', 'server 198.18.0.22:8080 weight=1 max_fails=0 fail_timeout=30s;  # app2',
      'server 198.18.0.23:8080 weight=1 max_fails=3 fail_timeout=3s max_conns=64;  # app3', 'server 198.18.0.24:8080 weight=1 max_fails=3 fail_timeout=30s down;  # retired',
    ],
  },
};

test('each feature renders the directives that implement it', () => {
  for (const [name, e] of Object.entries(expectations)) {
    const out = render(name);
    const lines = (t: string | undefined) => new Set((t ?? '').split('\n').map((l) => l.trim()));
    const h = lines(out.haproxy?.text), n = lines(out.nginx?.text);
    for (const l of e.haproxy ?? []) assert.ok(h.has(l), `${name}: haproxy.cfg lacks "${l}"`);
    for (const l of e.nginx ?? []) assert.ok(n.has(l), `${name}: nginx.conf lacks "${l}"`);
    for (const l of e.notHaproxy ?? []) assert.ok(!h.has(l), `${name}: haproxy.cfg must not have "${l}"`);
    for (const l of e.notNginx ?? []) assert.ok(!n.has(l), `${name}: nginx.conf must not have "${l}"`);
    assert.equal(out.haproxy === undefined, e.haproxy === undefined, `${name}: haproxy.cfg rendered iff a frontend uses haproxy`);
  }
});

test('every config object is named in a comment of the rendered file', () => {
  const out = render('routing');
  for (const fe of ['edge']) assert.match(out.haproxy!.text, new RegExp(`^# frontend ${fe} \\(l7\\.frontends\\.${fe}\\)$`, 'm'));
  for (const be of ['www', 'api', 'api-v2', 'static']) {
    assert.match(out.haproxy!.text, new RegExp(`^# backend ${be} \\(l7\\.backends\\.${be}\\)$`, 'm'));
    assert.match(out.nginx!.text, new RegExp(`^    # backend ${be} \\(l7\\.backends\\.${be}\\)$`, 'm'));
  }
});

test('the generation changes with the config and only with it', () => {
  const a = render('http-basic'), b = render('http-basic'), c = render('tls');
  assert.equal(a.haproxy!.generation, b.haproxy!.generation);
  assert.notEqual(a.haproxy!.generation, c.haproxy!.generation);
  assert.ok(a.haproxy!.text.includes(`description lbd:${a.haproxy!.generation}`));
  assert.ok(a.nginx!.text.includes(`return 200 "${a.nginx!.generation}\\n";`));
});

test('a state dir too long for unix socket paths is refused with a clear message', () => {
  const r = loadConfigFile(join(fixtures, 'http-basic.yaml'));
  assert.throws(() => renderProxyConfigs(r.config!.l7, proxyPaths(`/tmp/${'x'.repeat(90)}`)), /longer than 107 bytes: use a shorter --state-dir/);
});
