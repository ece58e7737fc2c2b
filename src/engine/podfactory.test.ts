import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DaemonSet, Mutable } from '../api/types.js';
import { generateNameFor, makePodFactory, newDaemonPod } from './podfactory.js';

function ds(): Mutable<DaemonSet> {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: 'foo',
      namespace: 'ns',
      uid: 'uid-1',
      annotations: { 'deprecated.daemonset.template.generation': '7' },
    },
    spec: {
      selector: { matchLabels: { app: 'a' } },
      template: {
        metadata: { labels: { app: 'a' }, annotations: { note: 'x' }, finalizers: ['f/one'] },
        spec: {
          containers: [{ name: 'c', image: 'i' }],
          nodeName: 'pinned',
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'k' }],
            },
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
                ],
              },
            },
          },
        },
      },
    },
  };
}

test('the pod carries labels, annotations, finalizers, owner and namespace as §1.5 says', () => {
  const d = ds();
  const before = structuredClone(d);
  const pod = newDaemonPod(d, 'h4sh', 'node-1');
  assert.deepEqual(d, before, 'the DaemonSet is not touched');
  assert.equal(pod.metadata?.generateName, 'foo-');
  assert.equal(pod.metadata?.name, undefined);
  assert.equal(pod.metadata?.namespace, 'ns');
  assert.deepEqual(pod.metadata?.labels, {
    app: 'a',
    'controller-revision-hash': 'h4sh',
    'pod-template-generation': '7',
  });
  assert.deepEqual(pod.metadata?.annotations, { note: 'x' });
  assert.deepEqual(pod.metadata?.finalizers, ['f/one']);
  assert.equal(pod.metadata?.ownerReferences?.length, 1);
  assert.equal(pod.metadata?.ownerReferences?.[0]?.uid, 'uid-1');
  assert.equal(pod.metadata?.ownerReferences?.[0]?.controller, true);
  assert.equal(pod.spec?.nodeName, 'pinned', 'nodeName stays as the template has it');
  assert.deepEqual(
    pod.spec?.affinity?.podAntiAffinity,
    d.spec!.template.spec!.affinity!.podAntiAffinity,
    'other affinity kept',
  );
  assert.deepEqual(
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
    {
      nodeSelectorTerms: [
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] },
      ],
    },
  );
  assert.equal(pod.spec?.tolerations?.length, 6);
});

test('no hash label for an empty hash; no generation label without a parseable annotation', () => {
  const d = ds();
  d.metadata!.annotations = { 'deprecated.daemonset.template.generation': 'x1' };
  assert.deepEqual(newDaemonPod(d, '', 'n').metadata?.labels, { app: 'a' });
  delete d.metadata!.annotations;
  assert.deepEqual(newDaemonPod(d, 'h', 'n').metadata?.labels, {
    app: 'a',
    'controller-revision-hash': 'h',
  });
});

test('pods from a factory are frozen: a write throws, and no pod can change another', () => {
  const make = makePodFactory(ds(), 'h');
  const a = make('a') as Mutable<ReturnType<typeof make>>;
  const b = make('b');
  assert.throws(() => {
    a.metadata!.labels!.app = 'changed';
  }, TypeError);
  assert.throws(() => a.spec!.tolerations!.pop(), TypeError);
  assert.throws(() => {
    a.spec!.affinity = {};
  }, TypeError);
  assert.equal(b.metadata?.labels?.app, 'a');
  assert.equal(b.spec?.tolerations?.length, 6);
  // Each pod has its own pin; a deep copy is free to change.
  const pinned = (p: typeof b) =>
    p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
      ?.nodeSelectorTerms[0]?.matchFields?.[0]?.values;
  assert.deepEqual(pinned(a), ['a']);
  assert.deepEqual(pinned(b), ['b']);
  const copy = structuredClone(b) as Mutable<typeof b>;
  copy.metadata!.labels!.app = 'changed';
  assert.equal(make('c').metadata?.labels?.app, 'a');
});

test('generateName is "<name>-" unless that prefix would be invalid', () => {
  assert.equal(generateNameFor('foo'), 'foo-');
  assert.equal(generateNameFor('a.b'), 'a.b-');
  const long = 'a'.repeat(253);
  assert.equal(generateNameFor(long), long);
  assert.equal(generateNameFor('a'.repeat(252)), `${'a'.repeat(252)}-`);
});

test('a frozen template keeps its factory while the hash and the DaemonSet identity stay', () => {
  const deepFreeze = <T>(v: T): T => {
    if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
      Object.freeze(v);
      for (const x of Object.values(v)) deepFreeze(x);
    }
    return v;
  };
  const frozen = deepFreeze(ds());
  const template = frozen.spec!.template;
  // A status write: a new object around the same frozen spec.
  const next = { ...frozen, metadata: { ...frozen.metadata, resourceVersion: '9' } };
  assert.equal(makePodFactory(frozen, 'h'), makePodFactory(next, 'h'));
  assert.notEqual(makePodFactory(frozen, 'h'), makePodFactory(frozen, 'h2'), 'another hash');
  const renamed = { ...frozen, metadata: { ...frozen.metadata, uid: 'other' } };
  const pod = makePodFactory({ ...renamed, spec: { ...frozen.spec!, template } }, 'h')('n');
  assert.equal(
    pod.metadata?.ownerReferences?.[0]?.uid,
    'other',
    'another DaemonSet, same template',
  );
  const annotated = {
    ...frozen,
    metadata: {
      ...frozen.metadata,
      annotations: { 'deprecated.daemonset.template.generation': '8' },
    },
  };
  assert.equal(
    makePodFactory(annotated, 'h')('n').metadata?.labels?.['pod-template-generation'],
    '8',
  );
  assert.equal(makePodFactory(frozen, 'h')('n').metadata?.labels?.['pod-template-generation'], '7');
  // Unfrozen templates are prepared on every call: they may change under the same object.
  const loose = ds();
  assert.notEqual(makePodFactory(loose, 'h'), makePodFactory(loose, 'h'));
  const p = makePodFactory(frozen, 'h')('n');
  const term =
    p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
      ?.nodeSelectorTerms[0];
  assert.ok(Object.isFrozen(term) && Object.isFrozen(term?.matchFields?.[0]?.values));
  assert.deepEqual(p, newDaemonPod(ds(), 'h', 'n'));
});
