import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from '../api/types.js';
import { GoneError, UnavailableError, type Cluster } from '../cluster/port.js';
import { MemoryCluster } from '../cluster/memory/index.js';
import { VirtualClock } from '../clock/virtual.js';
import {
  Informer,
  INDEX_CONTROLLER_UID,
  INDEX_NODE,
  byControllerUID,
  isTombstone,
  podByNode,
  trimPod,
  type DeletedFinalStateUnknown,
} from './informer.js';

async function settle(cluster: MemoryCluster): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await cluster.idle();
    await new Promise((r) => setImmediate(r));
  }
}

function pod(
  name: string,
  extra: Partial<Pod['spec']> = {},
  labels: Record<string, string> = { app: 'a' },
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: { containers: [{ name: 'c', image: 'img' }], ...extra },
  };
}

type Seen = {
  adds: string[];
  updates: [string, string][];
  deletes: string[];
  tombstones: string[];
};

function record(inf: Informer<Pod>): Seen {
  const seen: Seen = { adds: [], updates: [], deletes: [], tombstones: [] };
  inf.addEventHandler({
    onAdd: (p) => seen.adds.push(p.metadata!.name!),
    onUpdate: (o, n) =>
      seen.updates.push([o.metadata!.resourceVersion!, n.metadata!.resourceVersion!]),
    onDelete: (p: Pod | DeletedFinalStateUnknown<Pod>) => {
      if (isTombstone(p)) seen.tombstones.push(p.key);
      else seen.deletes.push(p.metadata!.name!);
    },
  });
  return seen;
}

test('informer: lists, syncs, then follows the watch with old and new objects on update', async () => {
  const clock = new VirtualClock();
  const cluster = new MemoryCluster({ clock });
  await cluster.create('Pod', pod('p1'));
  const inf = new Informer<Pod>({ cluster, kind: 'Pod', clock });
  const seen = record(inf);
  inf.start();
  await inf.waitForSync();
  assert.equal(inf.hasSynced(), true);
  assert.deepEqual(seen.adds, ['p1']);
  await settle(cluster);
  await cluster.create('Pod', pod('p2'));
  await cluster.patch('Pod', 'default', 'p1', {
    type: 'merge',
    body: { metadata: { labels: { app: 'b' } } },
  });
  await cluster.delete('Pod', 'default', 'p2', { gracePeriodSeconds: 0 });
  await settle(cluster);
  assert.deepEqual(seen.adds, ['p1', 'p2']);
  assert.equal(seen.updates.length, 1);
  assert.notEqual(seen.updates[0]![0], seen.updates[0]![1]);
  assert.deepEqual(seen.deletes, ['p2']);
  assert.deepEqual(inf.store.keys(), ['default/p1']);
  assert.equal(inf.store.get('default/p1')?.metadata?.labels?.['app'], 'b');
  await inf.stop();
});

test('informer: restarts a failed watch after jittered backoff, and relists on Gone, diffing the cache', async () => {
  const clock = new VirtualClock();
  const cluster = new MemoryCluster({ clock, watchHistory: 1000 });
  await cluster.create('Pod', pod('keep'));
  await cluster.create('Pod', pod('change'));
  await cluster.create('Pod', pod('gone'));
  const inf = new Informer<Pod>({
    cluster,
    kind: 'Pod',
    clock,
    random: () => 0.5,
    backoff: { initialMs: 800, maxMs: 30_000, jitter: 1 },
  });
  const seen = record(inf);
  inf.start();
  await inf.waitForSync();
  await settle(cluster);
  // Break the connection; while the informer waits to reconnect, the world changes and the
  // history it would resume from is compacted away.
  const stopFailing = cluster.injectFault((ctx) =>
    ctx.verb === 'watch' ? new UnavailableError('down') : undefined,
  );
  cluster.dropWatches('Pod');
  await settle(cluster);
  assert.equal(inf.stats.restarts, 1);
  stopFailing();
  await cluster.create('Pod', pod('new'));
  await cluster.patch('Pod', 'default', 'change', {
    type: 'merge',
    body: { metadata: { labels: { app: 'z' } } },
  });
  await cluster.delete('Pod', 'default', 'gone', { gracePeriodSeconds: 0 });
  cluster.compact();
  const watchesBefore = cluster.stats().byVerb.watch ?? 0;
  clock.advance(1199); // 800 × (1 + 0.5) = 1200
  await settle(cluster);
  assert.equal(cluster.stats().byVerb.watch ?? 0, watchesBefore, 'still backing off');
  clock.advance(1);
  await settle(cluster);
  assert.equal(inf.stats.relists, 1, 'the resumed watch got Gone and relisted');
  assert.deepEqual(seen.adds, ['keep', 'change', 'gone', 'new']);
  assert.equal(seen.updates.length, 1);
  assert.deepEqual(seen.tombstones, ['default/gone']);
  assert.deepEqual(inf.store.keys().sort(), ['default/change', 'default/keep', 'default/new']);
  // And it keeps watching after the relist.
  await cluster.create('Pod', pod('after'));
  await settle(cluster);
  assert.ok(inf.store.get('default/after'));
  await inf.stop();
});

