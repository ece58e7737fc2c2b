/**
 * Executor paths that need the whole runtime: adoption with its live re-check (scenarios 41, 43)
 * and the hash-collision path of §8.4 (scenario 88), against the memory cluster.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeTemplateHash } from '../api/hash.js';
import type { ControllerRevision, DaemonSet, DaemonSetStatus, Mutable, Pod } from '../api/types.js';
import { CONTROLLER_REVISION_HASH_LABEL } from '../api/types.js';
import { AlreadyExistsError, type KubeObject, type ResourceKind } from '../cluster/port.js';
import { AdoptionRecheckError } from './executor.js';
import { dsFoo, harness, L1, node, type Harness } from './testing.js';

const KEY = 'default/foo';

async function sync(h: Harness): Promise<Error | undefined> {
  try {
    await h.controller.syncDaemonSet(KEY);
    return undefined;
  } catch (err) {
    return err as Error;
  } finally {
    await h.settle();
  }
}

async function status(h: Harness): Promise<DaemonSetStatus | undefined> {
  return (await h.cluster.get<DaemonSet>('DaemonSet', 'default', 'foo')).status;
}

async function setup(h: Harness, nodes: number): Promise<void> {
  for (let i = 0; i < nodes; i++) await h.cluster.create('Node', node(`node-${i}`));
  await h.cluster.create('DaemonSet', dsFoo());
  await h.controller.start();
  await h.settle();
}

function orphanOn(nodeName: string, name = 'orphan'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { ...L1 } },
    spec: { containers: [{ name: 'c', image: 'foo/bar' }], nodeName },
  };
}

test('scenario 41: an orphan is adopted after one live re-read of the DaemonSet, not duplicated', async () => {
  let dsGets = 0;
  const h = harness({
    workers: 0,
    wrap: (c) => ({
      ...c,
      get: (k, ns, n) => {
        if (k === 'DaemonSet') dsGets++;
        return c.get(k, ns, n);
      },
    }),
  });
  for (let i = 0; i < 3; i++) await h.cluster.create('Node', node(`node-${i}`));
  await h.cluster.create('Pod', orphanOn('node-0'));
  await h.cluster.create('DaemonSet', dsFoo());
  await h.controller.start();
  await h.settle();
  await h.controller.syncDaemonSet('default/foo');
  await h.settle();
  assert.equal(dsGets, 1, 'one live GET before the first adoption');
  const adopted = await h.cluster.get<Pod>('Pod', 'default', 'orphan');
  const ds = await h.cluster.get<DaemonSet>('DaemonSet', 'default', 'foo');
  assert.equal(adopted.metadata?.ownerReferences?.[0]?.uid, ds.metadata?.uid);
  assert.equal(adopted.metadata?.ownerReferences?.[0]?.controller, true);
  const pods = await h.pods();
  assert.equal(pods.length, 3);
  assert.deepEqual(
    pods
      .map(
        (p) =>
          p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
            ?.nodeSelectorTerms?.[0]?.matchFields?.[0]?.values?.[0],
      )
      .filter(Boolean)
      .sort(),
    ['node-1', 'node-2'],
  );
  await h.controller.stop();
});

test('scenario 43: adoption fails when the live DaemonSet is being deleted: no creates, deletes or events', async () => {
  const h = harness({
    workers: 0,
    wrap: (c) => ({
      ...c,
      get: async <T extends KubeObject>(k: ResourceKind, ns: string, n: string): Promise<T> => {
        const obj = await c.get<T>(k, ns, n);
        if (k !== 'DaemonSet') return obj;
        return { ...obj, metadata: { ...obj.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
      },
    }),
  });
  for (let i = 0; i < 5; i++) await h.cluster.create('Node', node(`node-${i}`));
  await h.cluster.create('Pod', orphanOn('node-0'));
  await h.cluster.create('DaemonSet', dsFoo());
  await h.controller.start();
  await h.settle();
  h.cluster.resetStats();
  await assert.rejects(h.controller.syncDaemonSet('default/foo'), AdoptionRecheckError);
  await h.settle();
  const calls = h.cluster.stats('controller').byKind;
  assert.equal(calls.Pod?.create, undefined);
  assert.equal(calls.Pod?.delete, undefined);
  assert.equal(calls.Pod?.patch, undefined);
  assert.equal(calls.Event, undefined);
  assert.equal(
    (await h.cluster.get<Pod>('Pod', 'default', 'orphan')).metadata?.ownerReferences,
    undefined,
  );
  await h.controller.stop();
});

test('scenario 88: a hash collision bumps collisionCount, fails the sync, and the next sync proceeds', async () => {
  const h = harness({ workers: 0 });
  await setup(h, 1);
  assert.equal(await sync(h), undefined);
  const [rev0] = (
    await h.cluster.list<ControllerRevision>('ControllerRevision', { namespace: 'default' })
  ).items;
  assert.equal(rev0?.revision, 1);
  const live = structuredClone(
    await h.cluster.get<DaemonSet>('DaemonSet', 'default', 'foo'),
  ) as Mutable<DaemonSet>;
  live.spec!.template.spec!.terminationGracePeriodSeconds = 1;
  await h.cluster.update('DaemonSet', live);
  await h.settle();
  const cached = h.controller.caches.daemonSets.get(KEY)!;
  const h1 = computeTemplateHash(cached.spec!.template, cached.status?.collisionCount ?? undefined);
  await h.cluster.create('ControllerRevision', {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `foo-${h1}`,
      namespace: 'default',
      labels: { ...L1, [CONTROLLER_REVISION_HASH_LABEL]: h1 },
      ownerReferences: rev0.metadata!.ownerReferences,
    },
    data: rev0.data,
    revision: 2,
  });
  await h.settle();
  const err = await sync(h);
  assert.ok(err instanceof AlreadyExistsError, `got ${String(err)}`);
  assert.equal((await status(h))?.collisionCount, 1);
  assert.equal(await sync(h), undefined);
  const revs = (
    await h.cluster.list<ControllerRevision>('ControllerRevision', { namespace: 'default' })
  ).items;
  const newest = revs.find((r) => r.revision === 3);
  assert.ok(newest, 'a new revision with revision 3');
  assert.notEqual(newest.metadata?.name, `foo-${h1}`);
  await h.controller.stop();
});
