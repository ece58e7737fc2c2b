/**
 * Section C event-handler scenarios (45–50): which DaemonSet keys an informer event queues and
 * how it moves expectations. Most drive EventHandlers directly over a real Store; the last one
 * goes through the memory cluster and a real relist.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ControllerRevision, DaemonSet, Node, Pod } from '../../src/api/types.js';
import { UnavailableError } from '../../src/cluster/port.js';
import { ControllerExpectations } from '../../src/controller/expectations.js';
import { EventHandlers } from '../../src/controller/handlers.js';
import { byNamespace, INDEX_NAMESPACE } from '../../src/controller/informer.js';
import { nullLogger } from '../../src/controller/logger.js';
import { VirtualClock } from '../../src/clock/virtual.js';
import { Store } from '../../src/controller/store.js';
import { dsFoo, harness, L1, L2, node } from '../../src/controller/testing.js';

const NL1 = { color: 'blue', speed: 'fast' };

function ds(
  name: string,
  labels: Record<string, string> = L1,
  extra: Partial<NonNullable<DaemonSet['spec']>> = {},
): DaemonSet {
  const base = dsFoo(name);
  return {
    ...base,
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: {
      ...base.spec!,
      selector: { matchLabels: labels },
      template: { ...base.spec!.template, metadata: { labels } },
      ...extra,
    },
  };
}

function ownerRef(d: DaemonSet) {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    name: d.metadata!.name!,
    uid: d.metadata!.uid!,
    controller: true,
  };
}

let rv = 1;
function pod(
  name: string,
  opts: {
    labels?: Record<string, string>;
    owner?: DaemonSet;
    deleting?: boolean;
    ready?: boolean;
  } = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      resourceVersion: String(rv++),
      labels: opts.labels ?? L1,
      ...(opts.owner === undefined ? {} : { ownerReferences: [ownerRef(opts.owner)] }),
      ...(opts.deleting === true ? { deletionTimestamp: '2026-01-01T00:00:30Z' } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'i' }], nodeName: 'node-0' },
    status: { conditions: [{ type: 'Ready', status: opts.ready === true ? 'True' : 'False' }] },
  };
}

/** A copy with a new resourceVersion and changes applied to metadata. */
function bump<T extends Pod | ControllerRevision>(
  obj: T,
  meta: Partial<NonNullable<T['metadata']>> = {},
): T {
  return { ...obj, metadata: { ...obj.metadata, ...meta, resourceVersion: String(rv++) } };
}

function rig(...daemonSets: DaemonSet[]) {
  const store = new Store<DaemonSet>({ [INDEX_NAMESPACE]: byNamespace });
  for (const d of daemonSets) store.upsert(d);
  const clock = new VirtualClock();
  const expectations = new ControllerExpectations(clock);
  const queued: string[] = [];
  const delayed: [string, number][] = [];
  const h = new EventHandlers({
    dsStore: store,
    expectations,
    enqueue: (k) => queued.push(k),
    enqueueAfter: (k, ms) => delayed.push([k, ms]),
    logger: nullLogger,
  });
  return { h, expectations, queued, delayed, store };
}

const foo1 = ds('foo1');
const foo2 = ds('foo2');
const foo3 = ds('foo3', L2);

test('scenario 45a: an owned pod add queues only its owner and observes the creation', () => {
  const r = rig(foo1, foo2);
  r.expectations.setExpectations('default/foo1', 1, 0);
  r.h.addPod(pod('p1', { owner: foo1 }));
  assert.deepEqual(r.queued, ['default/foo1']);
  assert.equal(r.expectations.satisfiedExpectations('default/foo1'), true);
  r.h.addPod(pod('p2', { owner: foo2 }));
  assert.deepEqual(r.queued, ['default/foo1', 'default/foo2']);
});

test('scenario 45b: an orphan pod add queues every DaemonSet whose selector matches', () => {
  const r = rig(foo1, foo2, foo3);
  r.expectations.setExpectations('default/foo1', 1, 0);
  r.h.addPod(pod('orphan'));
  assert.deepEqual([...r.queued].sort(), ['default/foo1', 'default/foo2']);
  assert.equal(r.expectations.get('default/foo1')?.adds, 1, 'expectations untouched');
});

test('scenario 45c: a pod that arrives terminating counts as a delete', () => {
  const r = rig(foo1);
  r.expectations.setExpectations('default/foo1', 0, 1);
  r.h.addPod(pod('p', { owner: foo1, deleting: true }));
  assert.deepEqual(r.queued, ['default/foo1']);
  assert.equal(r.expectations.get('default/foo1')?.dels, 0);
});

test('scenario 46a: an owned pod update queues its owner', () => {
  const r = rig(foo1, foo2);
  const p = pod('p', { owner: foo1 });
  r.h.updatePod(p, bump(p));
  assert.deepEqual(r.queued, ['default/foo1']);
});

