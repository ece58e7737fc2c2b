/**
 * Scenarios 70–79 (shared/spec/scenarios.md, section F: rolling update, surge mode). The strategy
 * is {maxUnavailable: 0, maxSurge: X}; five nodes unless stated.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPodReady } from '../../src/api/pod.js';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  type DaemonSet,
  type Mutable,
  type Taint,
  type Toleration,
} from '../../src/api/types.js';
import { Harness } from '../harness/harness.js';
import { dsWith, newNode, newNodes, sec, type StrategySpec } from '../harness/fixtures.js';
import { cd, rolledOut, setImage } from './update-helpers.js';

const surge = (maxSurge: number | string): StrategySpec => ({
  type: 'RollingUpdate',
  maxUnavailable: 0,
  maxSurge,
});

test('scenario 70: basic surge with maxSurge 2', () => {
  const h = rolledOut(5);
  setImage(h, 'foo/bar:v2');
  h.setStrategy(surge(2));
  const first = h.sync();
  assert.deepEqual(cd(first), [2, 0]);
  assert.deepEqual(
    first.plan.creates.map((c) => [c.node, c.source, c.reason]),
    [
      ['node-0', 'rollingUpdate', 'surge: new pod beside the available old pod (maxSurge 2)'],
      ['node-1', 'rollingUpdate', 'surge: new pod beside the available old pod (maxSurge 2)'],
    ],
  );
  assert.deepEqual(cd(h.sync()), [0, 0]);
  h.markAllReady();
  assert.deepEqual(cd(h.sync()), [2, 2]);
  assert.deepEqual(cd(h.sync()), [0, 0]);
  h.markAllReady();
  assert.deepEqual(cd(h.sync()), [1, 2]);
  assert.deepEqual(cd(h.sync()), [0, 0]);
  h.markAllReady();
  assert.deepEqual(cd(h.sync()), [0, 1]);
  assert.deepEqual(cd(h.sync()), [0, 0]);
  assert.equal(h.pods.length, 5);
  assert.equal(h.ds.status?.updatedNumberScheduled, 5);
});

test('scenario 71: surge with unready old pods and minReadySeconds (fake clock)', () => {
  const h = new Harness({ ds: dsWith({ type: 'OnDelete' }), nodes: newNodes(5) });
  h.sync(); // 5 T1 pods, never Ready
  h.bindAll();
  setImage(h, 'foo/bar:v2');
  h.setStrategy(surge(3));
  h.setNow(sec(100));
  assert.deepEqual(cd(h.sync()), [5, 0], 'every old pod is unavailable: immediate replacements');
  h.setNow(sec(200));
  assert.deepEqual(cd(h.sync()), [0, 5], 'manage removes the unready old pods beside newer ones');
  h.bindAll();
  h.markAllReady(sec(200));
  const t2 = h.currentHash();
  h.updateSpec((s) => void (s.minReadySeconds = 15));
  setImage(h, 'foo/bar:v3');
  h.setNow(sec(300));
  const third = h.sync();
  assert.deepEqual(cd(third), [3, 0]);
  const t3Nodes = third.created.map(
    (p) =>
      p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
        ?.nodeSelectorTerms[0]?.matchFields?.[0]?.values?.[0],
  );
  assert.deepEqual(t3Nodes, ['node-0', 'node-1', 'node-2']);
  h.bindAll();
  h.markReady(third.created[0]!, sec(300));
  h.markReady(third.created[1]!, sec(300));
  const lonelyOld = h
    .podsOn('node-3')
    .find((p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] !== t2);
  assert.equal(lonelyOld, undefined, 'node-3 holds only its T2 pod');
  h.markNotReady(h.podsOn('node-3')[0]!, sec(305));
  h.setNow(sec(310));
  const fourth = h.sync();
  assert.deepEqual(cd(fourth), [1, 0], 'the T3 pods Ready at 300 are not available before 315');
  assert.equal(fourth.plan.creates[0]!.node, 'node-3');
  h.bindAll();
  h.setNow(sec(320));
  assert.deepEqual(cd(h.sync()), [1, 3]);
  h.bindAll();
  for (const p of h.pods)
    if (!isPodReady(p) && p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] !== t2)
      h.markReady(p, sec(320));
  h.setNow(sec(340));
  assert.deepEqual(cd(h.sync()), [0, 2]);
  h.setNow(sec(350));
  assert.deepEqual(cd(h.sync()), [0, 0]);
  assert.equal(h.pods.length, 5);
});

/** Scenarios 72, 74 and 75 share one setup: node-1 holds a current pod and two old Ready pods. */
function crowdedNode1(minReadySeconds: number, currentReadySince?: number): Harness {
  const h = new Harness({
    ds: dsWith(surge(1), undefined, { minReadySeconds }),
    nodes: newNodes(5),
  });
  h.addOwnedPod('node-2', { readySince: sec(0) });
  h.addOwnedPod('node-1', {
    name: 'current',
    created: sec(100),
    ...(currentReadySince === undefined ? {} : { readySince: currentReadySince }),
  });
  h.addOwnedPod('node-1', { name: 'old-50', hash: 'old', created: sec(50), readySince: sec(50) });
  h.addOwnedPod('node-1', { name: 'old-60', hash: 'old', created: sec(60), readySince: sec(60) });
  return h;
}

