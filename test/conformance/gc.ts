/** Conformance: garbage collection by ownerReferences (Background, Orphan, Foreground). */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { DaemonSet, Pod } from '../../src/api/types.js';
import {
  daemonSet,
  eventually,
  isGone,
  ownedPod,
  withTarget,
  type ConformanceTarget,
  type MakeCluster,
} from './helpers.js';

async function setup(t: ConformanceTarget): Promise<DaemonSet> {
  const ds = await t.cluster.create<DaemonSet>('DaemonSet', daemonSet(t.namespace, 'owner'));
  await t.cluster.create('Pod', ownedPod(ds, 'dep-1'));
  await t.cluster.create('Pod', ownedPod(ds, 'dep-2'));
  return ds;
}

/** Skips the test (and returns true) when no garbage collector runs against the target. */
function skipWithoutGC(t: ConformanceTarget, ctx: TestContext): boolean {
  if (t.capabilities?.garbageCollection === true) return false;
  ctx.skip('no garbage collector runs against this adapter');
  return true;
}

/** Registers the garbage-collection tests. */
export function gcTests(make: MakeCluster): void {
  test('deleting a DaemonSet removes its pods in the background', async (ctx) => {
    await withTarget(make, async (t) => {
      if (skipWithoutGC(t, ctx)) return;
      await setup(t);
      await t.cluster.delete('DaemonSet', t.namespace, 'owner');
      assert.ok(await isGone(t.cluster, 'DaemonSet', t.namespace, 'owner'));
      for (const name of ['dep-1', 'dep-2']) {
        await eventually(
          t,
          async () => ((await isGone(t.cluster, 'Pod', t.namespace, name)) ? true : undefined),
          `${name} gone`,
        );
      }
    });
  });

  test('orphan deletion keeps the pods and removes their owner reference', async (ctx) => {
    await withTarget(make, async (t) => {
      if (skipWithoutGC(t, ctx)) return;
      await setup(t);
      await t.cluster.delete('DaemonSet', t.namespace, 'owner', { propagationPolicy: 'Orphan' });
      await eventually(
        t,
        async () =>
          (await isGone(t.cluster, 'DaemonSet', t.namespace, 'owner')) ? true : undefined,
        'owner gone',
      );
      for (const name of ['dep-1', 'dep-2']) {
        const p = await eventually(
          t,
          async () => {
            const live = await t.cluster.get<Pod>('Pod', t.namespace, name);
            return (live.metadata?.ownerReferences ?? []).length === 0 ? live : undefined;
          },
          `${name} orphaned`,
        );
        assert.equal(p.metadata?.deletionTimestamp, undefined);
      }
    });
  });

  test('foreground deletion removes the pods before the DaemonSet', async (ctx) => {
    await withTarget(make, async (t) => {
      if (skipWithoutGC(t, ctx)) return;
      await setup(t);
      await t.cluster.delete('DaemonSet', t.namespace, 'owner', {
        propagationPolicy: 'Foreground',
      });
      await eventually(
        t,
        async () =>
          (await isGone(t.cluster, 'DaemonSet', t.namespace, 'owner')) ? true : undefined,
        'owner gone',
      );
      for (const name of ['dep-1', 'dep-2'])
        assert.ok(await isGone(t.cluster, 'Pod', t.namespace, name));
    });
  });
}
