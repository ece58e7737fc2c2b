import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/sim/clock.js';
import { seededRandom, sample } from '../../src/sim/random.js';
import { formatDuration, parseDuration } from '../../src/sim/duration.js';

test('virtual clock fires timers in due order, ties in insertion order', () => {
  const c = new VirtualClock(0);
  const got: string[] = [];
  c.setTimeout(() => got.push('b'), 20);
  c.setTimeout(() => got.push('a'), 10);
  c.setTimeout(() => got.push('c'), 20);
  const cancelled = c.setTimeout(() => got.push('x'), 15);
  cancelled.cancel();
  assert.equal(c.pending(), 3);
  while (c.nextDue() !== undefined) {
    c.advanceTo(c.nextDue()!);
    c.fireDue();
  }
  assert.deepEqual(got, ['a', 'b', 'c']);
  assert.equal(c.now(), 20);
  assert.equal(c.pending(), 0);
});

test('virtual clock: a timer set for now by a firing timer fires in the same fireDue', () => {
  const c = new VirtualClock(100);
  const got: number[] = [];
  c.setTimeout(() => {
    got.push(1);
    c.setTimeout(() => got.push(2), 0);
  }, 0);
  assert.equal(c.fireDue(), 2);
  assert.deepEqual(got, [1, 2]);
  assert.equal(c.now(), 100);
});

test('seeded random replays exactly and differs between seeds', () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const c = seededRandom(43);
  const xs = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(
    xs,
    Array.from({ length: 5 }, () => b.next()),
  );
  assert.notDeepEqual(
    xs,
    Array.from({ length: 5 }, () => c.next()),
  );
  for (const x of xs) assert.ok(x >= 0 && x < 1);
});

test('distributions stay in range and never go negative', () => {
  const rng = seededRandom(1);
  for (let i = 0; i < 200; i++) {
    const u = sample({ kind: 'uniform', minMs: 1000, maxMs: 2000 }, rng);
    assert.ok(u >= 1000 && u <= 2000);
    assert.ok(sample({ kind: 'normal', meanMs: 100, stddevMs: 500 }, rng) >= 0);
    assert.ok(sample({ kind: 'exponential', meanMs: 100 }, rng) >= 0);
  }
  assert.equal(sample({ kind: 'fixed', ms: 7 }, rng), 7);
});

test('durations parse and format', () => {
  const table: [unknown, number | undefined][] = [
    ['90s', 90_000],
    ['1m30s', 90_000],
    ['250ms', 250],
    ['2h', 7_200_000],
    [5, 5000],
    ['1.5s', 1500],
    ['5 minutes', undefined],
    ['-1s', undefined],
    [null, undefined],
  ];
  for (const [input, want] of table) assert.equal(parseDuration(input), want, String(input));
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(185_000), '3m05s');
  assert.equal(formatDuration(3_720_000), '1h02m');
  assert.equal(formatDuration(850), '850ms');
});
