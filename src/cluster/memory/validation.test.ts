// Issue 17 item 1: the embedded API server refuses what kube-apiserver refuses, on create, update
// and patch, with the same field errors; a Node's taints are checked too. Before this commit the
// `Near` DaemonSet and the `Bogus` taint were stored, and `taints: null` was stored as null.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DaemonSet, Node } from '../../api/types.js';
import { VirtualClock } from '../../clock/virtual.js';
import { InvalidError } from '../port.js';
import { MemoryCluster } from './cluster.js';
import { seededRandom } from './names.js';

function cluster(): MemoryCluster {
  return new MemoryCluster({ clock: new VirtualClock(), random: seededRandom(1) });
}

function ds(operator = 'In'): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: {
          containers: [{ name: 'agent', image: 'agent:1' }],
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchExpressions: [{ key: 'zone', operator, values: ['a'] }] },
                ],
              },
            },
          },
        },
      },
    },
  };
}

const NEAR =
  /DaemonSet\.apps "agent" is invalid: spec\.template\.spec\.affinity\.nodeAffinity\.requiredDuringSchedulingIgnoredDuringExecution\.nodeSelectorTerms\[0\]\.matchExpressions\[0\]\.operator: Invalid value: "Near": not a valid selector operator/;

test('create: a DaemonSet with operator Near is refused (422, field errors)', async () => {
  const c = cluster();
  await assert.rejects(c.create('DaemonSet', ds('Near')), (err: unknown) => {
    assert.ok(err instanceof InvalidError);
    assert.match(err.message, NEAR);
    return true;
  });
  await assert.rejects(c.get('DaemonSet', 'default', 'agent'));
});

test('update and merge patch with the typo are refused; the stored object is unchanged', async () => {
  const c = cluster();
  const stored = await c.create('DaemonSet', ds());
  const bad = ds('in');
  await assert.rejects(
    c.update('DaemonSet', { ...bad, metadata: stored.metadata }),
    (err: unknown) => err instanceof InvalidError && /Invalid value: "in"/.test(err.message),
  );
  await assert.rejects(
    c.patch('DaemonSet', 'default', 'agent', {
      type: 'merge',
      body: { spec: { minReadySeconds: 2.5 } },
    }),
    /spec\.minReadySeconds: Invalid value: 2\.5: must be an integer/,
  );
  const now = await c.get<DaemonSet>('DaemonSet', 'default', 'agent');
  assert.equal(now.metadata?.resourceVersion, stored.metadata?.resourceVersion);
  assert.equal(now.metadata?.generation, 1);
});

test('everynode CRD kind: the same rules under its own name', async () => {
  const c = cluster();
  await assert.rejects(
    c.create('EverynodeDaemonSet', {
      ...ds('Near'),
      apiVersion: 'apps.everynode.dev/v1alpha1',
    }),
    /DaemonSet\.apps\.everynode\.dev "agent" is invalid/,
  );
});

function node(spec: unknown): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec } as Node;
}

test('nodes: a taint effect Bogus or taints of the wrong type are refused; taints: null is absent', async () => {
  const c = cluster();
  await assert.rejects(
    c.create('Node', node({ taints: [{ key: 'k', effect: 'Bogus' }] })),
    /Node "n1" is invalid: spec\.taints\[0\]\.effect: Unsupported value: "Bogus": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"/,
  );
  await assert.rejects(
    c.create('Node', node({ taints: 'x' })),
    /spec\.taints: Invalid value: "x": must be a list/,
  );
  await assert.rejects(
    c.create(
      'Node',
      node({
        taints: [
          { key: 'k', effect: 'NoSchedule' },
          { key: 'k', effect: 'NoSchedule' },
        ],
      }),
    ),
    /taints must be unique by key and effect pair/,
  );
  const stored = await c.create('Node', node({ taints: null, unschedulable: null }));
  assert.deepEqual(stored.spec, {});
  await assert.rejects(
    c.update('Node', { ...stored, spec: { taints: [{ key: 'k', effect: 'Bogus' }] } }),
    /Unsupported value: "Bogus"/,
  );
});
