// Issue 17: a pod-template field with a JSON value of the wrong type is refused as kube-apiserver's
// decoder refuses it for apps/v1 (test/cluster/wire-types.test.ts checks kube-apiserver on the
// same cases). Before: `securityContext.runAsNonRoot: 5`, an env source's `optional: "no"`, a
// string for a projected token's expirationSeconds and the rest of the security contexts, env
// sources, resource claims, resize policies and volume sources beyond the common four were kept
// as they were sent (typed `object` or not at all) and accepted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admitDaemonSetCreate, admitStoredDaemonSet } from '../../src/api/dsstrategy.js';
import type { DaemonSet } from '../../src/api/types.js';
import { VirtualClock } from '../../src/clock/virtual.js';
import { MemoryCluster } from '../../src/cluster/memory/cluster.js';
import { seededRandom } from '../../src/cluster/memory/names.js';
import { InvalidError, type KubeObject, type ResourceKind } from '../../src/cluster/port.js';
import { getCondition, INVALID_CONDITION } from '../../src/api/conditions.js';
import { bindAll, dsFoo, harness, kubeletStep, node } from '../../src/controller/testing.js';
import { ACCEPTED, REFUSED, baseDaemonSet } from './wiretype-cases.js';

const edited = (edit: (d: Record<string, unknown>) => void): DaemonSet => {
  const d = baseDaemonSet();
  edit(d);
  return d;
};

test('the base DaemonSet and the right-typed values are accepted', () => {
  assert.deepEqual(admitDaemonSetCreate(baseDaemonSet() as DaemonSet).errors.map(String), []);
  for (const [name, edit] of ACCEPTED)
    assert.deepEqual(admitDaemonSetCreate(edited(edit)).errors.map(String), [], name);
});

for (const [name, edit, path] of REFUSED) {
  test(`refused, naming the field: ${name}`, () => {
    const errors = admitDaemonSetCreate(edited(edit)).errors.map(String);
    assert.equal(errors.length, 1, `${name}: ${JSON.stringify(errors)}`);
    assert.ok(errors[0]!.startsWith(`${path}: Invalid value: `), errors[0]);
    // The controller's check of a stored custom resource is the same strategy.
    const crd = { ...edited(edit), apiVersion: 'apps.everynode.dev/v1alpha1' } as DaemonSet;
    assert.deepEqual(admitStoredDaemonSet(crd).errors.map(String), errors);
  });
}

test('the embedded API server answers 422 with the field error, and stores nothing', async () => {
  const c = new MemoryCluster({ clock: new VirtualClock(), random: seededRandom(1) });
  const client = c.client('test');
  const bad = edited((d) => {
    (d as any).spec.template.spec.securityContext.runAsNonRoot = 5; // eslint-disable-line @typescript-eslint/no-explicit-any
  });
  await assert.rejects(client.create('DaemonSet', bad), (e: unknown) => {
    assert.ok(e instanceof InvalidError);
    assert.match(
      e.message,
      /spec\.template\.spec\.securityContext\.runAsNonRoot: Invalid value: 5: must be true or false/,
    );
    return true;
  });
  assert.equal((await client.list('DaemonSet')).items.length, 0);
});

interface RawStore {
  get(kind: ResourceKind, ns: string, name: string): KubeObject | undefined;
  update(kind: ResourceKind, obj: Record<string, unknown>, prev: KubeObject): KubeObject;
}

// kube-apiserver stores everynode's CRD with these fields as sent (its schema keeps the rest of
// the PodSpec unchecked: 23 of the 24 cases pass a server dry run of the CRD), so the controller
// is where they are refused: the Invalid condition, a FailedValidation Event, no pod written.
test('the CRD: a stored runAsNonRoot: 5 is refused by the controller, no pod is replaced', async () => {
  const h = harness({ workers: 1, dsKind: 'EverynodeDaemonSet' });
  for (const n of ['n1', 'n2']) await h.cluster.create('Node', node(n));
  await h.cluster.create('EverynodeDaemonSet', {
    ...dsFoo('foo'),
    apiVersion: 'apps.everynode.dev/v1alpha1',
  });
  await h.controller.start();
  const running = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) {
      await h.settle();
      await bindAll(h.cluster);
      await kubeletStep(h.cluster, h.clock);
    }
    await h.settle();
  };
  await running();
  const before = (await h.pods(true)).map((p) => p.metadata!.uid!).sort();
  assert.equal(before.length, 2);
  // Written past validation, as kube-apiserver stores the custom resource.
  const store = (h.cluster as unknown as { store: RawStore }).store;
  const prev = store.get('EverynodeDaemonSet', 'default', 'foo')!;
  const bad = structuredClone(prev) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  bad.spec.template.spec.securityContext = { runAsNonRoot: 5 };
  bad.metadata.generation = (prev.metadata?.generation ?? 1) + 1;
  store.update('EverynodeDaemonSet', bad, prev);
  await h.settle();
  await h.advance(30_000);
  await running();
  const stored = await h.cluster.get<DaemonSet>('EverynodeDaemonSet', 'default', 'foo');
  const cond = getCondition(stored.status, INVALID_CONDITION);
  assert.equal(cond?.status, 'True');
  assert.match(
    cond?.message ?? '',
    /spec\.template\.spec\.securityContext\.runAsNonRoot: Invalid value: 5: must be true or false/,
  );
  assert.deepEqual((await h.pods(true)).map((p) => p.metadata!.uid!).sort(), before);
});
