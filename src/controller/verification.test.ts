/**
 * Verification mode (verifySync): an incremental plan that differs from the full reconcile
 * stops the sync with a SyncVerificationError naming the plan path and both values, and the test
 * harness fails the test that is waiting on the controller, not a later one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Plan } from '../engine/types.js';
import type { IncrementalPlanner } from './fastplan.js';
import { formatDifference, SyncVerificationError } from './plancompare.js';
import { dsFoo, harness, node } from './testing.js';

test('verification: a differing incremental plan fails the waiting test with the path and both values', async () => {
  const h = harness({ verifySync: true });
  await h.cluster.create('Node', node('node-1'));
  await h.controller.start();
  await h.cluster.create('DaemonSet', dsFoo());
  await h.settle();
  // Break the incremental planner: every create it plans gets a reason of its own.
  const planner = (h.controller as unknown as { incremental: IncrementalPlanner }).incremental;
  const plan = planner.plan.bind(planner);
  planner.plan = (...args) => {
    const p = plan(...args);
    if (typeof p === 'string') return p;
    return {
      ...p,
      creates: p.creates.map((c) => ({ ...c, pod: c.pod, reason: 'made up' })),
    } satisfies Plan;
  };
  await h.cluster.create('Node', node('node-2'));
  await assert.rejects(h.settle(), (err: unknown) => {
    assert.ok(err instanceof SyncVerificationError, String(err));
    assert.equal(err.key, 'default/foo');
    assert.equal(err.difference.path, 'plan.creates[0].reason');
    assert.equal(err.difference.incremental, 'made up');
    assert.equal(err.difference.full, 'no daemon pod on an eligible node');
    assert.match(
      err.message,
      /plan\.creates\[0\]\.reason\n {2}incremental: "made up"\n {2}full: +"no daemon/,
    );
    return true;
  });
  await h.controller.stop();
});

test('verification: a difference is shown as the path, then each side', () => {
  const text = formatDifference({ path: 'plan.deletes.length', incremental: 1, full: 2 });
  assert.equal(text, 'plan.deletes.length\n  incremental: 1\n  full:        2');
});
