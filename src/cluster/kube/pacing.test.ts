import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pacer, type PacerClock, type RequestOutcome } from './pacing.js';

/** A manual clock: timers fire in order as advance() passes them. */
function fakeClock(): PacerClock & {
  t: number;
  advance(ms: number): Promise<void>;
  pending(): number;
} {
  let timers: { at: number; fn: () => void; live: boolean }[] = [];
  const c = {
    t: 0,
    now: () => c.t,
    setTimer(fn: () => void, ms: number) {
      const entry = { at: c.t + ms, fn, live: true };
      timers.push(entry);
      return {
        cancel: () => {
          entry.live = false;
        },
      };
    },
    async advance(ms: number) {
      const end = c.t + ms;
      // Callers granted before this call run first, at the current time.
      await new Promise((r) => setImmediate(r));
      for (;;) {
        timers = timers.filter((x) => x.live);
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (next === undefined || next.at > end) break;
        next.live = false;
        c.t = Math.max(c.t, next.at);
        next.fn();
        // Let resolved acquire() callers run before the next timer.
        await new Promise((r) => setImmediate(r));
      }
      c.t = end;
      await new Promise((r) => setImmediate(r));
    },
    pending: () => timers.filter((x) => x.live).length,
  };
  return c;
}

/** Starts n acquires and records the clock time at which each was granted. */
function acquireMany(p: Pacer, clock: { t: number }, n: number): number[] {
  const at: number[] = [];
  for (let i = 0; i < n; i++) void p.acquire().then(() => at.push(clock.t));
  return at;
}

test('a full bucket serves burst at once; waiting callers leave in groups at the average rate', async () => {
  const clock = fakeClock();
  const p = new Pacer({ qps: 20, burst: 30, clock });
  const at = acquireMany(p, clock, 30 + 40);
  await clock.advance(0);
  assert.equal(at.length, 30, 'the burst leaves at once');
  await clock.advance(2000);
  assert.equal(at.length, 70, 'forty more in two seconds at 20 qps');
  // Grouped: at 20 qps and a 200 ms window, four tokens gather before a group leaves (the
  // first group is the one waiter there was when the timer was armed; the last, what is left).
  const later = at.slice(30);
  const groups = new Map<number, number>();
  for (const t of later) groups.set(t, (groups.get(t) ?? 0) + 1);
  const sizes = [...groups.values()];
  assert.deepEqual(sizes, [1, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3]);
  assert.equal(later.at(-1), 2000, 'the last leaves when a one-by-one bucket would send it');
});

test('a lone waiter waits for one token only', async () => {
  const clock = fakeClock();
  const p = new Pacer({ qps: 10, burst: 1, clock });
  await p.acquire();
  const at = acquireMany(p, clock, 1);
  await clock.advance(99);
  assert.equal(at.length, 0);
  await clock.advance(1);
  assert.deepEqual(at, [100]);
});

test('releaseWindowMs 0 hands out one token per 1/qps, as client-go', async () => {
  const clock = fakeClock();
  const p = new Pacer({ qps: 10, burst: 1, clock, releaseWindowMs: 0 });
  const at = acquireMany(p, clock, 4);
  await clock.advance(1000);
  assert.deepEqual(at, [0, 100, 200, 300]);
});

test('callers are served in the order they asked', async () => {
  const clock = fakeClock();
  const p = new Pacer({ qps: 20, burst: 2, clock });
  const order: number[] = [];
  for (let i = 0; i < 9; i++) void p.acquire().then(() => order.push(i));
  await clock.advance(1000);
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
});

test('an idle pacer holds no timer', async () => {
  const clock = fakeClock();
  const p = new Pacer({ qps: 5, burst: 1, clock, adaptive: true });
  await p.acquire();
  const at = acquireMany(p, clock, 1);
  assert.equal(clock.pending(), 1);
  await clock.advance(1000);
  assert.equal(at.length, 1);
  assert.equal(clock.pending(), 0);
});

test('bad settings are refused', () => {
  assert.throws(() => new Pacer({ qps: 0, burst: 1 }), RangeError);
  assert.throws(() => new Pacer({ qps: 1, burst: 0 }), RangeError);
});

