import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../clock/virtual.js';
import {
  ControllerRateLimiter,
  ItemExponentialRateLimiter,
  WorkQueue,
  type WorkQueueMetrics,
} from './workqueue.js';

function counters(): WorkQueueMetrics & {
  adds: number;
  retries: number;
  depthNow: number;
  latencies: number[];
  works: number[];
} {
  return {
    adds: 0,
    retries: 0,
    depthNow: 0,
    latencies: [],
    works: [],
    depth(n) {
      this.depthNow = n;
    },
    add() {
      this.adds++;
    },
    retry() {
      this.retries++;
    },
    latency(ms) {
      this.latencies.push(ms);
    },
    workDuration(ms) {
      this.works.push(ms);
    },
  };
}

test('workqueue: duplicate adds fold into one key, in FIFO order', async () => {
  const m = counters();
  const q = new WorkQueue({ clock: new VirtualClock(), metrics: m });
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.len(), 2);
  assert.equal(m.adds, 3);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
  assert.equal(q.len(), 0);
  assert.equal(q.inFlight(), 2);
});

test('workqueue: a key re-added while processing is handed out again only after done', async () => {
  const q = new WorkQueue({ clock: new VirtualClock() });
  q.add('a');
  const k = await q.get();
  q.add('a');
  assert.equal(q.len(), 0, 'not handed to a second worker while in flight');
  let second: string | undefined;
  const p = q.get().then((x) => (second = x));
  await Promise.resolve();
  assert.equal(second, undefined);
  q.done(k!);
  await p;
  assert.equal(second, 'a');
});

test('workqueue: a waiting get() is woken by add', async () => {
  const q = new WorkQueue({ clock: new VirtualClock() });
  const p = q.get();
  q.add('x');
  assert.equal(await p, 'x');
  assert.equal(q.inFlight(), 1);
});

test('workqueue: addAfter fires on the clock and keeps only the earliest pending delay', async () => {
  const clock = new VirtualClock();
  const q = new WorkQueue({ clock });
  q.addAfter('a', 1000);
  q.addAfter('a', 5000);
  q.addAfter('a', 500);
  assert.equal(q.delayedCount(), 1);
  assert.equal(clock.pending(), 1);
  clock.advance(499);
  assert.equal(q.len(), 0);
  clock.advance(1);
  assert.equal(q.len(), 1);
  assert.equal(q.delayedCount(), 0);
  assert.equal(await q.get(), 'a');
});

test('workqueue: per-key exponential backoff from 5 ms to 1000 s, reset by forget', () => {
  const rl = new ItemExponentialRateLimiter();
  const delays = Array.from({ length: 4 }, () => rl.when('k'));
  assert.deepEqual(delays, [5, 10, 20, 40]);
  for (let i = 0; i < 40; i++) rl.when('k');
  assert.equal(rl.when('k'), 1_000_000);
  assert.equal(rl.when('other'), 5);
  rl.forget('k');
  assert.equal(rl.when('k'), 5);
});

test('workqueue: addRateLimited counts retries and waits the backoff', () => {
  const clock = new VirtualClock();
  const m = counters();
  const q = new WorkQueue({ clock, metrics: m });
  q.addRateLimited('a');
  q.addRateLimited('a'); // second failure: 10 ms, later than the pending 5 ms, so folded
  assert.equal(m.retries, 2);
  assert.equal(q.numRequeues('a'), 2);
  clock.advance(5);
  assert.equal(q.len(), 1);
  q.forget('a');
  assert.equal(q.numRequeues('a'), 0);
});

test('workqueue: latency and work duration are measured on the clock', async () => {
  const clock = new VirtualClock();
  const m = counters();
  const q = new WorkQueue({ clock, metrics: m });
  q.add('a');
  clock.advance(30);
  const k = await q.get();
  assert.equal(m.depthNow, 0);
  clock.advance(7);
  q.done(k!);
  assert.deepEqual(m.latencies, [30]);
  assert.deepEqual(m.works, [7]);
});

