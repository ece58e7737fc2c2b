import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../api/types.js';
import {
  applySelect,
  compareNodeNames,
  defaultUpdatePolicy,
  holdBackLast,
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
