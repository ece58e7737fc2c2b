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
import { withTemplate } from '../engine/rollout.js';
import { dsWith, newNode, sec, type StrategySpec } from '../../test/harness/fixtures.js';
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
  const fast = (d: DaemonSet): Plan | undefined => {
    const r = planner.plan('default/foo', d, now, true, () => full(d).nodes);
    return typeof r === 'string' ? undefined : r;
  };
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

test('incremental sync: an old-revision pod is planned by the incremental rolling update', () => {
  const w = converged(2);
  const old = structuredClone(w.podOn('node-0', true)) as Mutable<Pod>;
  old.metadata = {
    ...old.metadata,
    labels: { ...old.metadata!.labels, 'controller-revision-hash': 'old' },
  };
  delete (old.metadata.labels as Record<string, string>)['pod-template-generation'];
  w.pods.upsert(old);
  const plan = w.fast(w.ds);
  assert.ok(plan !== undefined);
  assert.equal(comparePlans(plan, w.full(w.ds)), undefined);
  // Deleted within the budget, by the rolling update.
  assert.deepEqual(
    plan.deletes.map((d) => [d.node, d.source]),
    [['node-0', 'rollingUpdate']],
  );
});

/**
 * A rollout world: n nodes converged on template T1, then the template changed to T2. Each sync
 * plans incrementally (it must answer unless `fallback` allows it), compares with the full
 * reconcile, and carries out the plan: deletes first mark the pod terminating, the next sync
 * removes it; creates appear bound, and turn Ready on the following sync.
 */
function rollout(n: number, strategy: StrategySpec, minReadySeconds = 0) {
  const nodes = new Store<Node>();
  const pods = new Store<Pod>(POD_CACHE.indexers, POD_CACHE.store);
  const revisions = new Store<ControllerRevision>(REVISION_CACHE.indexers);
  let ds: DaemonSet = dsWith(strategy, (d) => (d.spec!.minReadySeconds = minReadySeconds));
  const planner = new IncrementalPlanner({ nodes, pods, revisions });
  let now = sec(100);
  let seq = 0;
  const put = (p: Mutable<Pod>): void => {
    p.metadata = { ...p.metadata, resourceVersion: String(++seq) };
    pods.upsert(p);
  };
  const ready = (p: Pod, yes = true): Mutable<Pod> => {
    const c = structuredClone(p) as Mutable<Pod>;
    const cond = {
      type: 'Ready',
      status: yes ? 'True' : 'False',
      lastTransitionTime: formatTime(now),
    };
    c.status = { phase: 'Running', conditions: [cond] };
    return c;
  };
  const create = (d: DaemonSet, hash: string, node: string): void => {
    const p = structuredClone(makePodFactory(d, hash)(node)) as Mutable<Pod>;
    const name = `foo-${++seq}`;
    p.metadata = { ...p.metadata, name, uid: `uid-${name}`, creationTimestamp: formatTime(now) };
    p.spec = { ...p.spec!, nodeName: node };
    put(p);
  };
  const rev1 = newRevision(ds, 1);
  revisions.upsert(rev1);
  for (let i = 0; i < n; i++) {
    nodes.upsert(newNode(`node-${i}`));
    create(ds, rev1.metadata!.labels!['controller-revision-hash']!, `node-${i}`);
  }
  for (const p of pods.list()) put(ready(p));
  const t = structuredClone(ds.spec!.template) as Mutable<
    NonNullable<DaemonSet['spec']>['template']
  >;
  t.spec = { ...t.spec!, containers: [{ ...t.spec!.containers[0]!, image: 'foo/bar:2' }] };
  ds = withTemplate(ds, t);
  revisions.upsert(newRevision(ds, 2));
  const full = (): Plan =>
    reconcile(
      {
        ds,
        nodes: nodes.list(),
        pods: pods.byIndex(INDEX_CONTROLLER_UID, ds.metadata!.uid!),
        revisions: revisions.byIndex(INDEX_NAMESPACE, 'default'),
        now,
        backoff: new Map(),
      },
      { mode: 'live', expectationsSatisfied: true },
    );
  /** One sync: the incremental plan (asserted equal to the full one), then its writes. */
  const sync = (fallback = false): Plan | undefined => {
    const ref = full();
    const r = planner.plan('default/foo', ds, now, true, () => ref.nodes);
    const fast = typeof r === 'string' ? undefined : r;
    if (!fallback) assert.ok(fast !== undefined, 'the incremental sync answers');
    if (fast !== undefined) assert.equal(comparePlans(fast, ref), undefined);
    if (ref.statusChanged) ds = { ...ds, status: ref.status };
    return fast ?? ref;
  };
  const apply = (plan: Plan): void => {
    for (const d of plan.deletes) {
      const p = pods.get(`${d.namespace}/${d.name}`)!;
      const c = structuredClone(p) as Mutable<Pod>;
      c.metadata = { ...c.metadata, deletionTimestamp: formatTime(now) };
      put(c);
    }
    for (const c of plan.creates) create(ds, c.revisionHash, c.node);
  };
  /** Terminating pods go, unready pods turn Ready (when asked). */
  const kubelet = (makeReady: boolean): void => {
    for (const p of pods.list()) {
      if (p.metadata?.deletionTimestamp) pods.remove(`${p.metadata.namespace}/${p.metadata.name}`);
      else if (makeReady && p.status?.phase !== 'Running') put(ready(p));
    }
  };
  return {
    nodes,
    pods,
    sync,
    tryFast: () => planner.plan('default/foo', ds, now, true, () => full().nodes),
    apply,
    kubelet,
    ready,
    put,
    get ds() {
      return ds;
    },
    advance: (ms: number) => (now += ms),
  };
}