test('workqueue: shutdown drains in-flight work, drops queued keys, and rejects new adds', async () => {
  const clock = new VirtualClock();
  const q = new WorkQueue({ clock });
  q.add('a');
  q.add('b');
  q.addAfter('c', 100);
  const k = await q.get();
  const waiting = q.get();
  let drained = false;
  // One key is in flight; a second get() took 'b'. Release it first.
  assert.equal(await waiting, 'b');
  q.done('b');
  const drain = q.shutDownWithDrain().then(() => (drained = true));
  await Promise.resolve();
  assert.equal(drained, false, 'waits for the in-flight key');
  q.add('d');
  assert.equal(q.len(), 0);
  assert.equal(await q.get(), undefined);
  q.done(k!);
  await drain;
  assert.equal(drained, true);
  clock.advance(1000);
  assert.equal(q.len(), 0, 'delayed adds were cancelled');
});

test('workqueue: the overall bucket (10 qps, burst 100) bounds retries across keys', () => {
  const clock = new VirtualClock();
  const rl = new ControllerRateLimiter(clock);
  for (let i = 0; i < 100; i++)
    assert.equal(rl.when(`k${i}`), 5, 'within the burst: the per-key delay');
  assert.equal(rl.when('k100'), 100, 'bucket empty: wait for the next token');
  assert.equal(rl.when('k101'), 200);
  clock.advance(1000);
  assert.equal(rl.when('k102'), 5, '10 tokens refilled after a second');
  assert.equal(rl.retries('k0'), 1);
  rl.forget('k0');
  assert.equal(rl.retries('k0'), 0);
});

test('workqueue: coalesced adds fold into one add after the first call, the window does not slide', async () => {
  const clock = new VirtualClock();
  const q = new WorkQueue({ clock });
  q.addCoalesced('a', 1000);
  clock.advance(600);
  q.addCoalesced('a', 1000);
  assert.equal(q.len(), 0);
  assert.equal(q.delayedCount(), 1);
  clock.advance(400);
  assert.equal(q.len(), 1, 'due 1000 ms after the first call, not the last');
  assert.equal(await q.get(), 'a');
  q.done('a');
  clock.advance(5000);
  assert.equal(q.len(), 0, 'one add for the burst');
  q.addCoalesced('b', 0);
  assert.equal(q.len(), 1, 'no delay: added at once');
});

test('workqueue: a coalesced add is dropped when the key is queued or handed to a worker meanwhile', async () => {
  const clock = new VirtualClock();
  const q = new WorkQueue({ clock });
  q.add('a');
  q.addCoalesced('a', 1000);
  assert.equal(q.delayedCount(), 0, 'already waiting for a worker: that sync reads the caches');
  assert.equal(await q.get(), 'a');
  q.addCoalesced('a', 1000);
  assert.equal(q.delayedCount(), 1, 'in flight: its sync may have read the caches already');
  q.done('a');
  q.add('a');
  assert.equal(await q.get(), 'a');
  assert.equal(q.delayedCount(), 0, 'the sync handed out after the call covers it');
  q.done('a');
  clock.advance(2000);
  assert.equal(q.len(), 0);
});

test('workqueue: coalesced adds leave timed requeues alone and end at shutdown', async () => {
  const clock = new VirtualClock();
  const q = new WorkQueue({ clock });
  q.addAfter('a', 3000);
  q.addCoalesced('a', 1000);
  clock.advance(1000);
  assert.equal(await q.get(), 'a');
  q.done('a');
  assert.equal(q.delayedCount(), 1, 'the timed requeue is still pending');
  clock.advance(2000);
  assert.equal(q.len(), 1);
  assert.equal(await q.get(), 'a');
  q.done('a');
  q.addCoalesced('b', 1000);
  await q.shutDownWithDrain();
  assert.equal(q.delayedCount(), 0);
  clock.advance(1000);
  assert.equal(q.len(), 0);
});

test('processingAges: how long each key held by a worker has been held, on the queue clock', async () => {
  const clock = new VirtualClock();
  const q = new WorkQueue({ clock });
  q.add('a');
  q.add('b');
  assert.equal(await q.get(), 'a');
  clock.advance(300);
  assert.equal(await q.get(), 'b');
  clock.advance(200);
  assert.deepEqual(
    q.processingAges().sort((x, y) => x - y),
    [200, 500],
  );
  q.done('a');
  assert.deepEqual(q.processingAges(), [200]);
  q.done('b');
  assert.deepEqual(q.processingAges(), []);
});
