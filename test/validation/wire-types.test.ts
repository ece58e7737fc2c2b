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
import { InvalidError } from '../../src/cluster/port.js';
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
