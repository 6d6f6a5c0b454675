import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckState } from '../../src/health/check-state.js';
import { RealServerState, VirtualServerPool, destinationsKey } from '../../src/health/pool-state.js';
import type { VirtualServer } from '../../src/config/model.js';
import { mustConfig } from '../lib/config.js';

const tcp = { type: 'TCP_CHECK' };

function pool(vs: Record<string, unknown>, servers: Record<string, unknown>[]): VirtualServerPool {
  const cfg = mustConfig({ virtual_servers: [{ address: '198.18.0.10', port: 80, lb_kind: 'DR', ...vs, real_servers: servers }] });
  const v: VirtualServer = cfg.virtual_servers[0]!;
  const p = new VirtualServerPool(v);
  for (const rs of v.real_servers) p.servers.set(rs.key, new RealServerState(rs, rs.checks.map((c) => new CheckState(c)), 0));
  p.initQuorum();
  return p;
}

/** Set a server's health the way a check transition would, and re-evaluate quorum. */
function setAlive(p: VirtualServerPool, key: string, alive: boolean) {
  const s = p.servers.get(key)!;
  for (const c of s.checks) c.up = alive;
  s.alive = s.checksPass();
  return p.updateQuorum();
}

const dests = (p: VirtualServerPool) => p.destinations().map((d) => `${d.address}:${d.port}=${d.weight}`);

test('a failed server leaves the pool; with inhibit_on_failure it stays at weight 0; it returns with its weight', () => {
  const p = pool({}, [
    { address: '198.18.0.11', weight: 3, checks: [tcp] },
    { address: '198.18.0.12', weight: 2, inhibit_on_failure: true, checks: [tcp] },
  ]);
  assert.deepEqual(dests(p), ['198.18.0.11:80=3', '198.18.0.12:80=2']);
  setAlive(p, '198.18.0.11:80', false);
  setAlive(p, '198.18.0.12:80', false);
  assert.deepEqual(dests(p), ['198.18.0.12:80=0']);
  setAlive(p, '198.18.0.11:80', true);
  setAlive(p, '198.18.0.12:80', true);
  assert.deepEqual(dests(p), ['198.18.0.11:80=3', '198.18.0.12:80=2']);
  assert.equal(p.destinations()[0]!.lb_kind, 'DR');
});

test('alpha servers start down; servers without checks are always up', () => {
  const p = pool({}, [{ address: '198.18.0.11', alpha: true, checks: [tcp] }, { address: '198.18.0.12' }]);
  assert.deepEqual(dests(p), ['198.18.0.12:80=1']);
});

test('sorry server joins when quorum is lost, replacing live servers; inhibited ones stay at 0; leaves when quorum is back', () => {
  const p = pool({ sorry_server: { address: '198.18.0.30' } }, [
    { address: '198.18.0.11', checks: [tcp] },
    { address: '198.18.0.12', inhibit_on_failure: true, checks: [tcp] },
  ]);
  assert.equal(setAlive(p, '198.18.0.11:80', false), null);
  assert.deepEqual(dests(p), ['198.18.0.12:80=1']);
  assert.equal(setAlive(p, '198.18.0.12:80', false), 'lost');
  assert.deepEqual(dests(p), ['198.18.0.12:80=0', '198.18.0.30:80=1']);
  assert.equal(setAlive(p, '198.18.0.11:80', true), 'gained');
  assert.deepEqual(dests(p), ['198.18.0.11:80=1', '198.18.0.12:80=0']);
});

test('sorry_server_inhibit keeps the sorry server at weight 0 while not needed', () => {
  const p = pool({ sorry_server: { address: '198.18.0.30' }, sorry_server_inhibit: true }, [{ address: '198.18.0.11', checks: [tcp] }]);
  assert.deepEqual(dests(p), ['198.18.0.11:80=1', '198.18.0.30:80=0']);
  setAlive(p, '198.18.0.11:80', false);
  assert.deepEqual(dests(p), ['198.18.0.30:80=1']);
});

