import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Mutable, Node, Taint } from '../api/types.js';
import { Harness } from '../../test/harness/harness.js';
import { dsWith, newNode, newNodes, sec, type StrategySpec } from '../../test/harness/fixtures.js';
import { reconcile } from './reconcile.js';

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

test('reconcile is pure: a frozen snapshot, the same plan twice', () => {
  const h = new Harness({ ds: dsWith({ type: 'RollingUpdate' }), nodes: newNodes(3) });
  h.addOwnedPod('node-0', { phase: 'Failed' });
  h.addOwnedPod('node-1', { hash: 'old', readySince: sec(0) });
  const snap = deepFreeze(h.snapshot());
  const a = reconcile(snap, { mode: 'live' });
  const b = reconcile(snap, { mode: 'live' });
  assert.deepEqual(a, b);
  assert.ok(a.creates.length > 0 && a.deletes.length > 0);
});

test('live mode: no rolling update while manage writes; created pods not counted in status', () => {
  const h = new Harness({
    ds: dsWith({ type: 'RollingUpdate', maxUnavailable: 1 }),
    nodes: newNodes(3),
  });
  h.addOwnedPod('node-0', { hash: 'old', readySince: sec(0) });
  h.addOwnedPod('node-1', { hash: 'old', readySince: sec(0) });
  const live = reconcile(h.snapshot(), { mode: 'live' });
  assert.deepEqual(
    [live.creates.length, live.deletes.length, live.rollingUpdateRan],
    [1, 0, false],
  );
  assert.equal(live.status.currentNumberScheduled, 2);
  const harness = reconcile(h.snapshot(), { mode: 'harness' });
  assert.equal(harness.rollingUpdateRan, true);
  assert.equal(harness.status.currentNumberScheduled, 3);
  assert.equal(harness.deletes.length, 0, 'the new, unready pod uses up maxUnavailable');
  // Once the create is observed, the live rolling update runs.
  h.sync();
  h.bindAll();
  h.markAllReady();
  const next = reconcile(h.snapshot(), { mode: 'live' });
  assert.equal(next.rollingUpdateRan, true);
  assert.equal(next.deletes.length, 1);
  assert.equal(next.deletes[0]?.source, 'rollingUpdate');
});

test('expectations unsatisfied: history and status only, observedGeneration kept', () => {
  const h = new Harness({ ds: dsWith({ type: 'OnDelete' }), nodes: newNodes(2) });
  const p = reconcile(h.snapshot(), { mode: 'live', expectationsSatisfied: false });
  assert.deepEqual([p.creates.length, p.deletes.length, p.rollingUpdateRan], [0, 0, false]);
  assert.ok(p.history?.createRevision, 'the first revision is still planned');
  assert.equal(p.status.observedGeneration, undefined);
  assert.equal(p.status.desiredNumberScheduled, 2);
});

test('node decisions say why, and are empty for a settled node', () => {
  const tainted = newNode('tainted', { taints: [{ key: 'x', effect: 'NoExecute' }] });
  const h = new Harness({
    ds: dsWith({ type: 'RollingUpdate' }),
    nodes: [...newNodes(2), tainted],
  });
  h.addOwnedPod('node-0', { readySince: sec(0) });
  const p = h.plan();
  assert.deepEqual(
    p.nodes.map((d) => [d.name, d.shouldRun, d.reason]),
    [
      ['node-0', true, ''],
      ['node-1', true, 'no daemon pod on an eligible node'],
      ['tainted', false, 'taint x:NoExecute is not tolerated'],
    ],
  );
  assert.equal(p.nodes[0]!.pods.length, 1);
});

test('a malformed budget fails the rolling update but still plans status', () => {
  const ds = dsWith({ type: 'RollingUpdate', maxUnavailable: 'five' });
  const h = new Harness({ ds, nodes: newNodes(1) });
  h.addOwnedPod('node-0', { hash: 'old', readySince: sec(0) });
  const p = h.plan();
  assert.match(p.error ?? '', /^rolling update failed: /);
  assert.equal(p.status.desiredNumberScheduled, 1);
});

const STRATEGIES: StrategySpec[] = [
  { type: 'OnDelete' },
  { type: 'RollingUpdate', maxUnavailable: 1 },
  { type: 'RollingUpdate', maxUnavailable: 0, maxSurge: 1 },
];

test('property: the harness converges, never doubles pods without surge, and a converged sync plans nothing', () => {
  const taint = fc.option(
    fc.constantFrom<Taint>({ key: 'a', effect: 'NoSchedule' }, { key: 'b', effect: 'NoExecute' }),
    { nil: undefined },
  );
  fc.assert(
    fc.property(
      fc.array(taint, { maxLength: 6 }),
      fc.constantFrom(...STRATEGIES),
      fc.boolean(),
      (taints, strategy, change) => {
        const nodes: Node[] = taints.map((t, i) => newNode(`n${i}`, t ? { taints: [t] } : {}));
        const h = new Harness({ ds: dsWith(strategy), nodes });
        for (let round = 0; round < 2; round++) {
          let quiet = false;
          for (let i = 0; i < 30 && !quiet; i++) {
            const r = h.sync();
            quiet = r.creates + r.deletes === 0;
            h.bindAll();
            h.markAllReady();
            if (strategy.type === 'OnDelete' || strategy.maxSurge === undefined) {
              for (const n of nodes)
                assert.ok(
                  h.podsOn(n.metadata!.name!).filter((p) => !p.metadata?.deletionTimestamp)
                    .length <= 1,
                );
            }
          }
          assert.ok(quiet, 'converges');
          const again = h.sync();
          assert.deepEqual([again.creates, again.deletes, again.plan.statusChanged], [0, 0, false]);
          if (!change) break;
          h.setTemplate(
            (t) =>
              void ((t.spec as Mutable<NonNullable<typeof t.spec>>).containers[0]!.image =
                'foo/bar:2'),
          );
        }
      },
    ),
    { numRuns: 40 },
  );
});
