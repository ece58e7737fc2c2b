/**
 * Scenarios 41–44 (shared/spec/scenarios.md, section C) as engine decisions: what the engine
 * claims, adopts, releases and ignores. The live re-read of the DaemonSet before the first
 * adoption (41, 43) and the event handlers (45–50) belong to the controller.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { labelSelectorAsSelector } from '../../src/api/labels.js';
import type { ControllerRevision, Mutable, Pod } from '../../src/api/types.js';
import { claimObjects } from '../../src/engine/claim.js';
import { Harness } from '../harness/harness.js';
import {
  BOTH_STRATEGIES,
  L1,
  dsWith,
  newDaemonSet,
  newNodes,
  newOrphanPod,
  newOwnedPod,
  sec,
  strategyName,
} from '../harness/fixtures.js';

const pinned = (p: Pod): string =>
  p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
    ?.nodeSelectorTerms[0]?.matchFields?.[0]?.values?.[0] ?? '';

for (const strategy of BOTH_STRATEGIES) {
  describe(`section C with ${strategyName(strategy)}`, () => {
    test('scenario 41: an orphan is adopted instead of duplicated', () => {
      const orphan = newOrphanPod('node-0', { name: 'orphan', readySince: sec(0) });
      const h = new Harness({ ds: dsWith(strategy), nodes: newNodes(3), pods: [orphan] });
      const r = h.sync();
      assert.deepEqual(
        r.plan.claims.map((c) => [c.kind, c.action, c.name]),
        [['Pod', 'adopt', 'orphan']],
      );
      assert.deepEqual(r.created.map(pinned).sort(), ['node-1', 'node-2']);
      assert.equal(r.deletes, 0);
      assert.equal(h.pod('orphan').metadata?.ownerReferences?.[0]?.uid, 'uid-foo');
      // No hash label: the adopted pod counts as not updated.
      assert.equal(h.ds.status?.updatedNumberScheduled, 2);
      assert.match(r.plan.nodes[0]!.reason, /^pod orphan runs an old revision/);
      h.bindAll();
      h.markAllReady();
      const later = h.sync();
      if (strategy.type === 'RollingUpdate') {
        assert.deepEqual(later.deleted, ['orphan'], 'replaced as an old pod');
        assert.equal(later.plan.deletes[0]?.source, 'rollingUpdate');
      } else {
        assert.equal(later.deletes, 0, 'OnDelete keeps it');
      }
    });

    test('scenario 42a: an orphan being deleted is not adopted', () => {
      const h = new Harness({
        ds: dsWith(strategy),
        nodes: newNodes(1),
        pods: [newOrphanPod('node-0', { name: 'dying', deleting: sec(0) })],
      });
      const r = h.sync();
      assert.deepEqual(r.plan.claims, []);
      assert.equal(r.creates, 1, 'ignored, so node-0 gets its own pod');
      assert.equal(r.deletes, 0);
    });

    test('scenario 42b: a pod controlled by another DaemonSet is ignored', () => {
      const foo2 = newDaemonSet({ name: 'foo2' });
      const h = new Harness({
        ds: dsWith(strategy),
        nodes: newNodes(1),
        pods: [newOwnedPod(foo2, 'node-0')],
      });
      const r = h.sync();
      assert.deepEqual(r.plan.claims, []);
      assert.deepEqual([r.creates, r.deletes], [1, 0]);
    });

    test('scenario 42c: a DaemonSet being deleted neither adopts nor releases', () => {
      const ds = dsWith(
        strategy,
        (d) => void (d.metadata!.deletionTimestamp = '2026-01-01T00:00:00Z'),
      );
      const mislabeled = newOwnedPod(ds, 'node-0', { labels: { other: 'x' } });
      const h = new Harness({ ds, nodes: newNodes(1), pods: [newOrphanPod('node-0'), mislabeled] });
      const r = h.sync();
      assert.equal(r.plan.skip, 'BeingDeleted');
      assert.deepEqual([r.plan.claims.length, r.creates, r.deletes], [0, 0, 0]);
      // The claim rules themselves refuse too, should anything call them.
      const claim = claimObjects(ds, labelSelectorAsSelector(ds.spec!.selector), h.pods, 'Pod');
      assert.deepEqual(claim.actions, []);
    });

    test('scenario 43: the engine plans the adoption the executor must re-check first', () => {
      // The live GET that finds the deletionTimestamp is the controller's; the engine's part is
      // to plan the adoption as a separate ClaimAction, so the executor can fail it and skip
      // the pod writes of the sync.
      const h = new Harness({
        ds: dsWith(strategy),
        nodes: newNodes(5),
        pods: [newOrphanPod('node-0', { name: 'orphan' })],
      });
      const plan = h.plan();
      assert.deepEqual(
        plan.claims.map((c) => [c.action, c.name]),
        [['adopt', 'orphan']],
      );
      assert.equal(plan.creates.length, 4);
    });
  });
}

describe('scenario 44: ControllerRevision adoption is limited to the namespace', () => {
  const ds = newDaemonSet({ name: 'ds1' });
  const rev = (name: string, namespace: string, owned: boolean): Mutable<ControllerRevision> => ({
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace,
      uid: `uid-${namespace}-${name}`,
      labels: { ...L1 },
      ...(owned
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'DaemonSet',
                name: 'ds1',
                uid: 'uid-ds1',
                controller: true,
              },
            ],
          }
        : {}),
    },
    revision: 1,
  });

  test('scenario 44a: an owned and an orphan revision in the namespace are both claimed', () => {
    const claim = claimObjects(
      ds,
      labelSelectorAsSelector(ds.spec!.selector),
      [rev('owned', 'default', true), rev('orphan', 'default', false)],
      'ControllerRevision',
    );
    assert.deepEqual(
      claim.claimed.map((r) => r.metadata?.name),
      ['owned', 'orphan'],
    );
    assert.deepEqual(
      claim.actions.map((a) => [a.kind, a.action, a.name]),
      [['ControllerRevision', 'adopt', 'orphan']],
    );
  });

  test('scenario 44b: an orphan revision in another namespace is neither claimed nor adopted', () => {
    const claim = claimObjects(
      ds,
      labelSelectorAsSelector(ds.spec!.selector),
      [rev('elsewhere', 'other', false)],
      'ControllerRevision',
    );
    assert.deepEqual([claim.claimed, claim.actions], [[], []]);
  });
});
