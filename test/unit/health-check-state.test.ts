import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckState, checkIdentity } from '../../src/health/check-state.js';
import type { Check, HttpCheck } from '../../src/config/model.js';

const http = (o: Partial<HttpCheck> = {}): HttpCheck => ({
  type: 'HTTP_GET', connect_ip: '198.18.0.11', connect_port: 80, connect_timeout: 2, retry: 3, delay_before_retry: 1, delay_loop: 5,
  warmup: 5, alpha: false, url: [{ path: '/', status_code: [[200, 299]], regex_no_match: false }], http_protocol: '1.0', enable_sni: false, ...o,
});
const ok = { ok: true, message: 'HTTP 200 on /', latencyMs: 1 };
const fail = { ok: false, message: 'HTTP status 503 on /', latencyMs: 1 };

test('a check that is up retries `retry` times, delay_before_retry apart, then goes down with the reason', () => {
  const s = new CheckState(http());
  assert.equal(s.up, true);
  for (let i = 1; i <= 3; i++) {
    const a = s.apply(fail, 0);
    assert.deepEqual(a, { nextMs: 1000, transition: null, weightChanged: false }, `retry ${i}`);
    assert.equal(s.retriesUsed, i);
  }
  const down = s.apply(fail, 0);
  assert.deepEqual(down.transition, { up: false, reason: 'HTTP status 503 on / after 3 retries' });
  assert.equal(down.nextMs, 5000);
  assert.equal(s.up, false);
  // Down: no retries, every delay_loop.
  assert.deepEqual(s.apply(fail, 0), { nextMs: 5000, transition: null, weightChanged: false });
  // One success brings it up.
  assert.deepEqual(s.apply(ok, 0).transition, { up: true, reason: 'HTTP 200 on /' });
  assert.equal(s.failures, 0);
});

test('a success between failures resets the retries', () => {
  const s = new CheckState(http({ retry: 1 }));
  s.apply(fail, 0);
  s.apply(ok, 0);
  assert.equal(s.retriesUsed, 0);
  assert.equal(s.apply(fail, 0).transition, null);
  assert.equal(s.apply(fail, 0).transition?.reason, 'HTTP status 503 on / after 1 retry');
});

test('retry 0 fails at once; alpha starts down', () => {
  assert.equal(new CheckState(http({ retry: 0 })).apply(fail, 0).transition?.reason, 'HTTP status 503 on /');
  const a = new CheckState(http({ alpha: true }));
  assert.equal(a.up, false);
  assert.equal(a.apply(fail, 0).transition, null);
  assert.equal(a.apply(ok, 0).transition?.up, true);
});

test('worst-case detection time is delay_loop + connect_timeout × (retry+1) + delay_before_retry × retry', () => {
  // Every attempt times out (takes connect_timeout); the failure starts right after a passing attempt.
  const c = http({ delay_loop: 3, connect_timeout: 2, retry: 2, delay_before_retry: 0.5 });
  const s = new CheckState(c);
  let t = s.apply(ok, 0).nextMs; // next attempt starts delay_loop after the last success
  for (;;) {
    t += c.connect_timeout * 1000;
    const a = s.apply({ ...fail, latencyMs: c.connect_timeout * 1000 }, t);
    if (a.transition) break;
    t += a.nextMs;
  }
  assert.equal(t, 3000 + 2000 * 3 + 500 * 2);
});

test('misc_dynamic weight changes are reported, and cleared by a plain success', () => {
  const s = new CheckState({ ...http(), type: 'MISC_CHECK', misc_path: 'x', misc_timeout: 1, misc_dynamic: true } as Check);
  assert.equal(s.apply({ ...ok, weight: 10 }, 0).weightChanged, true);
  assert.equal(s.weight, 10);
  assert.equal(s.apply({ ...ok, weight: 10 }, 0).weightChanged, false);
  assert.equal(s.apply(ok, 0).weightChanged, true);
  assert.equal(s.weight, undefined);
});

test('reconfigure keeps state and clamps retries to the new retry', () => {
  const s = new CheckState(http({ retry: 5 }));
  s.apply(fail, 0); s.apply(fail, 0); s.apply(fail, 0);
  s.reconfigure(http({ retry: 1 }));
  assert.equal(s.retriesUsed, 1);
  assert.equal(s.up, true);
  assert.equal(s.apply(fail, 0).transition?.up, false, 'one more failure is enough');
});

test('check identity ignores timing, not what is probed', () => {
  const base = checkIdentity(http());
  assert.equal(checkIdentity(http({ delay_loop: 1, retry: 9, connect_timeout: 1, delay_before_retry: 3, warmup: 0, alpha: true })), base);
  assert.notEqual(checkIdentity(http({ connect_port: 8080 })), base);
  assert.notEqual(checkIdentity(http({ url: [{ path: '/health', status_code: [[200, 299]], regex_no_match: false }] })), base);
  assert.notEqual(checkIdentity(http({ type: 'SSL_GET' })), base);
});