test('informer: a watch that ends with GoneError relists at once', async () => {
  const clock = new VirtualClock();
  const cluster = new MemoryCluster({ clock });
  const inf = new Informer<Pod>({ cluster, kind: 'Pod', clock });
  inf.start();
  await inf.waitForSync();
  await settle(cluster);
  cluster.dropWatches('Pod', new GoneError('too old'));
  await settle(cluster);
  assert.equal(inf.stats.relists, 1);
  assert.equal(inf.stats.lists, 2);
  await cluster.create('Pod', pod('x'));
  await settle(cluster);
  assert.ok(inf.store.get('default/x'));
  await inf.stop();
});

test('informer: a watch silent for longer than the timeout is restarted', async () => {
  const clock = new VirtualClock();
  const cluster = new MemoryCluster({ clock, bookmarkIntervalMs: 10 * 60_000 });
  const inf = new Informer<Pod>({ cluster, kind: 'Pod', clock, watchTimeoutMs: 1000 });
  inf.start();
  await inf.waitForSync();
  await settle(cluster);
  assert.equal(inf.stats.watches, 1);
  clock.advance(1000);
  await settle(cluster);
  assert.equal(inf.stats.watches, 2);
  assert.equal(inf.stats.lists, 1, 'restarted from its resourceVersion, no relist');
  await cluster.create('Pod', pod('y'));
  await settle(cluster);
  assert.ok(inf.store.get('default/y'));
  await inf.stop();
});

test('informer: indexes pods by target node (nodeName or affinity pin) and by controller uid', async () => {
  const clock = new VirtualClock();
  const cluster = new MemoryCluster({ clock, collectDanglingDependents: false });
  const pinned = pod('pinned', {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] },
          ],
        },
      },
    },
  });
  await cluster.create('Pod', pinned);
  await cluster.create('Pod', pod('bound', { nodeName: 'node-1' }));
  await cluster.create('Pod', pod('elsewhere', { nodeName: 'node-2' }));
  await cluster.create('Pod', {
    ...pod('owned'),
    metadata: {
      name: 'owned',
      namespace: 'default',
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'foo', uid: 'u-1', controller: true },
      ],
    },
  });
  const inf = new Informer<Pod>({
    cluster,
    kind: 'Pod',
    clock,
    transform: trimPod,
    indexers: { [INDEX_NODE]: podByNode, [INDEX_CONTROLLER_UID]: byControllerUID },
  });
  inf.start();
  await inf.waitForSync();
  assert.deepEqual(
    inf.store
      .byIndex(INDEX_NODE, 'node-1')
      .map((p) => p.metadata?.name)
      .sort(),
    ['bound', 'pinned'],
  );
  assert.deepEqual(
    inf.store.byIndex(INDEX_CONTROLLER_UID, 'u-1').map((p) => p.metadata?.name),
    ['owned'],
  );
  await cluster.delete('Pod', 'default', 'bound', { gracePeriodSeconds: 0 });
  await settle(cluster);
  assert.deepEqual(
    inf.store.byIndex(INDEX_NODE, 'node-1').map((p) => p.metadata?.name),
    ['pinned'],
  );
  await inf.stop();
});

test('trimPod keeps what the engine reads and drops the rest', () => {
  const full: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'p',
      namespace: 'default',
      labels: { a: 'b' },
      annotations: { keep: 'me', 'kubectl.kubernetes.io/last-applied-configuration': '{huge}' },
      managedFields: [{ manager: 'kubectl' }],
      creationTimestamp: '2026-01-01T00:00:00Z',
      deletionTimestamp: '2026-01-01T00:01:00Z',
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'foo', uid: 'u', controller: true },
      ],
    },
    spec: {
      nodeName: 'n1',
      containers: [{ name: 'c', image: 'img', env: [{ name: 'X', value: '1' }], args: ['--big'] }],
      volumes: [{ name: 'v', emptyDir: {} }],
      tolerations: [{ key: 'k', operator: 'Exists' }],
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:10Z' }],
      containerStatuses: [{ name: 'c', image: 'img', imageID: 'x', ready: true, restartCount: 0 }],
    },
  };
  const t = trimPod(full);
  assert.equal(t.metadata?.managedFields, undefined);
  assert.deepEqual(t.metadata?.annotations, { keep: 'me' });
  assert.deepEqual(t.metadata?.labels, full.metadata?.labels);
  assert.equal(t.metadata?.deletionTimestamp, full.metadata?.deletionTimestamp);
  assert.deepEqual(t.metadata?.ownerReferences, full.metadata?.ownerReferences);
  assert.deepEqual(t.spec?.containers, [{ name: 'c', image: 'img' }]);
  assert.equal(t.spec?.volumes, undefined);
  assert.equal(t.spec?.nodeName, 'n1');
  // Tolerations, affinity of a bound pod and conditions other than Ready are never read (B4).
  assert.equal(t.spec?.tolerations, undefined);
  assert.deepEqual(t.status, { phase: 'Running', conditions: full.status?.conditions });
  assert.equal(full.metadata?.managedFields?.length, 1, 'the input is not mutated');
});