const write = (latencyMs: number, status = 201): RequestOutcome => ({
  method: 'POST',
  watch: false,
  status,
  latencyMs,
});

/** Keeps callers waiting and answers each write with latency(t) until `ms` have passed. */
async function drive(
  p: Pacer,
  clock: ReturnType<typeof fakeClock>,
  ms: number,
  latency: (t: number) => number,
): Promise<number> {
  let sent = 0;
  const end = clock.t + ms;
  let queued = 0;
  while (clock.t < end) {
    while (queued < 50) {
      queued++;
      void p.acquire().then(() => {
        queued--;
        sent++;
        p.observe(write(latency(clock.t)));
      });
    }
    await clock.advance(10);
  }
  return sent;
}

test('adaptive: the rate rises while writes are answered quickly, up to maxQps', async () => {
  const clock = fakeClock();
  const p = new Pacer({ qps: 20, burst: 30, clock, adaptive: { maxQps: 400 } });
  assert.equal(p.qps, 20);
  await drive(p, clock, 5000, () => 10);
  assert.equal(p.qps, 400);
  assert.equal(p.stats().burst, 600, 'the burst scales with the rate');
  assert.ok(p.stats().raises > 0);
});

test('adaptive: rising latency brings the rate down, never below qps', async () => {
  const clock = fakeClock();
  const p = new Pacer({ qps: 20, burst: 30, clock, adaptive: { maxQps: 1000 } });
  await drive(p, clock, 2000, () => 10);
  const high = p.qps;
  assert.ok(high > 100, `rose to ${high}`);
  await drive(p, clock, 1000, () => 200);
  assert.ok(p.qps < high / 2, `fell to ${p.qps} from ${high}`);
  await drive(p, clock, 3000, () => 500);
  assert.equal(p.qps, 20);
});

test('adaptive: the latency a rate causes bounds it (the rate settles)', async () => {
  const clock = fakeClock();
  const p = new Pacer({ qps: 20, burst: 30, clock, adaptive: { maxQps: 5000 } });
  // A server that answers in 10 ms up to 300 requests per second, then slows with the rate.
  const rates: number[] = [];
  await drive(p, clock, 2000, () => (p.qps > 300 ? 10 + (p.qps - 300) : 10));
  for (let i = 0; i < 20; i++) {
    await drive(p, clock, 250, () => (p.qps > 300 ? 10 + (p.qps - 300) : 10));
    rates.push(p.qps);
  }
  assert.ok(Math.max(...rates) < 1000, `rates ${rates.map(Math.round).join(' ')}`);
  assert.ok(Math.min(...rates) >= 20);
});

test('adaptive: a 429 with Retry-After backs off at once and holds every caller meanwhile', async () => {
  const clock = fakeClock();
  const p = new Pacer({ qps: 20, burst: 30, clock, adaptive: { maxQps: 1000 } });
  await drive(p, clock, 2000, () => 10);
  const before = p.qps;
  p.observe({ method: 'POST', watch: false, status: 429, latencyMs: 5, retryAfterMs: 1000 });
  assert.ok(p.qps <= before * 0.5, `${p.qps} after ${before}`);
  const at = acquireMany(p, clock, 1);
  await clock.advance(999);
  assert.equal(at.length, 0, 'nothing leaves during Retry-After');
  await clock.advance(1);
  assert.equal(at.length, 1);
  assert.equal(p.stats().tooManyRequests, 1);
});

test('adaptive: idle for long, the next burst starts at qps again', async () => {
  const clock = fakeClock();
  const p = new Pacer({ qps: 20, burst: 30, clock, adaptive: { maxQps: 1000 } });
  await drive(p, clock, 2000, () => 10);
  assert.ok(p.qps > 20);
  await clock.advance(11_000);
  await p.acquire();
  assert.equal(p.qps, 20);
});

test('fixed: outcomes change nothing', async () => {
  const clock = fakeClock();
  const p = new Pacer({ qps: 20, burst: 30, clock });
  p.observe({ method: 'POST', watch: false, status: 429, latencyMs: 5, retryAfterMs: 1000 });
  await drive(p, clock, 1000, () => 10);
  assert.equal(p.qps, 20);
  assert.equal(p.stats().adaptive, false);
});
