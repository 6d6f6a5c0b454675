import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckScheduler, spreadStarts, type Task } from '../../src/health/scheduler.js';

test('first attempts are spread evenly over the warmup (one per slice)', () => {
  const n = 1000;
  const starts = spreadStarts(Array(n).fill(1000));
  const slices = new Array(10).fill(0);
  for (const s of starts) {
    assert.ok(s >= 0 && s < 1000);
    slices[Math.floor(s / 100)]++;
  }
  assert.deepEqual(slices, new Array(10).fill(100));
  // Not the same pattern every time.
  assert.notDeepEqual(spreadStarts(Array(10).fill(1000)), spreadStarts(Array(10).fill(1000)));
  assert.deepEqual(spreadStarts([0, 0]), [0, 0]);
});

class SlowTask implements Task {
  static running = 0;
  static peak = 0;
  runs = 0;
  constructor(readonly usesProcess: boolean, private readonly ms: number) {}
  async execute(): Promise<void> {
    SlowTask.running++;
    SlowTask.peak = Math.max(SlowTask.peak, SlowTask.running);
    await sleep(this.ms);
    this.runs++;
    SlowTask.running--;
  }
}

test('in-flight attempts are bounded; queued ones run as slots free, and the wait shows as lag', { timeout: 10_000 }, async () => {
  const s = new CheckScheduler({ sockets: 4, processes: 1 });
  const tasks = Array.from({ length: 12 }, () => new SlowTask(false, 50));
  for (const t of tasks) s.add(t).runIn(0);
  await sleep(20);
  assert.equal(s.stats().in_flight, 4);
  // Three waves of 50 ms; poll rather than guess how long a loaded machine needs.
  for (const end = Date.now() + 5000; tasks.some((t) => t.runs === 0) && Date.now() < end;) await sleep(20);
  await sleep(20);
  assert.equal(SlowTask.peak, 4);
  assert.deepEqual(tasks.map((t) => t.runs), new Array(12).fill(1));
  const st = s.stats();
  assert.equal(st.in_flight, 0);
  assert.equal(st.queued, 0);
  assert.ok(st.max_lag_ms >= 90, `lag ${st.max_lag_ms}`);
});

test('a slow task does not delay the others; scripts have their own bound', { timeout: 10_000 }, async () => {
  const s = new CheckScheduler({ sockets: 10, processes: 1 });
  const slow = new SlowTask(true, 1000);
  const script2 = new SlowTask(true, 10);
  const fast = new SlowTask(false, 10);
  s.add(slow).runIn(0);
  s.add(script2).runIn(0);
  s.add(fast).runIn(0);
  await sleep(100);
  assert.equal(fast.runs, 1, 'socket check ran while a script was slow');
  assert.equal(script2.runs, 0, 'second script waits for the script slot');
  assert.equal(s.stats().queued, 1);
});

test('cancel removes a pending or queued run', { timeout: 10_000 }, async () => {
  const s = new CheckScheduler({ sockets: 1, processes: 1 });
  const a = new SlowTask(false, 100), b = new SlowTask(false, 10), c = new SlowTask(false, 10);
  s.add(a).runIn(0);
  const hb = s.add(b);
  hb.runIn(10);
  const hc = s.add(c);
  hc.runIn(0);
  await sleep(30);
  hb.cancel(); // queued behind a
  hc.cancel(); // queued too
  await sleep(200);
  assert.deepEqual([a.runs, b.runs, c.runs], [1, 0, 0]);
  hb.runIn(0); // cancelled handles stay cancelled
  await sleep(30);
  assert.equal(b.runs, 0);
});
