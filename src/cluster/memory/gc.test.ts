import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ControllerRevision, DaemonSet, Pod } from '../../api/types.js';
import { ConflictError, InvalidError, NotFoundError, type KubeObject } from '../port.js';
import { MemoryCluster } from './cluster.js';
import { VirtualClock } from '../../clock/virtual.js';

type Owner = NonNullable<NonNullable<KubeObject['metadata']>['ownerReferences']>[number];

function ds(name: string): DaemonSet {
  return {
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'i' }] },
      },
    },
  };
}

function ref(owner: KubeObject, kind = 'DaemonSet', block = true): Owner {
  return {
    apiVersion: 'apps/v1',
    kind,
    name: owner.metadata!.name!,
    uid: owner.metadata!.uid!,
    controller: true,
    blockOwnerDeletion: block,
  };
}

function pod(name: string, owners: Owner[], nodeName?: string): Pod {
  return {
    metadata: { name, namespace: 'default', ownerReferences: owners },
    spec: { containers: [{ name: 'c', image: 'i' }], ...(nodeName ? { nodeName } : {}) },
  };
}

async function exists(
  c: MemoryCluster,
  kind: 'Pod' | 'DaemonSet' | 'ControllerRevision',
  name: string,
): Promise<KubeObject | undefined> {
  try {
    return await c.get(kind, 'default', name);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

test('graceful deletion: deletionTimestamp is now + grace; a longer grace is ignored; terminal pods go at once', async () => {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1, 12));
  const c = new MemoryCluster({ clock });
  await c.create('Pod', pod('p', [], 'n1'));
  await c.delete('Pod', 'default', 'p');
  const t1 = await c.get<Pod>('Pod', 'default', 'p');
  assert.equal(t1.metadata?.deletionTimestamp, '2026-01-01T12:00:30Z');
  assert.equal(t1.metadata?.deletionGracePeriodSeconds, 30);
  await c.delete('Pod', 'default', 'p', { gracePeriodSeconds: 60 });
  assert.equal(
    (await c.get<Pod>('Pod', 'default', 'p')).metadata?.resourceVersion,
    t1.metadata?.resourceVersion,
  );
  await c.delete('Pod', 'default', 'p', { gracePeriodSeconds: 5 });
  assert.equal(
    (await c.get<Pod>('Pod', 'default', 'p')).metadata?.deletionTimestamp,
    '2026-01-01T12:00:05Z',
  );
  await c.delete('Pod', 'default', 'p', { gracePeriodSeconds: 0 });
  assert.equal(await exists(c, 'Pod', 'p'), undefined);
  const done = await c.create<Pod>('Pod', pod('done', [], 'n1'));
  await c.updateStatus('Pod', { ...done, status: { phase: 'Succeeded' } });
  await c.delete('Pod', 'default', 'done');
  assert.equal(await exists(c, 'Pod', 'done'), undefined);
});

test('finalizers hold a pod after grace 0; none may be added while deleting; resourceVersion precondition', async () => {
  const c = new MemoryCluster({ clock: new VirtualClock() });
  const p = await c.create<Pod>('Pod', {
    ...pod('p', [], 'n1'),
    metadata: { name: 'p', namespace: 'default', finalizers: ['x/y'] },
  });
  await assert.rejects(c.delete('Pod', 'default', 'p', { resourceVersion: '1' }), ConflictError);
  await c.delete('Pod', 'default', 'p', {
    gracePeriodSeconds: 0,
    resourceVersion: p.metadata!.resourceVersion!,
  });
  const held = await c.get<Pod>('Pod', 'default', 'p');
  assert.equal(held.metadata?.deletionGracePeriodSeconds, 0);
  await assert.rejects(
    c.update('Pod', { ...held, metadata: { ...held.metadata, finalizers: ['x/y', 'new/one'] } }),
    InvalidError,
  );
  await c.patch('Pod', 'default', 'p', {
    type: 'json',
    ops: [{ op: 'remove', path: '/metadata/finalizers' }],
  });
  assert.equal(await exists(c, 'Pod', 'p'), undefined);
});

