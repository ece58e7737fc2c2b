/**
 * Scenarios 21–33 (shared/spec/scenarios.md, section B: manage) as engine decisions through the
 * harness model. 34–40 (burst cap, slow start, expectations, error precedence) are the
 * executor's and the controller's, and are tested there.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { labelSelectorAsSelector } from '../../src/api/labels.js';
import type { Mutable, Pod } from '../../src/api/types.js';
import { claimObjects } from '../../src/engine/claim.js';
import { isInBackoff } from '../../src/engine/manage.js';
import { buildNodeToDaemonPods } from '../../src/engine/nodepods.js';
import { Harness } from '../harness/harness.js';
import {
  BOTH_STRATEGIES,
  L1,
  L2,
  NL1,
  dsWith,
  newDaemonSet,
  newNode,
  newNodes,
  newOrphanPod,
  newOwnedPod,
  sec,
  statusTuple,
  strategyName,
  type StrategySpec,
} from '../harness/fixtures.js';

const SURGE: StrategySpec = { type: 'RollingUpdate', maxUnavailable: 0, maxSurge: 1 };

const pinned = (p: Pod): string =>
  p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
    ?.nodeSelectorTerms[0]?.matchFields?.[0]?.values?.[0] ?? '';
const createdOn = (pods: readonly Pod[]): string[] => pods.map(pinned).sort();

function addPods(h: Harness, node: string, n: number, labels = L1): Pod[] {
  return Array.from({ length: n }, () =>
    h.addOwnedPod(node, { labels, hash: labels === L1 ? undefined : '' }),
  );
}

function countByNode(names: readonly string[], before: readonly Pod[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of names) {
    const node = before.find((p) => p.metadata?.name === name)?.spec?.nodeName ?? '?';
    out[node] = (out[node] ?? 0) + 1;
  }
  return out;
}

for (const strategy of [...BOTH_STRATEGIES, SURGE]) {
  describe(`scenario 21 with ${strategyName(strategy)}`, () => {
    test('scenario 21: fill the gaps, prune the extras, release mislabeled pods', () => {
      const h = new Harness({ ds: dsWith(strategy), nodes: newNodes(5) });
      addPods(h, 'node-1', 1);
      addPods(h, 'node-2', 2);
      addPods(h, 'node-3', 5);
      const mislabeled = addPods(h, 'node-4', 2, L2);
      const before = [...h.pods];
      const r = h.sync();
      assert.deepEqual(
        r.plan.claims.map((c) => [c.action, c.name]),
        mislabeled.map((p) => ['release', p.metadata?.name]),
      );
      assert.deepEqual(createdOn(r.created), ['node-0', 'node-4']);
      assert.equal(r.deletes, 5);
      assert.deepEqual(countByNode(r.deleted, before), { 'node-2': 1, 'node-3': 4 });
      for (const p of mislabeled) assert.equal(h.pod(p).metadata?.ownerReferences?.length, 0);
    });
  });
}

for (const strategy of BOTH_STRATEGIES) {
  describe(`section B with ${strategyName(strategy)}`, () => {
    const selected = () => [...newNodes(5), ...newNodes(5, { labels: NL1 }, 'node-', 5)];
    const withSelector = () =>
      new Harness({
        ds: dsWith(strategy, (d) => void (d.spec!.template.spec!.nodeSelector = { ...NL1 })),
        nodes: selected(),
      });

    test('scenario 22a: node selector with pods on selected and unselected nodes', () => {
      const h = withSelector();
      addPods(h, 'node-0', 2, L2);
      addPods(h, 'node-1', 3);
      addPods(h, 'node-1', 1, L2);
      addPods(h, 'node-4', 1);
      const before = [...h.pods];
      const r = h.sync();
      assert.deepEqual(createdOn(r.created), ['node-5', 'node-6', 'node-7', 'node-8', 'node-9']);
      assert.deepEqual(countByNode(r.deleted, before), { 'node-1': 3, 'node-4': 1 });
      assert.equal(r.plan.claims.filter((c) => c.action === 'release').length, 3);
      assert.match(
        r.plan.deletes[0]!.reason,
        /^node no longer eligible: nodeSelector wants color=blue; node has no label color$/,
      );
    });

    test('scenario 22b: node selector with many existing pods', () => {
      const h = withSelector();
      addPods(h, 'node-0', 1);
      addPods(h, 'node-1', 3);
      addPods(h, 'node-1', 2, L2);
      addPods(h, 'node-2', 4);
      addPods(h, 'node-6', 13);
      addPods(h, 'node-7', 4, L2);
      addPods(h, 'node-9', 1);
      addPods(h, 'node-9', 1, L2);
      const before = [...h.pods];
      const r = h.sync();
      assert.deepEqual(createdOn(r.created), ['node-5', 'node-7', 'node-8']);
      assert.equal(r.deletes, 20);
      assert.deepEqual(countByNode(r.deleted, before), {
        'node-0': 1,
        'node-1': 3,
        'node-2': 4,
        'node-6': 12,
      });
      assert.match(
        r.plan.deletes.at(-1)!.reason,
        /^duplicate: node has 13 pods, keeping the oldest /,
      );
    });

    test('scenario 24: failed pods are killed; a replacement follows on the next sync', () => {
      const rows: [number, number, number, number, number][] = [
        // failed, normal, creates, deletes, FailedDaemonPod events
        [0, 1, 0, 0, 0],
        [0, 0, 1, 0, 0],
        [1, 0, 0, 1, 1],
        [1, 3, 0, 3, 1],
      ];
      for (const [failed, normal, creates, deletes, events] of rows) {
        const h = new Harness({ ds: dsWith(strategy), nodes: newNodes(1) });
        for (let i = 0; i < failed; i++)
          h.addOwnedPod('node-0', { name: `failed-${i}`, phase: 'Failed' });
        // Named so that the first sorts first: bound, then creationTimestamp, then name.
        for (let i = 0; i < normal; i++)
          h.addOwnedPod('node-0', { name: `normal-${2 - i}`, created: sec(10) });
        const r = h.sync({ deletes: 'keep' });
        const label = `${failed} failed, ${normal} normal`;
        assert.equal(r.creates, creates, label);
        assert.equal(r.deletes, deletes, label);
        assert.deepEqual(
          r.events.map((e) => [e.type, e.reason]),
          Array.from({ length: events }, () => ['Warning', 'FailedDaemonPod']),
          label,
        );
        if (normal === 3)
          assert.ok(!r.deleted.includes('normal-0'), 'keeps the pod that sorts first');
        if (failed === 1) {
          assert.equal(
            r.events[0]?.message,
            'Found failed daemon pod default/failed-0 on node node-0, will try to kill it',
          );
          assert.equal(r.plan.deletes[0]?.reason, 'failed pod (phase Failed); backoff 1s');
        }
      }
      // Row 3, continued: once the deletion is observed, the next sync creates the replacement.
      const h = new Harness({ ds: dsWith(strategy), nodes: newNodes(1) });
      h.addOwnedPod('node-0', { name: 'failed-0', phase: 'Failed' });
      assert.equal(h.sync().creates, 0);
      assert.equal(h.sync().creates, 1);
    });

    test('scenario 25: back-off when deleting failed pods', () => {
      const cfg = { initialMs: 50, maxMs: 500 };
      // An already observed DaemonSet, so the key (which includes observedGeneration) stays put.
      const ds = dsWith(strategy, (d) => void (d.status!.observedGeneration = 1));
      const h = new Harness({ ds, nodes: newNodes(1), backoffConfig: cfg });
      h.addOwnedPod('node-0', { name: 'failed', phase: 'Failed' });
      const key = 'uid-foo/1/node-0';
      const r1 = h.sync({ deletes: 'keep' });
      assert.deepEqual([r1.creates, r1.deletes, r1.events.length], [0, 1, 1]);
      assert.deepEqual([...h.backoff.keys()], [key]);
      let delay = h.backoff.get(key)!.delayMs;
      assert.ok(delay > 0);
      for (let round = 0; round < 6; round++) {
        const again = h.sync({ deletes: 'keep' });
        assert.deepEqual(
          [again.creates, again.deletes, again.events.length],
          [0, 0, 0],
          `round ${round}`,
        );
        assert.equal(again.plan.requeueAfterMs, delay);
        assert.match(
          again.plan.nodes[0]!.reason,
          /^failed pod failed is kept for .* more \(backoff\)$/,
        );
        const e = h.backoff.get(key)!;
        assert.equal(e.delayMs, delay, 'unchanged while in backoff');
        h.advance(delay - 1);
        assert.ok(isInBackoff(e, h.now, cfg), 'just before the end: still in backoff');
        h.advance(1);
        assert.ok(!isInBackoff(e, h.now, cfg), 'exactly at the end: out of backoff');
        const next = h.sync({ deletes: 'keep' });
        assert.deepEqual(
          [next.deletes, next.events.map((x) => x.reason)],
          [1, ['FailedDaemonPod']],
        );
        const after = h.backoff.get(key)!;
        assert.equal(after.delayMs, Math.min(delay * 2, cfg.maxMs), 'doubles up to the maximum');
        delay = after.delayMs;
      }
      assert.equal(delay, 500);
    });

    for (const phase of ['Succeeded', 'Failed'] as const) {
      test(`scenario 27: ${phase} pods are deleted and replaced`, () => {
        const h = new Harness({ ds: dsWith(strategy), nodes: newNodes(3) });
        h.sync();
        h.bindAll();
        h.markAllReady();
        const victim = h.podsOn('node-1')[0]!;
        h.setPhase(victim, phase);
        const r = h.sync();
        assert.deepEqual(r.deleted, [victim.metadata?.name]);
        const want =
          phase === 'Succeeded' ? ['Normal', 'SucceededDaemonPod'] : ['Warning', 'FailedDaemonPod'];
        assert.deepEqual(
          r.events.map((e) => [e.type, e.reason]),
          [want],
        );
        if (phase === 'Succeeded') {
          assert.equal(
            r.events[0]?.message,
            `Found succeeded daemon pod default/${victim.metadata?.name} on node node-1, will try to delete it`,
          );
        }
        assert.equal(h.sync().creates, 1);
        h.bindAll();
        h.markAllReady();
        h.sync();
        assert.equal(h.activePods().length, 3);
        assert.equal(h.ds.status?.numberReady, 3);
      });
    }

    test('scenario 27: a Succeeded pod held by a finalizer does not block its replacement', () => {
      const h = new Harness({ ds: dsWith(strategy), nodes: newNodes(3) });
      h.sync();
      h.bindAll();
      h.markAllReady();
      const victim = h.podsOn('node-1')[0]!;
      h.setPhase(victim, 'Succeeded');
      const r = h.sync({ deletes: 'keep' });
      assert.deepEqual(r.deleted, [victim.metadata?.name]);
      h.setDeleting(victim);
      const r2 = h.sync({ deletes: 'keep' });
      assert.deepEqual([r2.creates, r2.deletes], [1, 0]);
      assert.equal(pinned(r2.created[0]!), 'node-1');
    });

    test('scenario 28: terminating pods are left alone and block replacement (no surge)', () => {
      const h = new Harness({ ds: dsWith(strategy), nodes: [newNode('node-0', { labels: NL1 })] });
      const pod = h.addOwnedPod('node-0', { deleting: sec(0) });
      const r = h.sync();
      assert.equal(r.creates + r.deletes, 0);
      const s = h.ds.status!;
      assert.deepEqual(
        [s.desiredNumberScheduled, s.currentNumberScheduled, s.numberReady],
        [1, 1, 0],
      );
      assert.equal(
        r.plan.nodes[0]!.reason,
        `pod pending: waiting for the deletion of ${pod.metadata?.name} to finish`,
      );
    });

    test('scenario 30: pods for nodes that do not exist', () => {
      const h = new Harness({ ds: dsWith(strategy), nodes: [newNode('node-0')] });
      h.addOwnedPod('node-0');
      h.addOwnedPod('node-1');
      const unbound = h.addOwnedPod('node-2', { unbound: true });
      const r = h.sync();
      assert.equal(r.creates, 0);
      assert.deepEqual(r.deleted, [unbound.metadata?.name]);
      assert.equal(r.plan.deletes[0]?.reason, 'pod is pinned to node node-2, which does not exist');
      assert.deepEqual(statusTuple(h.ds.status).slice(0, 3), [1, 1, 0]);
    });

    test('scenario 32: empty selector', () => {
      const ds = dsWith(strategy, (d) => {
        d.spec!.selector = {};
        d.spec!.template.spec!.nodeSelector = { foo: 'bar' };
      });
      const h = new Harness({
        ds,
        nodes: [newNode('node1')],
        pods: [newOrphanPod('node1', { labels: { bang: 'boom' } })],
      });
      const statusBefore = structuredClone(h.ds.status);
      for (let i = 0; i < 2; i++) {
        const r = h.sync();
        assert.equal(r.creates + r.deletes, 0);
        assert.deepEqual(
          r.events.map((e) => [e.type, e.reason]),
          [['Warning', 'SelectingAll']],
        );
        assert.equal(r.plan.skip, 'SelectingAll');
        assert.equal(r.plan.statusChanged, false);
      }
      assert.deepEqual(h.ds.status, statusBefore);
      assert.equal(h.revisions.length, 0);
      assert.equal(h.pods.length, 1);
    });

    test('scenario 33: DaemonSet being deleted', () => {
      const ds = dsWith(
        strategy,
        (d) => void (d.metadata!.deletionTimestamp = '2026-01-01T00:00:00Z'),
      );
      const h = new Harness({ ds, nodes: [newNode('node-0')], pods: [newOrphanPod('node-0')] });
      const r = h.sync();
      assert.deepEqual([r.creates, r.deletes, r.events.length, r.plan.claims.length], [0, 0, 0, 0]);
      assert.equal(r.plan.skip, 'BeingDeleted');
      assert.equal(r.plan.statusChanged, false);
      assert.equal(h.revisions.length, 0);
    });
  });
}

test('scenario 31: which pods enter the node→pods map', () => {
  const foo = newDaemonSet();
  const foo2 = newDaemonSet({ name: 'foo2' });
  const pods: Mutable<Pod>[] = [
    newOwnedPod(foo, 'node-0', { name: 'owned-0' }),
    newOwnedPod(foo, 'node-1', { name: 'owned-1' }),
    newOrphanPod('node-0', { name: 'orphan-0' }),
    newOrphanPod('node-1', { name: 'orphan-1' }),
    newOwnedPod(foo, 'node-0', { name: 'succeeded', phase: 'Succeeded' }),
    newOwnedPod(foo, 'node-0', { name: 'failed', phase: 'Failed' }),
    newOwnedPod(foo, 'node-0', { name: 'owned-l2', labels: L2 }),
    newOrphanPod('node-0', { name: 'orphan-l2', labels: L2 }),
    newOwnedPod(foo2, 'node-0', { name: 'foo2-pod' }),
    newOwnedPod(foo, 'node-0', {
      name: 'succeeded-deleting',
      phase: 'Succeeded',
      deleting: sec(0),
    }),
    newOwnedPod(foo, 'node-1', { name: 'failed-deleting', phase: 'Failed', deleting: sec(0) }),
  ];
  const claim = claimObjects(foo, labelSelectorAsSelector(foo.spec!.selector), pods, 'Pod');
  assert.deepEqual(
    claim.actions.map((a) => `${a.action} ${a.name}`),
    ['adopt orphan-0', 'adopt orphan-1', 'release owned-l2'],
  );
  const names = (m: Map<string, Pod[]>) =>
    [...m.values()]
      .flat()
      .map((p) => p.metadata?.name)
      .sort();
  assert.deepEqual(names(buildNodeToDaemonPods(claim.claimed, false)), [
    'failed',
    'orphan-0',
    'orphan-1',
    'owned-0',
    'owned-1',
    'succeeded',
  ]);
  assert.deepEqual(names(buildNodeToDaemonPods(claim.claimed, true)), [
    'failed',
    'failed-deleting',
    'orphan-0',
    'orphan-1',
    'owned-0',
    'owned-1',
    'succeeded',
    'succeeded-deleting',
  ]);
});
