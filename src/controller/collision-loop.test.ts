/**
 * The revision-collision livelock the fuzzer found (issue 17, "no hang"; seed 7, controller case
 * #121): DS foo's template with `securityContext.runAsNonRoot: Infinity` written into the memory
 * store past the API server (the fuzzer's progress line printed it as null, JSON's spelling of
 * Infinity). The revision the controller created was stored with null there, canonical form kept
 * the template's key and dropped the revision's, so the revision was never recognised as current:
 * every second sync tried to create it again, hit AlreadyExists, found "other" data under its own
 * name and bumped status.collisionCount; the bump's and the create's watch events re-queued the key
 * at once, and on the memory cluster that chain never left the microtask queue (no timer ran).
 *
 * The state is built directly (no fuzz run). Revision creates are capped, so that the test fails
 * (instead of hanging) where the loop is back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ControllerRevision, DaemonSet, Mutable, PodTemplateSpec } from '../api/types.js';
import type { KubeObject, ResourceKind } from '../cluster/port.js';
import { bindAll, dsFoo, harness, kubeletStep, node, type Harness } from './testing.js';

/** The memory cluster's store, written past validation and the JSON copy as the fuzzer does. */
interface RawStore {
  get(kind: ResourceKind, ns: string, name: string): KubeObject | undefined;
  update(kind: ResourceKind, obj: Record<string, unknown>, prev: KubeObject): KubeObject;
}

const CAP = 20;

/** DS foo converged on three nodes; ControllerRevision creates counted, refused past CAP. */
async function converged(): Promise<{ h: Harness; creates: () => number }> {
  let creates = 0;
  const h = harness({
    workers: 1,
    wrap: (c) => ({
      ...c,
      create: (kind, obj) => {
        if (kind === 'ControllerRevision' && ++creates > CAP)
          return Promise.reject(new Error('test cap: too many revision creates'));
        return c.create(kind, obj);
      },
    }),
  });
  for (const n of ['n1', 'n2', 'n3']) await h.cluster.create('Node', node(n));
  await h.cluster.create('DaemonSet', dsFoo('foo'));
  await h.controller.start();
  for (let i = 0; i < 3; i++) {
    await h.settle();
    await bindAll(h.cluster);
    await kubeletStep(h.cluster, h.clock);
  }
  await h.settle();
  return { h, creates: () => creates };
}

function storeRaw(h: Harness, change: (ds: Mutable<DaemonSet>) => void): void {
  const store = (h.cluster as unknown as { store: RawStore }).store;
  const prev = store.get('DaemonSet', 'default', 'foo')!;
  const next = structuredClone(prev) as Mutable<DaemonSet>;
  next.metadata = { ...next.metadata, generation: (prev.metadata?.generation ?? 1) + 1 };
  change(next);
  store.update('DaemonSet', next, prev);
}

for (const value of [Infinity, NaN]) {
  test(`found by the fuzzer: a template holding ${String(value)} gets one revision, recognised; no collisionCount bump`, async () => {
    const { h, creates } = await converged();
    try {
      const before = creates();
      storeRaw(h, (ds) => {
        // A number where a boolean belongs: only a write past the API server can store it.
        const spec = ds.spec!.template.spec as Mutable<NonNullable<PodTemplateSpec['spec']>>;
        spec.securityContext = { runAsNonRoot: value as unknown as boolean, runAsUser: 65534 };
      });
      await h.settle();
      await h.advance(5000);
      assert.equal(creates() - before, 1, 'one revision create for the new template');
      const live = await h.cluster.get<DaemonSet>('DaemonSet', 'default', 'foo');
      assert.equal(live.status?.collisionCount ?? 0, 0, 'no collision');
      const revs = (
        await h.cluster.list<ControllerRevision>('ControllerRevision', { namespace: 'default' })
      ).items;
      assert.deepEqual(revs.map((r) => r.revision).sort(), [1, 2]);
      assert.equal(h.controller.stats().syncErrors, 0);
    } finally {
      await h.controller.stop();
    }
  });
}
