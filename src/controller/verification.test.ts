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
import { STRATEGY_ANNOTATION } from '../api/rolloutkeys.js';
import { bindAll, dsFoo, harness, kubeletStep, node } from './testing.js';

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

test('sync paths: each sync is counted as incremental or full with its reason, and reported', async () => {
  const seen: string[] = [];
  const h = harness({ onSyncPath: (path, reason) => seen.push(`${path}:${reason}`) });
  await h.cluster.create('Node', node('node-1'));
  await h.controller.start();
  await h.cluster.create('DaemonSet', dsFoo());
  await h.settle();
  const paths = h.controller.stats().syncPaths;
  // The first sync writes the first revision: a history write is the full reconcile's.
  assert.equal(paths.full.historyWrite, 1);
  assert.ok(paths.incremental >= 1, JSON.stringify(paths));
  assert.equal(seen[0], 'full:historyWrite');
  assert.ok(seen.includes('incremental:'));
  assert.equal(seen.length, paths.incremental + paths.full.historyWrite);
  const off = harness({ incrementalSync: false });
  await off.cluster.create('Node', node('node-1'));
  await off.controller.start();
  await off.cluster.create('DaemonSet', dsFoo());
  await off.settle();
  assert.equal(off.controller.stats().syncPaths.incremental, 0);
  assert.ok(off.controller.stats().syncPaths.full.disabled > 0);
  await h.controller.stop();
  await off.controller.stop();
});

test('sync paths: a new DaemonSet with a canary is created incrementally (its stable revision is inferred from the kept pods, none yet)', async () => {
  const seen: string[] = [];
  const h = harness({
    verifySync: true,
    onSyncPath: (path, reason) => seen.push(`${path}:${reason}`),
  });
  for (const n of ['node-1', 'node-2', 'node-3']) await h.cluster.create('Node', node(n));
  await h.controller.start();
  const ds = dsFoo();
  await h.cluster.create('DaemonSet', {
    ...ds,
    metadata: {
      ...ds.metadata,
      annotations: {
        [STRATEGY_ANNOTATION]: JSON.stringify({ rollingUpdate: { canary: { count: 1 } } }),
      },
    },
  });
  for (let i = 0; i < 4; i++) {
    await bindAll(h.cluster);
    await kubeletStep(h.cluster, h.clock);
    await h.settle();
  }
  const paths = h.controller.stats().syncPaths;
  // Before, every sync of the creation declined as stableUnknown and ran the full reconcile.
  assert.equal(paths.full.stableUnknown, 0, seen.join(' '));
  assert.equal(paths.full.historyWrite, 1, seen.join(' '));
  assert.ok(paths.incremental >= 2, seen.join(' '));
  assert.equal((await h.cluster.list('Pod')).items.length, 3);
  await h.controller.stop();
});

test('sync paths: an incremental planner that throws hands the sync to the full reconcile (plannerError)', async () => {
  const h = harness();
  await h.cluster.create('Node', node('node-1'));
  await h.controller.start();
  await h.cluster.create('DaemonSet', dsFoo());
  await h.settle();
  const planner = (h.controller as unknown as { incremental: IncrementalPlanner }).incremental;
  planner.plan = () => {
    throw new Error('unreadable');
  };
  await h.cluster.create('Node', node('node-2'));
  await h.settle();
  assert.ok(h.controller.stats().syncPaths.full.plannerError > 0);
  assert.equal((await h.pods()).length, 2, 'the full reconcile created the pod');
  await h.controller.stop();
});