test('trimPod keeps the pin of an unbound pod and only the Ready condition', () => {
  const affinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] },
        ],
      },
    },
  };
  const ready = { type: 'Ready', status: 'False', lastTransitionTime: '2026-01-01T00:00:10Z' };
  const pod: Pod = {
    metadata: { name: 'p', namespace: 'default' },
    spec: { containers: [{ name: 'c' }], affinity, tolerations: [{ operator: 'Exists' }] },
    status: {
      phase: 'Pending',
      startTime: '2026-01-01T00:00:00Z',
      conditions: [{ type: 'PodScheduled', status: 'True' }, ready],
    },
  };
  const t = trimPod(pod);
  assert.deepEqual(t.spec, { containers: [{ name: 'c' }], affinity });
  assert.deepEqual(t.status, { phase: 'Pending', conditions: [ready] });
  const bound = trimPod({ ...pod, spec: { ...pod.spec!, nodeName: 'n1' } });
  assert.deepEqual(bound.spec, { containers: [{ name: 'c' }], nodeName: 'n1' });
});

test('trimPod with the previous version shares its unchanged parts and reads the same values', () => {
  const v1: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'p',
      namespace: 'default',
      resourceVersion: '1',
      labels: { a: 'b' },
      annotations: { keep: 'me' },
      managedFields: [{ manager: 'kubelet' }],
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'foo', uid: 'u', controller: true },
      ],
    },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'img', args: ['x'] }] },
    status: {
      phase: 'Pending',
      conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: 't0' }],
    },
  };
  // A new version as it comes off the wire: equal values in fresh objects.
  const v2: Pod = structuredClone({
    ...v1,
    metadata: { ...v1.metadata, resourceVersion: '2' },
    status: { ...v1.status, phase: 'Running' },
  });
  const prev = trimPod(v1);
  const t = trimPod(v2, prev);
  assert.deepEqual(t, trimPod(v2), 'the same values as without prev');
  assert.equal(t.metadata?.labels, prev.metadata?.labels);
  assert.equal(t.metadata?.annotations, prev.metadata?.annotations);
  assert.equal(t.metadata?.ownerReferences, prev.metadata?.ownerReferences);
  assert.equal(t.spec, prev.spec);
  assert.equal(t.status?.conditions?.[0], prev.status?.conditions?.[0]);
  assert.equal(t.metadata?.resourceVersion, '2');
  assert.equal(t.status?.phase, 'Running');
  // Changed values are not shared.
  const v3: Pod = structuredClone({
    ...v2,
    metadata: { ...v2.metadata, labels: { a: 'c' }, ownerReferences: [] },
    spec: { ...v2.spec!, containers: [{ name: 'c', image: 'img2' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  });
  const t3 = trimPod(v3, t);
  assert.deepEqual(t3, trimPod(v3));
  assert.notEqual(t3.spec, t.spec);
  assert.deepEqual(t3.status, {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True' }],
  });
  // A label removed, a label added with the same count, a condition gone: never shared wrongly.
  const v4: Pod = structuredClone({
    ...v3,
    metadata: { ...v3.metadata, labels: { z: 'c' } },
    status: { phase: 'Running' },
  });
  const t4 = trimPod(v4, t3);
  assert.deepEqual(t4, trimPod(v4));
  assert.deepEqual(t4.metadata?.labels, { z: 'c' });
  assert.equal(t4.status?.conditions, undefined);
});

test('informer: a watch that the server closes at once is not re-opened in a tight loop', async () => {
  const clock = new VirtualClock();
  const cluster = new MemoryCluster({ clock });
  let watches = 0;
  const view = cluster.client('test');
  const closing: Cluster = {
    ...view,
    watch: () => {
      watches++;
      return Promise.resolve({ stop() {}, done: Promise.resolve() });
    },
  };
  const inf = new Informer<Pod>({ cluster: closing, kind: 'Pod', clock, random: () => 0 });
  inf.start();
  await inf.waitForSync();
  await settle(cluster);
  assert.equal(watches, 1, 'waits before re-opening');
  clock.advance(800);
  await settle(cluster);
  assert.equal(watches, 2);
  await inf.stop();
});