test('quorum with hysteresis: gained at quorum+h, lost below quorum-h; live servers stay without a sorry server', () => {
  const p = pool({ quorum: 4, hysteresis: 1 }, [1, 2, 3, 4, 5].map((i) => ({ address: `198.18.0.1${i}`, checks: [tcp] })));
  assert.equal(p.quorumUp, true); // 5 >= 4+1
  assert.equal(setAlive(p, '198.18.0.11:80', false), null); // 4
  assert.equal(setAlive(p, '198.18.0.12:80', false), null); // 3 = 4-1: not below
  assert.equal(setAlive(p, '198.18.0.13:80', false), 'lost'); // 2 < 3
  assert.deepEqual(dests(p), ['198.18.0.14:80=1', '198.18.0.15:80=1']);
  assert.equal(setAlive(p, '198.18.0.13:80', true), null); // 3
  assert.equal(setAlive(p, '198.18.0.12:80', true), null); // 4 < 5
  assert.equal(setAlive(p, '198.18.0.11:80', true), 'gained'); // 5
});

test('quorum counts weights; it starts down when the live weight is short', () => {
  const p = pool({ quorum: 5 }, [{ address: '198.18.0.11', weight: 4, alpha: true, checks: [tcp] }, { address: '198.18.0.12', weight: 1 }]);
  assert.equal(p.quorumUp, false);
  assert.equal(setAlive(p, '198.18.0.11:80', true), 'gained');
  assert.equal(p.liveWeight(), 5);
});

test('operator overrides: drain serves at 0, disable removes even with inhibit, weight replaces the configured one', () => {
  const p = pool({}, [
    { address: '198.18.0.11', weight: 5, inhibit_on_failure: true, checks: [tcp] },
    { address: '198.18.0.12', weight: 5, checks: [tcp] },
  ]);
  const a = p.servers.get('198.18.0.11:80')!;
  a.overrides.drain = true;
  assert.deepEqual(dests(p), ['198.18.0.11:80=0', '198.18.0.12:80=5']);
  assert.equal(p.liveWeight(), 5);
  a.overrides = { disabled: true };
  assert.deepEqual(dests(p), ['198.18.0.12:80=5']);
  a.overrides = { weight: 9 };
  assert.deepEqual(dests(p), ['198.18.0.11:80=9', '198.18.0.12:80=5']);
  a.overrides = { weight: 9, drain: true };
  assert.deepEqual(dests(p), ['198.18.0.11:80=0', '198.18.0.12:80=5']);
});

test('misc_dynamic: the lowest weight any dynamic check asked for; an operator weight wins', () => {
  const p = pool({}, [{ address: '198.18.0.11', weight: 5, checks: [tcp, tcp] }]);
  const s = p.servers.get('198.18.0.11:80')!;
  s.checks[0]!.weight = 7;
  assert.equal(s.weight, 7);
  s.checks[1]!.weight = 3;
  assert.equal(s.weight, 3);
  s.overrides.weight = 11;
  assert.equal(s.weight, 11);
});

test('several checks: up only when all pass', () => {
  const p = pool({}, [{ address: '198.18.0.11', checks: [tcp, tcp] }]);
  const s = p.servers.get('198.18.0.11:80')!;
  s.checks[1]!.up = false;
  assert.equal(s.checksPass(), false);
});

test('destinationsKey tells lists apart by every field', () => {
  const p = pool({}, [{ address: '198.18.0.11', checks: [tcp] }]);
  const d = p.destinations();
  assert.equal(destinationsKey(d), destinationsKey(p.destinations()));
  assert.notEqual(destinationsKey(d), destinationsKey([{ ...d[0]!, weight: 2 }]));
  assert.notEqual(destinationsKey(d), destinationsKey([{ ...d[0]!, lb_kind: 'NAT' }]));
});
