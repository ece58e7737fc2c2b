import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet, IntOrString } from '../api/types.js';
import { allowsSurge, InvalidBudgetError, resolveBudget } from './budget.js';

function ds(
  rollingUpdate: { maxUnavailable?: IntOrString; maxSurge?: IntOrString } | null,
  type = 'RollingUpdate',
): DaemonSet {
  return {
    metadata: { name: 'foo', namespace: 'default' },
    spec: {
      selector: { matchLabels: { a: 'b' } },
      template: {
        metadata: { labels: { a: 'b' } },
        spec: { containers: [{ name: 'c', image: 'i' }] },
      },
      updateStrategy: rollingUpdate === null ? { type } : { type, rollingUpdate },
    },
  };
}

// Scenario 66 rows: desired, strategy, expected maxSurge and maxUnavailable.
const rows: readonly [string, number, DaemonSet, number, number][] = [
  ['0 nodes, maxUnavailable 0', 0, ds({ maxUnavailable: 0 }), 0, 0],
  ['2 nodes, maxUnavailable 1', 2, ds({ maxUnavailable: 1 }), 0, 1],
  ['2 nodes, maxUnavailable 0, surge unset: fallback', 2, ds({ maxUnavailable: 0 }), 0, 1],
  [
    '2 nodes, maxUnavailable 0, maxSurge 0: fallback',
    2,
    ds({ maxUnavailable: 0, maxSurge: 0 }),
    0,
    1,
  ],
  ['2 nodes, maxUnavailable 50%', 2, ds({ maxUnavailable: '50%' }), 0, 1],
  ['2 nodes, maxSurge 50%', 2, ds({ maxUnavailable: 0, maxSurge: '50%' }), 1, 0],
  ['2 nodes, maxSurge 100%', 2, ds({ maxUnavailable: 0, maxSurge: '100%' }), 2, 0],
  ['3 nodes, maxUnavailable 50% rounds up', 3, ds({ maxUnavailable: '50%' }), 0, 2],
];

for (const [name, desired, d, surge, unavailable] of rows) {
  test(`scenario 66: budget arithmetic, ${name}`, () => {
    assert.deepEqual(resolveBudget(d, desired), {
      desired,
      maxSurge: surge,
      maxUnavailable: unavailable,
    });
  });
}

test('budget: OnDelete and a missing rollingUpdate give no budget but the fallback', () => {
  assert.deepEqual(resolveBudget(ds(null, 'OnDelete'), 4), {
    desired: 4,
    maxSurge: 0,
    maxUnavailable: 1,
  });
  assert.deepEqual(resolveBudget(ds(null), 4), { desired: 4, maxSurge: 0, maxUnavailable: 1 });
  assert.deepEqual(resolveBudget(ds(null), 0), { desired: 0, maxSurge: 0, maxUnavailable: 0 });
});

test('budget: an absent maxUnavailable counts as its default 1; integers are not capped by desired', () => {
  assert.equal(resolveBudget(ds({ maxSurge: 0 }), 5).maxUnavailable, 1);
  assert.equal(resolveBudget(ds({ maxUnavailable: 10 }), 5).maxUnavailable, 10);
  assert.equal(resolveBudget(ds({ maxUnavailable: '0%', maxSurge: '1%' }), 5).maxSurge, 1);
});

test('budget: a malformed value throws an error naming the field', () => {
  assert.throws(
    () => resolveBudget(ds({ maxUnavailable: 'abc' }), 3),
    (err: unknown) =>
      err instanceof InvalidBudgetError &&
      err.field === 'spec.updateStrategy.rollingUpdate.maxUnavailable' &&
      err.message.includes('spec.updateStrategy.rollingUpdate.maxUnavailable') &&
      err.message.includes('"abc"'),
  );
  assert.throws(
    () => resolveBudget(ds({ maxUnavailable: 0, maxSurge: '5' }), 3),
    (err: unknown) =>
      err instanceof InvalidBudgetError &&
      err.field === 'spec.updateStrategy.rollingUpdate.maxSurge',
  );
  assert.throws(() => resolveBudget(ds({ maxUnavailable: -1 }), 3), InvalidBudgetError);
});

test('allowsSurge: any non-zero maxSurge scaled against one node; malformed allows none', () => {
  assert.equal(allowsSurge(ds({ maxUnavailable: 0, maxSurge: 1 })), true);
  assert.equal(allowsSurge(ds({ maxUnavailable: 0, maxSurge: '1%' })), true);
  assert.equal(allowsSurge(ds({ maxUnavailable: 1, maxSurge: 0 })), false);
  assert.equal(allowsSurge(ds({ maxUnavailable: 1 })), false);
  assert.equal(allowsSurge(ds({ maxUnavailable: 0, maxSurge: 'x' })), false);
  assert.equal(allowsSurge(ds({ maxUnavailable: 0, maxSurge: 2 }, 'OnDelete')), false);
});