test('background: deleting a DaemonSet removes its revisions, deletes its pods gracefully, spares co-owned pods', async () => {
  const c = new MemoryCluster({ clock: new VirtualClock() });
  const d = await c.create<DaemonSet>('DaemonSet', ds('foo'));
  const other = await c.create<DaemonSet>('DaemonSet', ds('other'));
  await c.create('Pod', pod('bound', [ref(d)], 'n1'));
  await c.create('Pod', pod('unbound', [ref(d)]));
  await c.create('Pod', pod('shared', [ref(d), ref(other, 'DaemonSet', false)]));
  await c.create<ControllerRevision>('ControllerRevision', {
    metadata: { name: 'foo-1', namespace: 'default', ownerReferences: [ref(d)] },
    revision: 1,
  });
  await c.delete('DaemonSet', 'default', 'foo');
  await c.idle();
  assert.equal(await exists(c, 'ControllerRevision', 'foo-1'), undefined);
  assert.equal(await exists(c, 'Pod', 'unbound'), undefined);
  const bound = (await exists(c, 'Pod', 'bound')) as Pod;
  assert.ok(bound.metadata?.deletionTimestamp, 'bound pods terminate gracefully');
  const shared = (await exists(c, 'Pod', 'shared')) as Pod;
  assert.deepEqual(
    shared.metadata?.ownerReferences?.map((o) => o.name),
    ['other'],
  );
  assert.equal(shared.metadata?.deletionTimestamp, undefined);
});

test('orphan: dependents lose the owner reference, then the owner goes', async () => {
  const c = new MemoryCluster({ clock: new VirtualClock() });
  const d = await c.create<DaemonSet>('DaemonSet', ds('foo'));
  await c.create('Pod', pod('p', [ref(d)], 'n1'));
  await c.delete('DaemonSet', 'default', 'foo', { propagationPolicy: 'Orphan' });
  const terminating = (await exists(c, 'DaemonSet', 'foo')) as DaemonSet | undefined;
  assert.ok(terminating === undefined || terminating.metadata?.finalizers?.includes('orphan'));
  await c.idle();
  assert.equal(await exists(c, 'DaemonSet', 'foo'), undefined);
  const p = (await exists(c, 'Pod', 'p')) as Pod;
  assert.equal(p.metadata?.ownerReferences, undefined);
});

test('foreground: the owner stays until the kubelet has removed its blocking pods', async () => {
  const c = new MemoryCluster({ clock: new VirtualClock() });
  const d = await c.create<DaemonSet>('DaemonSet', ds('foo'));
  await c.create('Pod', pod('p', [ref(d)], 'n1'));
  await c.delete('DaemonSet', 'default', 'foo', { propagationPolicy: 'Foreground' });
  await c.idle();
  const owner = (await exists(c, 'DaemonSet', 'foo')) as DaemonSet;
  assert.ok(owner.metadata?.deletionTimestamp);
  assert.deepEqual(owner.metadata?.finalizers, ['foregroundDeletion']);
  assert.ok((await c.get<Pod>('Pod', 'default', 'p')).metadata?.deletionTimestamp);
  await c.delete('Pod', 'default', 'p', { gracePeriodSeconds: 0 });
  await c.idle();
  assert.equal(await exists(c, 'DaemonSet', 'foo'), undefined);
});

test('a dependent created for an owner that does not exist is collected (unless turned off or of a foreign kind)', async () => {
  const ghost: Owner = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    name: 'ghost',
    uid: 'no-such-uid',
    controller: true,
  };
  const foreign: Owner = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    name: 'rs',
    uid: 'rs-uid',
    controller: true,
  };
  const c = new MemoryCluster({ clock: new VirtualClock() });
  await c.create('Pod', pod('dangling', [ghost]));
  await c.create('Pod', pod('foreign', [foreign]));
  await c.idle();
  assert.equal(await exists(c, 'Pod', 'dangling'), undefined);
  assert.ok(await exists(c, 'Pod', 'foreign'));
  const keep = new MemoryCluster({ clock: new VirtualClock(), collectDanglingDependents: false });
  await keep.create('Pod', pod('dangling', [ghost]));
  await keep.idle();
  assert.ok(await exists(keep, 'Pod', 'dangling'));
});

test('events expire after eventTtlMs without a write, swept after a later event write', async () => {
  const clock = new VirtualClock();
  const c = new MemoryCluster({ clock, eventTtlMs: 60 * 60_000 });
  const ev = (name: string) => ({
    metadata: { name, namespace: 'default' },
    involvedObject: { kind: 'DaemonSet', name: 'foo', namespace: 'default' },
    reason: 'SuccessfulCreate',
  });
  await c.create('Event', ev('old'));
  const kept = await c.create('Event', ev('kept'));
  clock.advance(50 * 60_000);
  await c.update('Event', { ...kept, count: 2 });
  clock.advance(20 * 60_000);
  await c.create('Event', ev('trigger'));
  await c.idle();
  const names = (await c.list('Event')).items.map((e) => e.metadata?.name).sort();
  assert.deepEqual(names, ['kept', 'trigger']);
});