const counts = (p: Plan | undefined): [number, number] => [
  p?.creates.length ?? -1,
  p?.deletes.length ?? -1,
];

test('scenario 59: a maxUnavailable rollout is planned incrementally at every sync', () => {
  const w = rollout(5, { type: 'RollingUpdate', maxUnavailable: 2 });
  const seen: [number, number][] = [];
  for (let i = 0; i < 12; i++) {
    const plan = w.sync();
    seen.push(counts(plan));
    w.apply(plan!);
    // Syncs while the deleted pods are still terminating: nothing to do, still incremental.
    seen.push(counts(w.sync()));
    w.kubelet(true);
  }
  // deletes 2, creates 2, deletes 2, creates 2, deletes 1, creates 1, then nothing.
  const writes = seen.filter(([c, d]) => c + d > 0);
  assert.deepEqual(writes, [
    [0, 2],
    [2, 0],
    [0, 2],
    [2, 0],
    [0, 1],
    [1, 0],
  ]);
});

test('incremental rolling update: candidates in natural name order, shouldRun false first', () => {
  const w = rollout(12, { type: 'RollingUpdate', maxUnavailable: 3 });
  // node-7 no longer should run the pod but may keep it (NoSchedule taint): it goes first.
  w.nodes.upsert(
    newNode('node-7', { taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] }),
  );
  const plan = w.sync();
  assert.deepEqual(
    plan?.deletes.map((d) => d.node),
    ['node-7', 'node-0', 'node-1'],
  );
  w.apply(plan);
  w.kubelet(true);
  w.apply(w.sync()!);
  w.kubelet(true);
  // node-2 to node-4 next (node-10 and node-11 come after node-9, last).
  assert.deepEqual(
    w.sync()?.deletes.map((d) => d.node),
    ['node-2', 'node-3', 'node-4'],
  );
});

test('scenario 63: unavailable old pods are replaced without budget, incrementally', () => {
  const w = rollout(6, { type: 'RollingUpdate', maxUnavailable: 1 });
  for (const name of ['node-4', 'node-5']) {
    const p = w.pods.list().find((x) => x.spec?.nodeName === name)!;
    w.put(w.ready(p, false));
  }
  const plan = w.sync();
  // Both unready old pods at once (name order), and no budget left for the Ready ones.
  assert.deepEqual(
    plan?.deletes.map((d) => d.node),
    ['node-4', 'node-5'],
  );
});

test('scenario 70: a surge rollout is planned incrementally at every sync', () => {
  const w = rollout(5, { type: 'RollingUpdate', maxUnavailable: 0, maxSurge: 2 });
  const seen: [number, number][] = [];
  for (let i = 0; i < 14; i++) {
    const plan = w.sync();
    seen.push(counts(plan));
    w.apply(plan!);
    w.kubelet(i % 2 === 1);
  }
  const writes = seen.filter(([c, d]) => c + d > 0);
  // Live mode: manage's surge deletes and the rolling update's creates come in separate syncs.
  assert.deepEqual(writes, [
    [2, 0],
    [0, 2],
    [2, 0],
    [0, 2],
    [1, 0],
    [0, 1],
  ]);
});

test('scenario 71: surge with minReadySeconds waits for availability and requeues, incrementally', () => {
  const w = rollout(3, { type: 'RollingUpdate', maxUnavailable: 0, maxSurge: 1 }, 15);
  w.advance(60_000);
  const first = w.sync();
  assert.deepEqual(counts(first), [1, 0]);
  w.apply(first!);
  w.sync();
  w.kubelet(true);
  // The new pod is Ready but not available for 15 s: no delete, a requeue instead.
  const waiting = w.sync();
  assert.deepEqual(counts(waiting), [0, 0]);
  assert.ok(waiting?.requeueAfterMs !== null);
  w.advance(15_001);
  assert.deepEqual(counts(w.sync()), [0, 1]);
});

test('scenario 76: surge creates beside a terminating old pod, incrementally', () => {
  const w = rollout(3, { type: 'RollingUpdate', maxUnavailable: 0, maxSurge: 1 });
  const p = w.pods.list().find((x) => x.spec?.nodeName === 'node-2')!;
  const c = structuredClone(p) as Mutable<Pod>;
  c.metadata = { ...c.metadata, deletionTimestamp: formatTime(sec(100)) };
  w.put(c);
  // Manage's surge branch creates there, with a reason naming the terminating pod.
  const plan = w.sync();
  assert.deepEqual(
    plan?.creates.map((x) => [x.node, x.source]),
    [['node-2', 'manage']],
  );
  assert.match(plan?.creates[0]?.reason ?? '', /is terminating/);
  // Two terminating pods there: the reason names the first in the map's order, not kept.
  const second = structuredClone(c);
  second.metadata = { ...second.metadata, name: 'foo-extra', uid: 'uid-foo-extra' };
  w.put(second);
  assert.equal(w.tryFast(), 'terminatingPods');
});

test('incremental rolling update: an old pod on a node that left is a candidate that should not run', () => {
  const w = rollout(4, { type: 'RollingUpdate', maxUnavailable: 1 });
  w.nodes.remove('node-3');
  // maxUnavailable mode: node-3's old pod goes first (shouldRun false), incrementally.
  assert.deepEqual(
    w.sync()?.deletes.map((d) => d.node),
    ['node-3'],
  );
  // Surge mode fails there (plan.error): the full reconcile's to report.
  const s = rollout(4, { type: 'RollingUpdate', maxUnavailable: 0, maxSurge: 1 });
  s.nodes.remove('node-3');
  assert.equal(s.tryFast(), 'oldPodOnMissingNode');
  assert.match(s.sync(true)?.error ?? '', /not in the node list/);
});