test('scenario 46b: an orphan update with unchanged labels queues nothing', () => {
  const r = rig(foo1, foo2);
  const p = pod('p');
  r.h.updatePod(p, bump(p));
  assert.deepEqual(r.queued, []);
});

test('scenario 46c: an orphan whose labels now match queues every matching DaemonSet', () => {
  const r = rig(foo1, foo2);
  const p = pod('p', { labels: { foo2: 'bar2' } });
  r.h.updatePod(p, bump(p, { labels: { ...L1 } }));
  assert.deepEqual([...r.queued].sort(), ['default/foo1', 'default/foo2']);
});

test('scenario 46d: a changed controllerRef queues the old and the new owner', () => {
  const r = rig(foo1, foo2);
  const p = pod('p', { owner: foo2 });
  r.h.updatePod(p, bump(p, { ownerReferences: [ownerRef(foo1)] }));
  assert.deepEqual([...r.queued].sort(), ['default/foo1', 'default/foo2']);
});

test('scenario 46e: a removed controllerRef queues the old owner and every match of the orphan', () => {
  const r = rig(foo1, foo2);
  const p = pod('p', { owner: foo1 });
  r.h.updatePod(p, bump(p, { ownerReferences: [] }));
  assert.deepEqual([...r.queued].sort(), ['default/foo1', 'default/foo1', 'default/foo2']);
  assert.equal(new Set(r.queued).size, 2, '2 keys once the queue folds duplicates');
});

test('scenario 46f: an update with an equal resourceVersion (resync) queues nothing', () => {
  const r = rig(foo1);
  const p = pod('p', { owner: foo1 });
  r.h.updatePod(p, { ...p });
  assert.deepEqual(r.queued, []);
});

test('scenario 46g: a newly set deletionTimestamp is handled as a delete', () => {
  const r = rig(foo1);
  r.expectations.setExpectations('default/foo1', 0, 1);
  const p = pod('p', { owner: foo1 });
  r.h.updatePod(p, bump(p, { deletionTimestamp: '2026-01-01T00:00:30Z' }));
  assert.deepEqual(r.queued, ['default/foo1']);
  assert.equal(r.expectations.satisfiedExpectations('default/foo1'), true);
});

test('scenario 46h: not-Ready to Ready with minReadySeconds 10 queues now and after 11 s', () => {
  const slow = ds('foo1', L1, { minReadySeconds: 10 });
  const r = rig(slow);
  const p = pod('p', { owner: slow });
  const readyNow: Pod = { ...bump(p), status: { conditions: [{ type: 'Ready', status: 'True' }] } };
  r.h.updatePod(p, readyNow);
  assert.deepEqual(r.queued, ['default/foo1']);
  assert.deepEqual(r.delayed, [['default/foo1', 11_000]]);
});

test('scenario 47a: an owned pod delete queues its owner and observes the deletion', () => {
  const r = rig(foo1, foo2);
  r.expectations.setExpectations('default/foo1', 0, 1);
  r.h.deletePod(pod('p', { owner: foo1 }));
  assert.deepEqual(r.queued, ['default/foo1']);
  assert.equal(r.expectations.satisfiedExpectations('default/foo1'), true);
});

test('scenario 47b: an orphan pod delete queues nothing even when DaemonSets match', () => {
  const r = rig(foo1, foo2);
  r.h.deletePod(pod('p'));
  assert.deepEqual(r.queued, []);
});

test('scenario 47c: deletes of pods whose controllerRef does not resolve queue nothing', () => {
  const r = rig(foo1);
  const other = { ...ownerRef(foo1), uid: 'someone-else' };
  const wrongKind = { ...ownerRef(foo1), kind: 'ReplicaSet' };
  const missing = { ...ownerRef(foo1), name: 'nope' };
  for (const ref of [other, wrongKind, missing]) {
    const p = pod('p');
    r.h.deletePod({ ...p, metadata: { ...p.metadata, ownerReferences: [ref] } });
  }
  r.h.deletePod({ tombstone: true, key: 'default/p', obj: pod('p', { owner: ds('gone') }) });
  assert.deepEqual(r.queued, []);
});

function nodeWith(
  labels: Record<string, string> = {},
  taints: NonNullable<Node['spec']>['taints'] = [],
): Node {
  return {
    ...node('node-0', labels, taints),
    metadata: { name: 'node-0', labels, resourceVersion: String(rv++) },
  };
}

test('scenario 48a: an identical node update is ignored', () => {
  const r = rig(ds('foo', L1, {}));
  const n = nodeWith(NL1);
  r.h.updateNode(n, { ...n });
  assert.deepEqual(r.queued, []);
});

