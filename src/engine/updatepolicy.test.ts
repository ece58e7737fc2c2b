import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../api/types.js';
import {
  applyUpdatePolicy,
  compareNodeNames,
  selectUpdateCandidates,
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

test('selectUpdateCandidates: nodes leaving first, then natural name order, at most budget', () => {
  const cs = [cand('node-10'), cand('node-9'), cand('node-3', false), cand('node-1')];
  assert.deepEqual(
    selectUpdateCandidates(cs, 3, ctx).map((c) => c.node),
    ['node-3', 'node-1', 'node-9'],
  );
  assert.deepEqual(selectUpdateCandidates(cs, 0, ctx), []);
  assert.equal(selectUpdateCandidates(cs, 10, ctx).length, 4);
});

test('applyUpdatePolicy: a faulty policy cannot exceed the budget, invent or repeat candidates', () => {
  const cs = [cand('node-0'), cand('node-1'), cand('node-2')];
  const greedy = () => [cs[2]!, cs[2]!, cand('intruder'), cs[0]!, cs[1]!];
  assert.deepEqual(
    applyUpdatePolicy(greedy, cs, 2, ctx).map((c) => c.node),
    ['node-2', 'node-0'],
  );
  assert.deepEqual(applyUpdatePolicy(greedy, cs, -3, ctx), []);
  // A policy that wraps the default, e.g. a partition keeping node-0 back.
  const partition = (c: readonly UpdateCandidate[], n: number, x: UpdatePolicyContext) =>
    selectUpdateCandidates(
      c.filter((k) => k.node !== 'node-0'),
      n,
      x,
    );
  assert.deepEqual(
    applyUpdatePolicy(partition, cs, 5, ctx).map((c) => c.node),
    ['node-1', 'node-2'],
  );
});
