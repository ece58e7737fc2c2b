import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IntOrPercent, InvalidIntOrStringError, getScaledValue, isPercent } from './intstr.js';

test('getScaledValue: table', () => {
  const rows: [
    value: number | string | undefined,
    total: number,
    roundUp: boolean,
    def: number | undefined,
    want: number,
  ][] = [
    [1, 10, true, undefined, 1],
    [0, 10, true, undefined, 0],
    [200, 3, true, undefined, 200],
    ['50%', 3, true, undefined, 2],
    ['50%', 3, false, undefined, 1],
    ['50%', 2, true, undefined, 1],
    ['100%', 2, true, undefined, 2],
    ['0%', 7, true, undefined, 0],
    ['10%', 0, true, undefined, 0],
    ['33%', 10, true, undefined, 4],
    ['33%', 10, false, undefined, 3],
    ['150%', 10, false, undefined, 15],
    [undefined, 10, true, 1, 1],
  ];
  for (const [value, total, roundUp, def, want] of rows) {
    assert.equal(
      getScaledValue(value, total, roundUp, def),
      want,
      `${String(value)} of ${total} up=${roundUp}`,
    );
  }
});

test('getScaledValue: malformed values throw InvalidIntOrStringError', () => {
  for (const bad of ['5', 'abc', '%', 'x%', '-5%', '1.5%', ' 5%', -1, 1.5, Number.NaN]) {
    assert.throws(() => getScaledValue(bad, 10, true), InvalidIntOrStringError, String(bad));
  }
  assert.throws(() => getScaledValue(undefined, 10, true), InvalidIntOrStringError);
});

test('IntOrPercent factories and isPercent', () => {
  assert.equal(IntOrPercent.int(3), 3);
  assert.equal(IntOrPercent.percent(25), '25%');
  assert.equal(isPercent('25%'), true);
  assert.equal(isPercent(25), false);
  assert.equal(isPercent(undefined), false);
  assert.equal(getScaledValue(IntOrPercent.percent(25), 8, true), 2);
});

test('property: percentages round up >= round down, differ by at most 1, bounded by total for <=100%', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 0, max: 20000 }),
      (n, total) => {
        const up = getScaledValue(`${n}%`, total, true);
        const down = getScaledValue(`${n}%`, total, false);
        assert.ok(up >= down);
        assert.ok(up - down <= 1);
        assert.equal(down, Math.floor((n * total) / 100));
        if (n <= 100) assert.ok(up <= total);
      },
    ),
  );
});

test('property: percentages are monotonic in N', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 299 }),
      fc.integer({ min: 0, max: 20000 }),
      fc.boolean(),
      (n, total, up) => {
        assert.ok(getScaledValue(`${n}%`, total, up) <= getScaledValue(`${n + 1}%`, total, up));
      },
    ),
  );
});
