/** Parsing what the proxies report, and what lbd carries across a HAProxy reload. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keepServerStates } from '../../src/proxy/drivers.js';
import { parseShowStat } from '../../src/proxy/runtime-api.js';
import { parseStubStatus, serverLive } from '../../src/proxy/status.js';

// As HAProxy 2.6 prints them (trimmed to the columns that matter, order kept).
const STATE = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 app 1 a1 127.0.0.1 2 8 1 1 5 6 3 4 6 0 0 0 - 8081 - 0 0 - - 0
3 app 2 a2 127.0.0.1 2 0 3 1 5 6 3 4 6 0 0 0 - 8082 - 0 0 - - 0
3 app 3 a3 ::1 2 0 1 1 5 6 3 4 6 0 0 0 - 8083 - 0 0 - - 0
4 api 1 n1 198.18.0.9 2 0 1 1 5 6 3 4 6 0 0 0 api.example.com 80 - 0 9000 - - 0
`;

test('runtime state is kept only for servers that stay at the same address and ports', () => {
  const kept = keepServerStates(STATE, {
    'app/a1': { address: '127.0.0.1', port: 8081, checkPort: 0 }, // unchanged: kept (it is drained)
    'app/a2': { address: '127.0.0.1', port: 9999, checkPort: 0 }, // moved: its saved address must not win
    // app/a3 removed
    'api/n1': { address: 'api.example.com', port: 80, checkPort: 9000 }, // a host name: its resolved address may change
  }).split('\n');
  assert.equal(kept[0], '1');
  assert.ok(kept[1]!.startsWith('# be_id'));
  assert.deepEqual(kept.slice(2).filter(Boolean).map((l) => l.split(' ')[3]), ['a1', 'n1']);
  const checkMoved = keepServerStates(STATE, { 'api/n1': { address: 'api.example.com', port: 80, checkPort: 9001 } });
  assert.deepEqual(checkMoved.split('\n').slice(2).filter(Boolean), []);
  assert.equal(keepServerStates('garbage', {}), '1\n');
});

test('show stat CSV, with quoted fields', () => {
  const csv = '# pxname,svname,scur,stot,status,weight,check_status,check_desc,econ\n'
    + 'app,FRONTEND,1,10,OPEN,,,,\n'
    + 'app,a1,2,20,DRAIN,1,L7OK,"ok, 200",3\n'
    + 'app,a2,0,5,MAINT,2,L4CON,"refused ""x""",0\n';
  const rows = parseShowStat(csv);
  assert.equal(rows.length, 3);
  assert.equal(rows[1]!.check_desc, 'ok, 200');
  assert.equal(rows[2]!.check_desc, 'refused "x"');
  const a1 = serverLive(rows[1]!);
  assert.equal(a1.admin, 'drain');
  assert.equal(a1.sessions, 2);
  assert.equal(a1.connectErrors, 3);
  assert.deepEqual(a1.check, { status: 'L7OK', code: undefined, durationMs: undefined, description: 'ok, 200' });
  assert.equal(serverLive(rows[2]!).admin, 'maint');
  assert.throws(() => parseShowStat('Unknown command'), /unexpected "show stat" output/);
});

test('nginx stub_status', () => {
  assert.deepEqual(parseStubStatus('Active connections: 3 \nserver accepts handled requests\n 10 10 42 \nReading: 0 Writing: 1 Waiting: 2 \n'),
    { active: 3, accepted: 10, handled: 10, requests: 42, reading: 0, writing: 1, waiting: 2 });
  assert.equal(parseStubStatus('nope'), undefined);
});