test('scenario 48b: labels changed to match the nodeSelector queue the DaemonSet', () => {
  const base = ds('foo');
  const withSel = ds('foo', L1, {
    template: { ...base.spec!.template, spec: { ...base.spec!.template.spec!, nodeSelector: NL1 } },
  });
  const r = rig(withSel);
  r.h.updateNode(nodeWith({}), nodeWith(NL1));
  assert.deepEqual(r.queued, ['default/foo']);
});

test('scenario 48c: a removed NoSchedule taint queues a DaemonSet without tolerations', () => {
  const r = rig(ds('foo'));
  r.h.updateNode(
    nodeWith({}, [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }]),
    nodeWith({}),
  );
  assert.deepEqual(r.queued, ['default/foo']);
});

test('scenario 48d: a change of status.allocatable only is ignored', () => {
  const r = rig(ds('foo'));
  const a = nodeWith({});
  const b: Node = { ...a, status: { ...a.status, allocatable: { pods: '50' } } };
  r.h.updateNode(a, b);
  assert.deepEqual(r.queued, []);
});

test('scenario 48e: a node add queues the DaemonSets that should run on it (pre-1.36 behaviour)', () => {
  const base = ds('foo');
  const withSel = ds('foo', L1, {
    template: { ...base.spec!.template, spec: { ...base.spec!.template.spec!, nodeSelector: NL1 } },
  });
  const r = rig(withSel);
  r.h.addNode({ ...node('node1'), metadata: { name: 'node1' } });
  assert.deepEqual(r.queued, []);
  r.h.addNode(node('node2', NL1));
  assert.deepEqual(r.queued, ['default/foo']);
});

function revision(
  name: string,
  owner?: DaemonSet,
  labels: Record<string, string> = L1,
): ControllerRevision {
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace: 'default',
      resourceVersion: String(rv++),
      labels,
      ...(owner === undefined ? {} : { ownerReferences: [ownerRef(owner)] }),
    },
    revision: 1,
  };
}

test('scenario 49a: an owned revision add queues nothing', () => {
  const r = rig(foo1);
  r.h.addRevision(revision('foo1-abc', foo1));
  assert.deepEqual(r.queued, []);
});

test('scenario 49b: an owned revision update with a new resourceVersion queues the owner', () => {
  const r = rig(foo1);
  const rev = revision('foo1-abc', foo1);
  r.h.updateRevision(rev, bump(rev));
  r.h.updateRevision(rev, { ...rev }); // equal resourceVersion: nothing
  assert.deepEqual(r.queued, ['default/foo1']);
});

test('scenario 49c: an owned revision delete queues the owner', () => {
  const r = rig(foo1);
  r.h.deleteRevision(revision('foo1-abc', foo1));
  assert.deepEqual(r.queued, ['default/foo1']);
});

test('scenario 49d: an orphan revision whose labels match queues the DaemonSet', () => {
  const r = rig(foo1, foo3);
  r.h.addRevision(revision('orphan'));
  assert.deepEqual(r.queued, ['default/foo1']);
});

test('scenario 50: a DaemonSet delete tombstone queues the key and deletes its expectations', () => {
  const r = rig(foo1);
  r.expectations.setExpectations('default/foo', 3, 0);
  r.h.deleteDaemonSet({ tombstone: true, key: 'default/foo', obj: ds('foo') });
  assert.deepEqual(r.queued, ['default/foo']);
  assert.equal(r.expectations.get('default/foo'), undefined);
});

test('scenario 50 (live): a DaemonSet deleted while the watch is down arrives as a tombstone on relist', async () => {
  const h = harness({ workers: 0 });
  await h.cluster.create('Node', node('node-0'));
  await h.cluster.create('DaemonSet', dsFoo());
  await h.controller.start();
  await h.settle();
  h.controller.expectations.setExpectations('default/foo', 1, 0);
  const stop = h.cluster.injectFault((c) =>
    c.verb === 'watch' ? new UnavailableError('down') : undefined,
  );
  h.cluster.dropWatches('DaemonSet');
  await h.settle();
  stop();
  await h.cluster.delete('DaemonSet', 'default', 'foo', { propagationPolicy: 'Orphan' });
  h.cluster.compact();
  await h.advance(60_000, 5_000);
  assert.equal(h.controller.caches.daemonSets.get('default/foo'), undefined);
  assert.equal(h.controller.expectations.get('default/foo'), undefined);
  await h.controller.stop();
});

test('owner resolution: an update of a DaemonSet with a new UID drops the old expectations', () => {
  const r = rig(foo1);
  r.expectations.setExpectations('default/foo1', 2, 0);
  r.h.updateDaemonSet(foo1, { ...foo1, metadata: { ...foo1.metadata, uid: 'new-uid' } });
  assert.equal(r.expectations.get('default/foo1'), undefined);
  assert.deepEqual(r.queued, ['default/foo1', 'default/foo1']);
});
