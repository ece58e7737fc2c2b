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
        // Only a write past the API server can store a non-finite number (JSON has none). The
        // fuzzer's field, securityContext.runAsNonRoot, is now refused by the type check (test
        // below); a field no check reads (a newer API's, kept as sent) still reaches the hash.
        const spec = ds.spec!.template.spec as Record<string, unknown>;
        spec.futureField = { limit: value, runAsUser: 65534 };
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

test("the fuzzer's template itself (runAsNonRoot: Infinity) is refused now: no revision, no bump", async () => {
  const { h, creates } = await converged();
  try {
    const before = creates();
    storeRaw(h, (ds) => {
      const spec = ds.spec!.template.spec as Mutable<NonNullable<PodTemplateSpec['spec']>>;
      spec.securityContext = { runAsNonRoot: Infinity as unknown as boolean, runAsUser: 65534 };
    });
    await h.settle();
    await h.advance(5000);
    assert.equal(creates() - before, 0, 'no revision for a template the type check refuses');
    const live = await h.cluster.get<DaemonSet>('DaemonSet', 'default', 'foo');
    assert.equal(live.status?.collisionCount ?? 0, 0, 'no collision');
    const invalid = live.status?.conditions?.find((c) => c.type === 'Invalid');
    assert.equal(invalid?.status, 'True');
  } finally {
    await h.controller.stop();
  }
});

/**
 * Defence, whatever the matcher: an API server that stores other data than the controller sent (a
 * mutating webhook on ControllerRevisions, say) makes every revision the controller creates
 * unrecognisable. Upstream would bump collisionCount and create a revision per two syncs for as
 * long as that lasts; everynode bumps only for a revision it did not create from this template.
 */
test('a revision the API server stored with other data is not a collision: no bump, one revision, a Warning, no retry loop', async () => {
  let creates = 0;
  const h = harness({
    workers: 1,
    wrap: (c) => ({
      ...c,
      create: (kind, obj) => {
        if (kind !== 'ControllerRevision') return c.create(kind, obj);
        if (++creates > CAP)
          return Promise.reject(new Error('test cap: too many revision creates'));
        const rev = structuredClone(obj) as unknown as Mutable<ControllerRevision>;
        const data = rev.data as { spec: { template: { metadata: Record<string, unknown> } } };
        data.spec.template.metadata.annotations = { 'webhook.example/mutated': 'true' };
        return c.create(kind, rev as unknown as typeof obj);
      },
    }),
  });
  try {
    for (const n of ['n1', 'n2']) await h.cluster.create('Node', node(n));
    await h.cluster.create('DaemonSet', dsFoo('foo'));
    await h.controller.start();
    await h.settle();
    await h.advance(60_000, 5000);
    assert.equal(creates, 2, 'the revision, then one create that finds it');
    const live = await h.cluster.get<DaemonSet>('DaemonSet', 'default', 'foo');
    assert.equal(live.status?.collisionCount ?? 0, 0, 'no collisionCount bump');
    const revs = await h.cluster.list('ControllerRevision', { namespace: 'default' });
    assert.equal(revs.items.length, 1);
    const events = (
      await h.cluster.list<KubeObject & { reason?: string; message?: string }>('Event')
    ).items;
    const warning = events.find((e) => e.reason === 'RevisionNotRecognized');
    assert.ok(warning, `events: ${events.map((e) => e.reason).join(', ')}`);
    assert.match(warning.message ?? '', /foo-\w+/);
    // Not retried with backoff until the DaemonSet changes: a minute on, still two creates.
    const syncs = h.controller.stats().syncs;
    await h.advance(60_000, 10_000);
    assert.equal(creates, 2);
    assert.equal(h.controller.stats().syncs, syncs);
  } finally {
    await h.controller.stop();
  }
});

/**
 * Defence, whatever fails: each failed sync gives the event loop a turn before its worker takes
 * the next key. On the memory cluster a call and a watch event are microtasks, so a sync that
 * fails after a write (whose event queues the key again at once) would otherwise chain syncs
 * without ever reaching a timer, I/O or a signal: `run --embedded` would stop answering.
 */
test('a failing sync whose write queues it again lets timers run between syncs', async () => {
  let calls = 0;
  let ticked = false;
  const seen: boolean[] = [];
  const h = harness({
    workers: 1,
    wrap: (c) => ({
      ...c,
      create: async (kind, obj) => {
        if (kind !== 'ControllerRevision') return c.create(kind, obj);
        seen.push(ticked);
        if (++calls > CAP) throw new Error('test cap');
        // Write an orphan revision its selector matches (its watch event queues the DaemonSet
        // again), then fail.
        const meta = { ...obj.metadata, name: undefined, generateName: 'other-' };
        delete meta.ownerReferences;
        await c.create(kind, { ...obj, metadata: meta, data: { other: calls } });
        throw new Error('injected failure after a write');
      },
    }),
  });
  try {
    await h.cluster.create('Node', node('n1'));
    await h.controller.start();
    await h.settle();
    setImmediate(() => {
      ticked = true;
    });
    await h.cluster.create('DaemonSet', dsFoo('foo'));
    await h.settle();
    assert.ok(seen.length > 2, `calls ${seen.length}`);
    assert.equal(seen[0], false);
    assert.ok(
      seen.slice(0, 3).includes(true),
      `a turn of the event loop by the third sync: ${seen.join()}`,
    );
  } finally {
    await h.controller.stop();
  }
});