test('scenario 72: surge keeps a Ready old pod until the new one is available', () => {
  const h = crowdedNode1(0);
  const r = h.sync();
  assert.deepEqual(cd(r), [3, 1]);
  assert.deepEqual(r.plan.creates.map((c) => c.node).sort(), ['node-0', 'node-3', 'node-4']);
  assert.deepEqual(r.deleted, ['old-60']);
});

test('scenario 74: minReadySeconds not yet met keeps the old pod', () => {
  const h = crowdedNode1(15, sec(50));
  h.setNow(sec(60));
  const r = h.sync();
  assert.deepEqual(cd(r), [3, 1]);
  assert.deepEqual(r.deleted, ['old-60']);
  assert.equal(
    r.plan.requeueAfterMs !== null && r.plan.requeueAfterMs <= 5001,
    true,
    'requeued for when 50 + 15 has passed',
  );
});

test('scenario 75: minReadySeconds met removes the old pod', () => {
  const h = crowdedNode1(15, sec(50));
  h.setNow(sec(70));
  const r = h.sync();
  assert.deepEqual(cd(r), [3, 2]);
  assert.deepEqual([...r.deleted].sort(), ['old-50', 'old-60']);
});

test('scenario 76: surge creates a pod next to a terminating old pod', () => {
  const h = new Harness({ ds: dsWith(surge(1)), nodes: newNodes(5) });
  h.addOwnedPod('node-0', { created: sec(100) });
  h.addOwnedPod('node-0', { hash: 'old', created: sec(50), readySince: sec(50) });
  for (const n of ['node-1', 'node-2', 'node-3'])
    h.addOwnedPod(n, { hash: 'old', readySince: sec(0) });
  h.addOwnedPod('node-4', { hash: 'old', readySince: sec(0), deleting: sec(0) });
  const r = h.sync();
  assert.deepEqual(cd(r), [1, 0]);
  assert.equal(r.plan.creates[0]!.node, 'node-4');
  assert.equal(r.plan.creates[0]!.source, 'manage');
});

const CONTROL_PLANE: Taint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };

