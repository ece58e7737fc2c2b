/**
 * engine/removals.ts and the removal times' bookkeeping (rolloutrecord.unionTimes): several
 * removals can share a second, and the same removals are kept in more than one place (the CRD's
 * status or each apps/v1 revision's record, and the controller's memory), so merging must keep
 * multiplicity without double counting. Found by examples/rollout/removal-budget.yaml: a
 * set-based merge turned two removals in one second into one, and the budget let every pod go.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node, Pod } from '../api/types.js';
import type { Eligibility } from './eligibility.js';
import { budgetRemovals } from './removals.js';
import { unionTimes } from './rolloutrecord.js';

test('unionTimes: a multiset union (most copies of each time), ascending', () => {
  assert.deepEqual(unionTimes([5, 1, 1], [1, 1, 3]), [1, 1, 3, 5]);
  assert.deepEqual(unionTimes([2, 2], [2], [2, 2, 2]), [2, 2, 2]);
  assert.deepEqual(unionTimes(), []);
});

const GONE: Eligibility = { shouldRun: false, shouldContinueRunning: false, reason: 'pool' };
const node = (name: string, deleting = false): Node => ({
  metadata: { name, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
});
const pod = (name: string, phase = 'Running'): Pod => ({ metadata: { name }, status: { phase } });

function plan(recent: number[], now: number) {
  const nodes = ['a', 'b', 'c', 'd'].map((n) => node(n));
  return budgetRemovals({
    budget: { maxRemovals: 2, periodSeconds: 60, delaySeconds: 0 },
    deletes: nodes.map((n) => ({
      pod: pod(`p-${n.metadata!.name!}`),
      node: n.metadata!.name!,
      reason: 'x',
    })),
    nodes,
    eligibilityAt: nodes.map(() => GONE),
    nodeToPods: new Map(nodes.map((n) => [n.metadata!.name!, [pod('p')]])),
    since: new Map(),
    recent,
    now,
  });
}

test('two removals in one second fill a budget of 2 for the whole period', () => {
  const first = plan([], 1_000_000);
  assert.deepEqual(
    first.deletes.map((d) => d.node),
    ['a', 'b'],
  );
  assert.deepEqual(first.recent, [1_000_000, 1_000_000]);
  assert.equal(first.pending, 2);
  // The same times from status and from memory: still two, so nothing more goes.
  const again = plan(unionTimes(first.recent, first.recent), 1_030_000);
  assert.deepEqual(again.deletes, []);
  assert.equal(again.requeueAt, 1_060_000);
  assert.deepEqual(
    plan(first.recent, 1_060_000).deletes.map((d) => d.node),
    ['a', 'b'],
  );
});

test('exempt: a deleted node and a terminal pod go at once and use no budget', () => {
  const nodes = [node('a', true), node('b'), node('c')];
  const r = budgetRemovals({
    budget: { maxRemovals: 1, periodSeconds: 60, delaySeconds: 30 },
    deletes: [
      { pod: pod('pa'), node: 'a', reason: 'x' },
      { pod: pod('pb', 'Failed'), node: 'b', reason: 'x' },
      { pod: pod('pc'), node: 'c', reason: 'x' },
    ],
    nodes,
    eligibilityAt: nodes.map(() => GONE),
    nodeToPods: new Map(),
    since: new Map(),
    recent: [],
    now: 0,
  });
  assert.deepEqual(
    r.deletes.map((d) => d.pod.metadata?.name),
    ['pa', 'pb'],
  );
  assert.deepEqual([...r.deferred], ['c']);
  assert.deepEqual(r.recent, []);
  assert.equal(r.events[0]?.reason, 'RemovalDeferred');
});
