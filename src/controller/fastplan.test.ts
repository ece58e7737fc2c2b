import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatTime,
  type ControllerRevision,
  type DaemonSet,
  type Mutable,
  type Node,
  type Pod,
} from '../api/types.js';
import { newRevision } from '../engine/history.js';
import { makePodFactory } from '../engine/podfactory.js';
import { reconcile } from '../engine/reconcile.js';
import type { Plan } from '../engine/types.js';
import { dsWith, newNode, sec } from '../../test/harness/fixtures.js';
import { POD_CACHE, REVISION_CACHE } from './caches.js';
import { IncrementalPlanner } from './fastplan.js';
import { INDEX_CONTROLLER_UID, INDEX_NAMESPACE } from './informer.js';
import { comparePlans } from './plancompare.js';
import { Store } from './store.js';

/** Caches with a converged DaemonSet: n nodes, one Ready pod of the current revision on each. */
function converged(n: number) {
  const nodes = new Store<Node>();
  const pods = new Store<Pod>(POD_CACHE.indexers, POD_CACHE.store);
  const revisions = new Store<ControllerRevision>(REVISION_CACHE.indexers);
  const ds: DaemonSet = dsWith({ type: 'RollingUpdate', maxUnavailable: 1, maxSurge: 0 });
  const rev = newRevision(ds, 1);
  revisions.upsert(rev);
  const hash = rev.metadata!.labels!['controller-revision-hash']!;
  const factory = makePodFactory(ds, hash);
  const now = sec(100);
  const podOn = (node: string, ready: boolean): Pod => {
    const p = structuredClone(factory(node)) as Mutable<Pod>;
    p.metadata = { ...p.metadata, name: `foo-${node}`, uid: `uid-${node}` };
    p.spec = { ...p.spec!, nodeName: node };
    const cond = {
      type: 'Ready',
      status: ready ? 'True' : 'False',
      lastTransitionTime: formatTime(now),
    };
    p.status = { phase: 'Running', conditions: [cond] };
    return p;
  };
  for (let i = 0; i < n; i++) {
    nodes.upsert(newNode(`node-${i}`));
    pods.upsert(podOn(`node-${i}`, true));
  }
  const planner = new IncrementalPlanner({ nodes, pods, revisions });
  const full = (d: DaemonSet): Plan =>
    reconcile(
      {
        ds: d,
        nodes: nodes.list(),
        pods: pods.byIndex(INDEX_CONTROLLER_UID, d.metadata!.uid!),
        revisions: revisions.byIndex(INDEX_NAMESPACE, 'default'),
        now,
        backoff: new Map(),
      },
      { mode: 'live', expectationsSatisfied: true },
    );
  const fast = (d: DaemonSet): Plan | undefined =>
    planner.plan('default/foo', d, now, true, () => full(d).nodes);
  return { nodes, pods, ds, podOn, full, fast };
}

test('incremental sync: a converged DaemonSet is planned without the full reconcile, and equally', () => {
  const w = converged(5);
  const first = w.fast(w.ds);
  assert.ok(first !== undefined);
  assert.equal(comparePlans(first, w.full(w.ds)), undefined);
  assert.equal(first.creates.length + first.deletes.length, 0);
  // A node joins: one create, in node order.
  w.nodes.upsert(newNode('node-new'));
  const next = w.fast(w.ds);
  assert.deepEqual(
    next?.creates.map((c) => c.node),
    ['node-new'],
  );
  assert.equal(comparePlans(next, w.full(w.ds)), undefined);
});

test('incremental sync: after the change logs were truncated it reads everything again', () => {
  const w = converged(3);
  assert.ok(w.fast(w.ds) !== undefined);
  // Far more writes than the logs keep (2 × size + 4096), with real changes among them.
  for (let i = 0; i < 6000; i++)
    w.nodes.upsert(newNode(`node-${i % 3}`, { labels: { i: `${i}` } }));
  for (let i = 0; i < 6000; i++) w.pods.upsert(w.podOn('node-1', i % 2 === 1));
  w.pods.upsert(w.podOn('node-2', false));
  w.nodes.remove('node-0');
  const plan = w.fast(w.ds);
  assert.ok(plan !== undefined);
  assert.equal(comparePlans(plan, w.full(w.ds)), undefined);
  assert.equal(plan.status.numberReady, 1);
});

test('incremental sync: an old-revision pod sends the sync to the full reconcile', () => {
  const w = converged(2);
  const old = structuredClone(w.podOn('node-0', true)) as Mutable<Pod>;
  old.metadata = {
    ...old.metadata,
    labels: { ...old.metadata!.labels, 'controller-revision-hash': 'old' },
  };
  delete (old.metadata.labels as Record<string, string>)['pod-template-generation'];
  w.pods.upsert(old);
  assert.equal(w.fast(w.ds), undefined);
  // The full reconcile deletes it within the budget.
  assert.equal(w.full(w.ds).deletes.length, 1);
});