test('scenario 78: surge when a toleration is removed', () => {
  const nodes = newNodes(5);
  nodes[0] = newNode('node-0', { taints: [CONTROL_PLANE] });
  const tolerate = (ds: Mutable<DaemonSet>) => {
    ds.spec!.template.spec!.tolerations = [
      { key: CONTROL_PLANE.key, operator: 'Exists', effect: 'NoSchedule' },
    ];
  };
  const h = new Harness({ ds: dsWith(surge(1), tolerate), nodes });
  h.sync();
  h.bindAll();
  h.markAllReady();
  assert.equal(h.pods.length, 5);
  h.setTemplate((t) => {
    t.spec!.tolerations = undefined;
  });
  const first = h.sync();
  assert.deepEqual(cd(first), [1, 1]);
  assert.equal(first.plan.deletes[0]!.node, 'node-0');
  assert.equal(
    first.plan.deletes[0]!.reason,
    'node no longer eligible and more pods available (5) than desired (4)',
  );
  assert.equal(first.plan.creates[0]!.node, 'node-1');
  const expected: [number, number][] = [
    [0, 0],
    [1, 1],
    [0, 0],
    [1, 1],
    [0, 0],
    [1, 1],
    [0, 0],
    [0, 1],
    [0, 0],
  ];
  for (const [i, want] of expected.entries()) {
    if (i % 2 === 1) {
      h.bindAll();
      h.markAllReady();
    }
    assert.deepEqual(cd(h.sync()), want, `step ${i + 2}`);
  }
  assert.equal(h.pods.length, 4);
  assert.equal(h.ds.status?.desiredNumberScheduled, 4);
});

test('scenario 79: moving a surge DaemonSet between zones', () => {
  const zone = (z: string): Taint => ({ key: `zone-${z}`, effect: 'NoSchedule' });
  const nodes = ['y', 'y', 'z', 'z', 'common', 'common'].map((z, i) =>
    newNode(`node-${i}`, { taints: [zone(z)] }),
  );
  const tolerations = (...zs: string[]): Toleration[] =>
    zs.map((z) => ({ key: `zone-${z}`, operator: 'Exists' }));
  const h = new Harness({
    ds: dsWith(
      surge(1),
      (ds) => void (ds.spec!.template.spec!.tolerations = tolerations('y', 'common')),
    ),
    nodes,
  });
  /** Syncs until quiet, making pods Ready as they come; the most active pods seen after a sync. */
  const converge = (): number => {
    let peak = 0;
    for (let i = 0; i < 50; i++) {
      const r = h.sync();
      peak = Math.max(peak, h.activePods().length);
      h.bindAll();
      h.markAllReady();
      if (r.creates + r.deletes === 0) return peak;
    }
    throw new Error('no convergence');
  };
  const onNodes = () =>
    h
      .activePods()
      .map((p) => p.spec?.nodeName)
      .sort();
  converge();
  assert.deepEqual(onNodes(), ['node-0', 'node-1', 'node-4', 'node-5']);
  h.sync();
  assert.deepEqual([h.ds.status?.numberReady, h.ds.status?.updatedNumberScheduled], [4, 4]);

  h.setTemplate((t) => void (t.spec!.tolerations = tolerations('z', 'common')));
  assert.equal(
    converge(),
    7,
    '2 new zone-z pods, 1 surge pod, 2 old zone-y pods, 2 old common pods',
  );
  assert.deepEqual(onNodes(), ['node-2', 'node-3', 'node-4', 'node-5']);
  h.sync();
  assert.deepEqual([h.ds.status?.numberReady, h.ds.status?.updatedNumberScheduled], [4, 4]);
  for (const p of h.activePods()) {
    const zoneKeys = (p.spec?.tolerations ?? [])
      .map((t) => t.key ?? '')
      .filter((k) => k.startsWith('zone-'));
    assert.deepEqual(zoneKeys, ['zone-z', 'zone-common']);
  }

  h.setTemplate((t) => void (t.spec!.tolerations = tolerations('y', 'z', 'common')));
  assert.equal(converge(), 7);
  assert.equal(h.activePods().length, 6);
  h.sync();
  assert.deepEqual([h.ds.status?.numberReady, h.ds.status?.updatedNumberScheduled], [6, 6]);

  h.setTemplate((t) => {
    t.spec!.tolerations = undefined;
  });
  converge();
  assert.equal(h.activePods().length, 0);
  h.sync();
  assert.deepEqual(
    [h.ds.status?.desiredNumberScheduled ?? 0, h.ds.status?.updatedNumberScheduled ?? 0],
    [0, 0],
  );
});
