/**
 * Scenarios 59–69 (shared/spec/scenarios.md, section E: rolling update, maxUnavailable mode).
 * Five nodes with Ready pods of T1 unless stated; the template then changes to T2 and the strategy
 * becomes RollingUpdate. Counts are upstream's; which nodes go first is everynode's stable order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONTROLLER_REVISION_HASH_LABEL, type Mutable, type Pod } from '../../src/api/types.js';
import { isPodReady } from '../../src/api/pod.js';
import type { Eligibility } from '../../src/engine/eligibility.js';
import { reconcile } from '../../src/engine/reconcile.js';
import { desiredNodeCounts, rollingUpdate } from '../../src/engine/rollingupdate.js';
import { Harness } from '../harness/harness.js';
import {
  dsWith,
  newNode,
  newNodes,
  newOwnedPod,
  sec,
  type StrategySpec,
} from '../harness/fixtures.js';
import { cd, rolledOut, setImage } from './update-helpers.js';

const mu = (maxUnavailable: number | string): StrategySpec => ({
  type: 'RollingUpdate',
  maxUnavailable,
  maxSurge: 0,
});

test('scenario 59: basic rollout with maxUnavailable 2', () => {
  const h = rolledOut(5);
  setImage(h, 'foo/bar:v2');
  h.setStrategy(mu(2));
  const first = h.sync();
  assert.deepEqual(cd(first), [0, 2]);
  // The stable order: node-0 and node-1 go first, each delete saying why.
  assert.deepEqual(
    first.plan.deletes.map((d) => [d.node, d.source]),
    [
      ['node-0', 'rollingUpdate'],
      ['node-1', 'rollingUpdate'],
    ],
  );
  assert.match(
    first.plan.deletes[0]!.reason,
    /^old revision \w+; within the maxUnavailable budget of 2$/,
  );
  assert.deepEqual(cd(h.sync()), [2, 0]);
  h.markAllReady();
  assert.deepEqual(cd(h.sync()), [0, 2]);
  assert.deepEqual(cd(h.sync()), [2, 0]);
  h.markAllReady();
  assert.deepEqual(cd(h.sync()), [0, 1]);
  assert.deepEqual(cd(h.sync()), [1, 0]);
  h.markAllReady();
  assert.deepEqual(cd(h.sync()), [0, 0]);
  const hash = h.currentHash();
  assert.ok(h.pods.every((p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash));
  assert.equal(h.ds.status?.updatedNumberScheduled, 5);
});

test('scenario 60: new pods never become Ready', () => {
  const h = rolledOut(5);
  setImage(h, 'foo/bar:v2');
  h.setStrategy(mu(3));
  assert.deepEqual(cd(h.sync()), [0, 3]);
  assert.deepEqual(cd(h.sync()), [3, 0]);
  for (let i = 0; i < 5; i++) assert.deepEqual(cd(h.sync()), [0, 0], 'the budget stays used up');
  assert.equal(h.pods.filter(isPodReady).length, 2);
});

test('scenario 61: a second update while the first is still progressing', () => {
  const h = rolledOut(5);
  const originals = new Set(h.pods.map((p) => p.metadata?.name));
  setImage(h, 'foo/bar:v2');
  h.setStrategy(mu(2));
  assert.deepEqual(cd(h.sync()), [0, 2]);
  assert.deepEqual(cd(h.sync()), [2, 0]);
  assert.deepEqual(cd(h.sync()), [0, 0]);
  setImage(h, 'foo/bar:v3');
  // The unready T2 pods are old and unavailable now: replaced without budget.
  assert.deepEqual(cd(h.sync()), [0, 2]);
  assert.deepEqual(cd(h.sync()), [2, 0]);
  assert.deepEqual(cd(h.sync()), [0, 0]);
  const ready = h.pods.filter(isPodReady);
  assert.equal(ready.length, 3);
  assert.ok(
    ready.every((p) => originals.has(p.metadata?.name)),
    'the 3 Ready T1 pods are never touched',
  );
});

test('scenario 63: unavailable old pods are replaced even without budget', () => {
  const h = new Harness({ ds: dsWith(mu(10)), nodes: newNodes(100) });
  const h1 = h.currentHash();
  setImage(h, 'foo/bar:v2');
  const h2 = h.currentHash();
  assert.notEqual(h1, h2);
  const unreadyOld: string[] = [];
  for (let i = 0; i < 100; i++) {
    const node = `node-${i}`;
    if (i < 10) h.addOwnedPod(node, { hash: h1, readySince: sec(0) });
    else if (i < 12) unreadyOld.push(h.addOwnedPod(node, { hash: h1 }).metadata!.name!);
    else h.addOwnedPod(node, { hash: h2 });
  }
  const first = h.sync();
  assert.deepEqual(cd(first), [0, 2]);
  assert.deepEqual(first.plan.deletes.map((d) => d.name).sort(), [...unreadyOld].sort());
  assert.match(first.plan.deletes[0]!.reason, /pod unavailable: replaced without budget/);
  assert.deepEqual(cd(h.sync()), [2, 0]);
  assert.deepEqual(cd(h.sync()), [0, 0]);
  assert.ok(unreadyOld.every((n) => !h.pods.some((p) => p.metadata?.name === n)));
  assert.equal(
    h.pods.filter((p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === h1).length,
    10,
  );
});

test('scenario 65: strategy switch without a template change', () => {
  const h = rolledOut(5);
  h.setStrategy(mu(3));
  assert.deepEqual(cd(h.sync()), [0, 0]);
  assert.deepEqual(cd(h.sync()), [0, 0]);
});

test('scenario 66: budget arithmetic and the empty entries the rolling update adds', () => {
  const run = (
    n: number,
    strategy: StrategySpec,
    pods: (ds: ReturnType<typeof dsWith>) => Pod[],
  ) => {
    const ds = dsWith(strategy);
    const nodes = newNodes(n);
    const eligibility = new Map<string, Eligibility>(
      nodes.map((x) => [
        x.metadata!.name!,
        { shouldRun: true, shouldContinueRunning: true, reason: '' },
      ]),
    );
    const nodeToPods = new Map<string, Pod[]>();
    for (const p of pods(ds))
      nodeToPods.set(p.spec!.nodeName!, [...(nodeToPods.get(p.spec!.nodeName!) ?? []), p]);
    const { budget, emptyNodesAdded } = desiredNodeCounts({ ds, nodes, eligibility, nodeToPods });
    return [budget.maxSurge, budget.maxUnavailable, budget.desired, emptyNodesAdded.length];
  };
  const ready = (ds: ReturnType<typeof dsWith>, node: string, extra = {}) =>
    newOwnedPod(ds, node, { hash: 'h', readySince: sec(0), ...extra });
  const both = (ds: ReturnType<typeof dsWith>) => [ready(ds, 'node-0'), ready(ds, 'node-1')];
  const onlyFirst = (ds: ReturnType<typeof dsWith>) => [ready(ds, 'node-0')];
  const rows: [StrategySpec, number, (ds: ReturnType<typeof dsWith>) => Pod[], number[]][] = [
    [mu(0), 0, () => [], [0, 0, 0, 0]],
    [mu(1), 2, both, [0, 1, 2, 0]],
    [{ type: 'RollingUpdate', maxUnavailable: 0 }, 2, onlyFirst, [0, 1, 2, 1]],
    [{ type: 'RollingUpdate', maxUnavailable: 0, maxSurge: 0 }, 2, onlyFirst, [0, 1, 2, 1]],
    [mu('50%'), 2, both, [0, 1, 2, 0]],
    [{ type: 'RollingUpdate', maxUnavailable: 0, maxSurge: '50%' }, 2, both, [1, 0, 2, 0]],
    [{ type: 'RollingUpdate', maxUnavailable: 0, maxSurge: '100%' }, 2, both, [2, 0, 2, 0]],
    [
      mu('50%'),
      3,
      (ds) => [ready(ds, 'node-0'), ready(ds, 'node-1', { deleting: sec(1) })],
      [0, 2, 3, 1],
    ],
  ];
  for (const [strategy, n, pods, expected] of rows) {
    assert.deepEqual(run(n, strategy, pods), expected, JSON.stringify(strategy));
  }
});

test('scenario 67: the rolling update waits while manage is acting (live mode)', () => {
  const h = rolledOut(4, mu(2));
  setImage(h, 'foo/bar:v2');
  h.addNode(newNode('node-4'));
  const first = reconcile(h.snapshot(), { mode: 'live' });
  assert.deepEqual(
    [first.creates.length, first.deletes.length, first.rollingUpdateRan],
    [1, 0, false],
  );
  assert.equal(first.creates[0]!.node, 'node-4');
  // The add event arrives: the pod is in the cache (and Ready, so it uses no budget).
  const pod = structuredClone(first.creates[0]!.pod) as Mutable<Pod>;
  pod.metadata = { ...pod.metadata, name: 'foo-new', uid: 'uid-foo-new' };
  h.addPod(pod);
  h.bindAll();
  h.markReady('foo-new');
  const second = reconcile(h.snapshot(), { mode: 'live' });
  assert.deepEqual(
    [second.creates.length, second.deletes.length, second.rollingUpdateRan],
    [0, 2, true],
  );
  assert.ok(second.deletes.every((d) => d.source === 'rollingUpdate'));
});

test('scenario 69: maxUnavailable larger than desired', () => {
  const h = rolledOut(5);
  setImage(h, 'foo/bar:v2');
  h.setStrategy(mu(10));
  assert.deepEqual(cd(h.sync()), [0, 5]);
  assert.deepEqual(cd(h.sync()), [5, 0]);
});

test('rollingUpdate in maxUnavailable mode creates nothing itself', () => {
  const ds = dsWith(mu(5));
  const nodes = newNodes(2);
  const r = rollingUpdate({
    ds,
    nodes,
    eligibility: new Map(
      nodes.map((x) => [
        x.metadata!.name!,
        { shouldRun: true, shouldContinueRunning: true, reason: '' },
      ]),
    ),
    nodeToPods: new Map(),
    hash: 'h',
    now: sec(0),
  });
  assert.deepEqual([r.createOnNodes.length, r.deletePods.length], [0, 0]);
});
