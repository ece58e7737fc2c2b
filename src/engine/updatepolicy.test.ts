import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Pod } from '../api/types.js';
import {
  applySelect,
  compareNodeNames,
  defaultUpdatePolicy,
  holdBackLast,
  sortNodeNames,
  type UpdateCandidate,
  type UpdatePolicyContext,
} from './updatepolicy.js';

const ctx: UpdatePolicyContext = {
  ds: {},
  mode: 'maxUnavailable',
  hash: 'h',
  now: 0,
  budget: { desired: 3, maxSurge: 0, maxUnavailable: 1 },
};

function cand(node: string, shouldRun = true): UpdateCandidate {
  const pod: Pod = { metadata: { name: `p-${node}` } };
  return { node, oldPod: pod, shouldRun };
}

test('compareNodeNames: natural order, digit runs by value, stable ties', () => {
  const names = [
    'node-10',
    'node-2',
    'node-1',
    'a',
    'node-02',
    'node-b',
    'node-',
    'n1x',
    'n01x',
    'node-99999999999999999999',
  ];
  const sorted = [...names].sort(compareNodeNames);
  assert.deepEqual(sorted, [
    'a',
    'n01x',
    'n1x',
    'node-',
    'node-1',
    'node-02',
    'node-2',
    'node-10',
    'node-99999999999999999999',
    'node-b',
  ]);
  assert.equal(compareNodeNames('x', 'x'), 0);
  for (const a of names)
    for (const b of names)
      assert.equal(Math.sign(compareNodeNames(a, b)) + Math.sign(compareNodeNames(b, a)), 0);
});

/**
 * The order as first written: split each name into digit and non-digit runs with a regular
 * expression, compare run by run. compareNodeNames walks the names in place instead (no
 * allocation); this keeps the definition it must agree with.
 */
function byRuns(a: string, b: string): number {
  const ca = a.match(/(\d+)|(\D+)/g) ?? [];
  const cb = b.match(/(\d+)|(\D+)/g) ?? [];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      const xs = x.replace(/^0+/, '');
      const ys = y.replace(/^0+/, '');
      if (xs.length !== ys.length) return xs.length - ys.length;
      if (xs !== ys) return xs < ys ? -1 : 1;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  if (ca.length !== cb.length) return ca.length - cb.length;
  return a === b ? 0 : a < b ? -1 : 1;
}

test('compareNodeNames agrees with the run-by-run definition on any names', () => {
  // Digits (zeros often), separators below and above the digits' code units, letters.
  const name = fc.string({
    unit: fc.constantFrom('0', '0', '1', '9', '-', '.', '/', ':', 'a', 'b', 'Z', '_'),
    maxLength: 12,
  });
  fc.assert(
    fc.property(name, name, (a, b) => {
      assert.equal(Math.sign(compareNodeNames(a, b)), Math.sign(byRuns(a, b)), `${a} vs ${b}`);
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.array(name, { maxLength: 30 }), (names) => {
      assert.deepEqual(sortNodeNames([...names]), [...names].sort(byRuns));
    }),
  );
});

test('defaultUpdatePolicy releases every node; holdBackLast(n) holds back the last n', () => {
  assert.equal(defaultUpdatePolicy.released(7), 7);
  assert.equal(holdBackLast(0).released(7), 7);
  assert.equal(holdBackLast(2).released(7), 5);
  assert.equal(holdBackLast(9).released(7), 0);
  assert.throws(() => holdBackLast(-1), RangeError);
  assert.equal(holdBackLast(2).compare, compareNodeNames);
});

test('applySelect: a faulty select cannot exceed the budget, invent or repeat candidates', () => {
  const cs = [cand('node-0'), cand('node-1'), cand('node-2')];
  const greedy = () => [cs[2]!, cs[2]!, cand('intruder'), cs[0]!, cs[1]!];
  assert.deepEqual(
    applySelect(greedy, cs, 2, ctx).map((c) => c.node),
    ['node-2', 'node-0'],
  );
  assert.deepEqual(applySelect(greedy, cs, -3, ctx), []);
});
