/** Conformance: create, get, list, update, patch, delete, and their errors, on any adapter. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ControllerRevision, Lease, Node, Pod } from '../../src/api/types.js';
import {
  AlreadyExistsError,
  ConflictError,
  InvalidError,
  NotFoundError,
} from '../../src/cluster/port.js';
import {
  isGone,
  lease,
  node,
  pod,
  rejectsWith,
  retryOnConflict,
  rvOf,
  withTarget,
  type MakeCluster,
} from './helpers.js';

/** Registers the CRUD tests. */
export function crudTests(make: MakeCluster): void {
  test('create fills uid, creationTimestamp and resourceVersion; get returns the same object', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const created = await cluster.create<Lease>('Lease', lease(namespace, 'l1'));
      assert.ok(created.metadata?.uid);
      assert.ok(created.metadata?.creationTimestamp);
      assert.match(created.metadata?.resourceVersion ?? '', /^[0-9]+$/);
      assert.equal(created.spec?.holderIdentity, 'a');
      const got = await cluster.get<Lease>('Lease', namespace, 'l1');
      assert.equal(got.metadata?.uid, created.metadata?.uid);
      assert.equal(got.metadata?.resourceVersion, created.metadata?.resourceVersion);
    }));

  test('resourceVersion grows with every write, across objects', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const a = await cluster.create<Lease>('Lease', lease(namespace, 'a'));
      const b = await cluster.create<Lease>('Lease', lease(namespace, 'b'));
      const a2 = await cluster.update<Lease>('Lease', {
        ...a,
        spec: { ...a.spec, holderIdentity: 'z' },
      });
      assert.ok(rvOf(b) > rvOf(a));
      assert.ok(rvOf(a2) > rvOf(b));
      const list = await cluster.list('Lease', { namespace });
      assert.ok(Number(list.resourceVersion) >= rvOf(a2));
    }));

  test('a second create of the same name is AlreadyExists', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      await cluster.create('Lease', lease(namespace, 'dup'));
      await rejectsWith(cluster.create('Lease', lease(namespace, 'dup')), AlreadyExistsError);
    }));

  test('get, update, patch and delete of a missing object are NotFound', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      await rejectsWith(cluster.get('Lease', namespace, 'nope'), NotFoundError);
      await rejectsWith(cluster.update('Pod', pod(namespace, 'nope')), NotFoundError);
      const body = { metadata: { labels: { a: 'b' } } };
      await rejectsWith(
        cluster.patch('Lease', namespace, 'nope', { type: 'merge', body }),
        NotFoundError,
      );
      await rejectsWith(cluster.delete('Lease', namespace, 'nope'), NotFoundError);
    }));

  test('an update with a stale resourceVersion is Conflict; a pod update without one goes through', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const v1 = await cluster.create<Lease>('Lease', lease(namespace, 'occ'));
      await cluster.update<Lease>('Lease', { ...v1, spec: { ...v1.spec, holderIdentity: 'b' } });
      await rejectsWith(
        cluster.update('Lease', { ...v1, spec: { ...v1.spec, holderIdentity: 'c' } }),
        ConflictError,
      );
      const p = await cluster.create<Pod>('Pod', pod(namespace, 'occ'));
      const { resourceVersion: _rv, ...meta } = p.metadata!;
      const p2 = await cluster.update<Pod>('Pod', {
        ...p,
        metadata: { ...meta, labels: { app: 'conf', x: 'y' } },
      });
      assert.equal(p2.metadata?.labels?.x, 'y');
    }));

  test('a Lease update must carry a resourceVersion (Invalid otherwise)', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const v1 = await cluster.create<Lease>('Lease', lease(namespace, 'uncond'));
      const { resourceVersion: _rv, ...meta } = v1.metadata!;
      await rejectsWith(cluster.update('Lease', { ...v1, metadata: meta }), InvalidError);
    }));

  test('generateName: the server appends 5 characters', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const obj = lease(namespace, '');
      const created = await cluster.create<Lease>('Lease', {
        ...obj,
        metadata: { namespace, generateName: 'gen-' },
      });
      assert.match(created.metadata?.name ?? '', /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    }));

  test('delete with a uid precondition that does not match is Conflict', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      await cluster.create('Lease', lease(namespace, 'pre'));
      const uid = '00000000-0000-4000-8000-000000000000';
      await rejectsWith(cluster.delete('Lease', namespace, 'pre', { uid }), ConflictError);
      const live = await cluster.get<Lease>('Lease', namespace, 'pre');
      await cluster.delete('Lease', namespace, 'pre', { uid: live.metadata!.uid! });
      assert.ok(await isGone(cluster, 'Lease', namespace, 'pre'));
    }));

  test('patch: merge adds and removes labels, JSON patch replaces, a failed test is Invalid', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      await cluster.create('Lease', {
        ...lease(namespace, 'p'),
        metadata: { name: 'p', namespace, labels: { x: '1' } },
      });
      const merged = await cluster.patch<Lease>('Lease', namespace, 'p', {
        type: 'merge',
        body: { metadata: { labels: { x: null, y: '2' } } },
      });
      assert.deepEqual(merged.metadata?.labels, { y: '2' });
      const replaced = await cluster.patch<Lease>('Lease', namespace, 'p', {
        type: 'json',
        ops: [
          { op: 'test', path: '/spec/holderIdentity', value: 'a' },
          { op: 'replace', path: '/spec/holderIdentity', value: 'b' },
        ],
      });
      assert.equal(replaced.spec?.holderIdentity, 'b');
      const failed = cluster.patch('Lease', namespace, 'p', {
        type: 'json',
        ops: [{ op: 'test', path: '/spec/holderIdentity', value: 'a' }],
      });
      await rejectsWith(failed, InvalidError);
    }));

  test('patch carrying a stale resourceVersion is Conflict', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const v1 = await cluster.create<Lease>('Lease', lease(namespace, 'pr'));
      await cluster.patch('Lease', namespace, 'pr', {
        type: 'merge',
        body: { spec: { holderIdentity: 'x' } },
      });
      const stale = {
        metadata: { resourceVersion: v1.metadata!.resourceVersion! },
        spec: { holderIdentity: 'y' },
      };
      await rejectsWith(
        cluster.patch('Lease', namespace, 'pr', { type: 'merge', body: stale }),
        ConflictError,
      );
    }));

  test('a finalizer keeps a deleted object until an update removes it', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const base = lease(namespace, 'fin');
      await cluster.create('Lease', {
        ...base,
        metadata: { ...base.metadata, finalizers: ['example.com/hold'] },
      });
      await cluster.delete('Lease', namespace, 'fin');
      const held = await cluster.get<Lease>('Lease', namespace, 'fin');
      assert.ok(held.metadata?.deletionTimestamp);
      await cluster.update('Lease', { ...held, metadata: { ...held.metadata, finalizers: [] } });
      assert.ok(await isGone(cluster, 'Lease', namespace, 'fin'));
    }));

  test('nodes are cluster-scoped, and their status is a subresource', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const name = `${namespace}-n1`;
      try {
        await cluster.create('Node', node(name, { zone: 'a' }));
        const got = await cluster.get<Node>('Node', '', name);
        assert.equal(got.metadata?.namespace ?? '', '');
        const listed = await cluster.list<Node>('Node', {
          labelSelector: 'zone=a',
          fieldSelector: `metadata.name=${name}`,
        });
        assert.deepEqual(
          listed.items.map((n) => n.metadata?.name),
          [name],
        );
        // Each write reads the node afresh: a real cluster's controllers write new Nodes too.
        const cond = { type: 'Ready', status: 'True' };
        const withStatus = await retryOnConflict(async () =>
          cluster.updateStatus<Node>('Node', {
            ...(await cluster.get<Node>('Node', '', name)),
            status: { conditions: [cond] },
          }),
        );
        assert.equal(withStatus.status?.conditions?.[0]?.status, 'True');
        const ignored = await retryOnConflict(async () =>
          cluster.update<Node>('Node', {
            ...(await cluster.get<Node>('Node', '', name)),
            status: { conditions: [] },
          }),
        );
        assert.equal(ignored.status?.conditions?.[0]?.status, 'True');
      } finally {
        await cluster.delete('Node', '', name).catch(() => undefined);
      }
    }));

  test('ControllerRevision data is immutable', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const rev = await cluster.create<ControllerRevision>('ControllerRevision', {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: { name: 'r1', namespace },
        data: { spec: { template: { metadata: { labels: { a: 'b' } } } } },
        revision: 1,
      });
      const bumped = await cluster.update<ControllerRevision>('ControllerRevision', {
        ...rev,
        revision: 2,
      });
      assert.equal(bumped.revision, 2);
      await rejectsWith(
        cluster.update('ControllerRevision', { ...bumped, data: { other: true } }),
        InvalidError,
      );
    }));

  test('an update built from a returned object stores what was sent; earlier results stay as they were', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const created = await cluster.create<Pod>('Pod', pod(namespace, 'reuse'));
      const container = created.spec!.containers[0]!;
      const updated = await cluster.update<Pod>('Pod', {
        ...created,
        metadata: { ...created.metadata, labels: { ...created.metadata?.labels, extra: 'x' } },
        spec: {
          ...created.spec!,
          containers: [{ ...container, image: 'registry.k8s.io/pause:3.10' }],
          // Left undefined, as a client may: it is not part of what is sent.
          activeDeadlineSeconds: undefined,
        },
      });
      assert.equal(updated.spec?.containers[0]?.image, 'registry.k8s.io/pause:3.10');
      assert.equal(updated.spec?.containers[0]?.name, container.name);
      assert.equal(updated.metadata?.labels?.extra, 'x');
      assert.equal(updated.spec?.schedulerName, created.spec?.schedulerName);
      assert.ok(!('activeDeadlineSeconds' in (updated.spec ?? {})));
      assert.equal(
        created.spec?.containers[0]?.image,
        container.image,
        'the first result is unchanged',
      );
      assert.equal(created.metadata?.labels?.extra, undefined);
      const got = await cluster.get<Pod>('Pod', namespace, 'reuse');
      assert.equal(got.spec?.containers[0]?.image, 'registry.k8s.io/pause:3.10');
      const statusBefore = JSON.stringify(got.status);
      const withStatus = await cluster.updateStatus<Pod>('Pod', {
        ...got,
        status: {
          ...got.status,
          conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }],
        },
      });
      assert.equal(withStatus.status?.conditions?.[0]?.reason, 'Unschedulable');
      assert.equal(withStatus.status?.phase, got.status?.phase);
      assert.equal(
        JSON.stringify(got.status),
        statusBefore,
        'the object it was built from is unchanged',
      );
    }));
}
