import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBucket, type RateClock } from './ratelimit.js';

function fakeClock(): RateClock & { t: number } {
  const c = {
    t: 0,
    now: () => c.t,
    sleep: (ms: number) => {
      c.t += ms;
      return Promise.resolve();
    },
  };
  return c;
}

test('a full bucket serves `burst` calls at once, then one per 1/qps seconds', async () => {
  const clock = fakeClock();
  const b = new TokenBucket(20, 30, clock);
  for (let i = 0; i < 30; i++) await b.acquire();
  assert.equal(clock.t, 0);
  await b.acquire();
  assert.ok(Math.abs(clock.t - 50) < 1e-6, `waited ${clock.t} ms, want 50`);
  for (let i = 0; i < 20; i++) await b.acquire();
  assert.ok(Math.abs(clock.t - 1050) < 1e-6, `waited ${clock.t} ms, want 1050`);
});

test('concurrent callers are served in order', async () => {
  const clock = fakeClock();
  const b = new TokenBucket(10, 1, clock);
  const order: number[] = [];
  await Promise.all([0, 1, 2].map((i) => b.acquire().then(() => order.push(i))));
  assert.deepEqual(order, [0, 1, 2]);
  assert.ok(Math.abs(clock.t - 200) < 1e-6);
});

test('bad settings are refused', () => {
  assert.throws(() => new TokenBucket(0, 1), RangeError);
  assert.throws(() => new TokenBucket(1, 0), RangeError);
});
