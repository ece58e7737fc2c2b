// Issue 17 item 1/3: the controller refuses, never acts. A DaemonSet that bypassed validation
// (written straight into the embedded API server's store, as a custom resource is stored by a
// real kube-apiserver) gets a Warning FailedValidation Event and the Invalid condition; no pod or
// revision is written; the other DaemonSet keeps syncing; fixing it removes the condition.
// Before: operator Near deleted every pod of the DaemonSet, with no Event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getCondition, INVALID_CONDITION } from '../../src/api/conditions.js';
import type { DaemonSet, Event, Mutable, Pod } from '../../src/api/types.js';
import type { KubeObject, ResourceKind } from '../../src/cluster/port.js';
import type { MemoryCluster } from '../../src/cluster/memory/index.js';
import { bindAll, dsFoo, harness, kubeletStep, node } from '../../src/controller/testing.js';

interface RawStore {
  get(kind: ResourceKind, ns: string, name: string): KubeObject | undefined;
  update(kind: ResourceKind, obj: Record<string, unknown>, prev: KubeObject): KubeObject;
}

/** Stores an object as it is, skipping the registry (defaults, validation), with generation + 1. */
function bypassValidation(c: MemoryCluster, kind: ResourceKind, obj: DaemonSet): void {
  const store = (c as unknown as { store: RawStore }).store;
  const ns = obj.metadata!.namespace!;
  const prev = store.get(kind, ns, obj.metadata!.name!)!;
  const generation = (prev.metadata?.generation ?? 1) + 1;
  store.update(kind, { ...structuredClone(obj), metadata: { ...prev.metadata, generation } }, prev);
}

function withNear(ds: DaemonSet): DaemonSet {
  const out = structuredClone(ds) as Mutable<DaemonSet>;
  out.spec!.template.spec!.affinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'zone', operator: 'Near', values: ['a'] }] },
        ],
      },
    },
  };
  return out;
}

async function running(h: ReturnType<typeof harness>): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await h.settle();
    await bindAll(h.cluster);
    await kubeletStep(h.cluster, h.clock);
  }
  await h.settle();
}

for (const kind of ['DaemonSet', 'EverynodeDaemonSet'] as const) {
  test(`${kind}: an invalid spec gets an Event and the Invalid condition, and nothing is deleted`, async () => {
    const h = harness({ workers: 1, dsKind: kind });
    for (const n of ['n1', 'n2', 'n3']) await h.cluster.create('Node', node(n));
    const api = kind === 'DaemonSet' ? 'apps/v1' : 'apps.everynode.dev/v1alpha1';
    const foo = await h.cluster.create(kind, { ...dsFoo('foo'), apiVersion: api });
    await h.cluster.create(kind, { ...dsFoo('bar'), apiVersion: api });
    await h.controller.start();
    await running(h);
    const podsBefore = (await h.pods(true)).map((p) => p.metadata!.name!).sort();
    assert.equal(podsBefore.length, 6);
    const statsBefore = h.cluster.stats('controller');

    bypassValidation(
      h.cluster,
      kind,
      withNear(await h.cluster.get<DaemonSet>(kind, 'default', 'foo')),
    );
    await h.settle();
    await h.advance(30_000);

    const stored = await h.cluster.get<DaemonSet>(kind, 'default', 'foo');
    const cond = getCondition(stored.status, INVALID_CONDITION);
    assert.equal(cond?.status, 'True');
    assert.equal(cond?.reason, 'FailedValidation');
    assert.match(
      cond?.message ?? '',
      /matchExpressions\[0\]\.operator: Invalid value: "Near": not a valid selector operator/,
    );
    const events = (await h.cluster.list<Event>('Event', { namespace: 'default' })).items;
    const refused = events.filter(
      (e) => e.reason === 'FailedValidation' && e.involvedObject?.name === 'foo',
    );
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.type, 'Warning');
    assert.equal(
      (await h.pods(true))
        .map((p) => p.metadata!.name!)
        .sort()
        .join(),
      podsBefore.join(),
    );
    const after = h.cluster.stats('controller');
    const podOrRevisionWrites = (st: typeof after): number =>
      (['Pod', 'ControllerRevision'] as const)
        .flatMap((k) =>
          ['create', 'update', 'patch', 'delete'].map((v) => st.byKind[k]?.[v as 'create'] ?? 0),
        )
        .reduce((a, b) => a + b, 0);
    assert.equal(
      podOrRevisionWrites(after),
      podOrRevisionWrites(statsBefore),
      'no pod or revision writes',
    );

    // The other DaemonSet keeps syncing: a new node gets its pod, and none of foo's.
    await h.cluster.create('Node', node('n4'));
    await running(h);
    const onN4 = (await h.pods(true)).filter((p: Pod) => p.spec?.nodeName === 'n4');
    assert.deepEqual(
      onN4.map((p) => p.metadata!.ownerReferences![0]!.name),
      ['bar'],
    );

    // Fixed: the condition goes, and foo gets its pod on n4.
    const fixed = structuredClone(
      await h.cluster.get<DaemonSet>(kind, 'default', 'foo'),
    ) as Mutable<DaemonSet>;
    delete fixed.spec!.template.spec!.affinity;
    bypassValidation(h.cluster, kind, fixed);
    await running(h);
    const now = await h.cluster.get<DaemonSet>(kind, 'default', 'foo');
    assert.equal(getCondition(now.status, INVALID_CONDITION), undefined);
    assert.equal((await h.pods(true)).filter((p) => p.spec?.nodeName === 'n4').length, 2);
    assert.ok(foo.metadata?.uid);
    await h.controller.stop();
  });
}
