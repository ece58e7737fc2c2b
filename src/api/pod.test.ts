import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareOldestFirst,
  getControllerOf,
  getTargetNodeName,
  isPodAvailable,
  isPodReady,
  isPodTerminal,
  isPodUpdated,
  podReadySince,
  templateGenerationOf,
} from './pod.js';
import type { DaemonSet, Pod } from './types.js';

function readyPod(status: string, lastTransitionTime?: string): Pod {
  return {
    metadata: { name: 'p' },
    status: {
      conditions: [
        { type: 'Ready', status, ...(lastTransitionTime ? { lastTransitionTime } : {}) },
      ],
    },
  };
}

test('isPodReady and podReadySince', () => {
  assert.equal(isPodReady(readyPod('True')), true);
  assert.equal(isPodReady(readyPod('False')), false);
  assert.equal(isPodReady({}), false);
  assert.equal(
    podReadySince(readyPod('True', '2026-01-01T00:00:00Z')),
    Date.parse('2026-01-01T00:00:00Z'),
  );
  assert.equal(podReadySince(readyPod('False', '2026-01-01T00:00:00Z')), undefined);
  assert.equal(podReadySince(readyPod('True')), undefined);
});

test('isPodAvailable: minReadySeconds and the strict comparison', () => {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const pod = readyPod('True', '2026-01-01T00:00:00Z');
  assert.equal(isPodAvailable(pod, 0, t0), true);
  assert.equal(isPodAvailable(pod, 10, t0 + 10_000), false, 'equal is not strictly before');
  assert.equal(isPodAvailable(pod, 10, t0 + 10_001), true);
  assert.equal(isPodAvailable(readyPod('True'), 10, t0 + 1e9), false, 'no transition time: never');
  assert.equal(isPodAvailable(readyPod('True'), 0, t0), true);
  assert.equal(isPodAvailable(readyPod('False', '2026-01-01T00:00:00Z'), 0, t0 + 1e9), false);
});

test('isPodUpdated: hash label or template generation label', () => {
  const pod: Pod = {
    metadata: { labels: { 'controller-revision-hash': 'abc', 'pod-template-generation': '2' } },
  };
  assert.equal(isPodUpdated(pod, 'abc', undefined), true);
  assert.equal(isPodUpdated(pod, 'xyz', undefined), false);
  assert.equal(isPodUpdated(pod, 'xyz', '2'), true);
  assert.equal(isPodUpdated(pod, 'xyz', '3'), false);
  assert.equal(
    isPodUpdated({ metadata: { labels: { 'controller-revision-hash': '' } } }, '', undefined),
    false,
  );
});

test('isPodTerminal', () => {
  assert.equal(isPodTerminal({ status: { phase: 'Succeeded' } }), true);
  assert.equal(isPodTerminal({ status: { phase: 'Failed' } }), true);
  assert.equal(isPodTerminal({ status: { phase: 'Running' } }), false);
  assert.equal(isPodTerminal({}), false);
});

test('templateGenerationOf: parses like ParseInt(s, 10, 64)', () => {
  const ds = (v?: string): DaemonSet => ({
    metadata:
      v === undefined ? {} : { annotations: { 'deprecated.daemonset.template.generation': v } },
  });
  assert.equal(templateGenerationOf(ds('1')), '1');
  assert.equal(templateGenerationOf(ds('007')), '7');
  assert.equal(templateGenerationOf(ds('+3')), '3');
  assert.equal(templateGenerationOf(ds('-2')), '-2');
  assert.equal(templateGenerationOf(ds('9223372036854775807')), '9223372036854775807');
  assert.equal(templateGenerationOf(ds('9223372036854775808')), undefined);
  assert.equal(templateGenerationOf(ds('x')), undefined);
  assert.equal(templateGenerationOf(ds('')), undefined);
  assert.equal(templateGenerationOf(ds()), undefined);
});

test('templateGenerationOf: none for the custom resource, whose annotation nothing maintains', () => {
  const crd = {
    apiVersion: 'apps.everynode.dev/v1alpha1',
    metadata: { annotations: { 'deprecated.daemonset.template.generation': '1' } },
  } as unknown as DaemonSet;
  assert.equal(templateGenerationOf(crd), undefined);
  // An old pod carries pod-template-generation 1: for the CRD only the hash can make it updated.
  const oldPod: Pod = {
    metadata: { labels: { 'pod-template-generation': '1', 'controller-revision-hash': 'old' } },
  };
  assert.equal(isPodUpdated(oldPod, 'new', templateGenerationOf(crd)), false);
  assert.equal(isPodUpdated(oldPod, 'new', '1'), true);
});

function affinityPod(matchFields: { key: string; operator: string; values?: string[] }[][]): Pod {
  return {
    metadata: { namespace: 'default', name: 'p' },
    spec: {
      containers: [],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: matchFields.map((f) => ({ matchFields: f })),
          },
        },
      },
    },
  };
}

test('scenario 4a: spec.nodeName decides the target node', () => {
  assert.deepEqual(getTargetNodeName({ spec: { containers: [], nodeName: 'node-1' } }), {
    node: 'node-1',
  });
});

test('scenario 4b: matchFields metadata.name In [node-1] decides when nodeName is empty', () => {
  assert.deepEqual(
    getTargetNodeName(
      affinityPod([[{ key: 'metadata.name', operator: 'In', values: ['node-1'] }]]),
    ),
    {
      node: 'node-1',
    },
  );
  // The first metadata.name In requirement across all terms wins; others are skipped.
  assert.deepEqual(
    getTargetNodeName(
      affinityPod([
        [{ key: 'metadata.name', operator: 'NotIn', values: ['x'] }],
        [{ key: 'metadata.name', operator: 'In', values: ['node-2'] }],
      ]),
    ),
    { node: 'node-2' },
  );
});

test('scenario 4c: two values in metadata.name In is an error', () => {
  const r = getTargetNodeName(
    affinityPod([[{ key: 'metadata.name', operator: 'In', values: ['node-1', 'node-2'] }]]),
  );
  assert.ok('error' in r);
  assert.match(r.error, /not unique for pod default\/p/);
});

test('scenario 4d: an empty spec is an error', () => {
  const r = getTargetNodeName({ spec: { containers: [] } });
  assert.ok('error' in r);
  assert.ok('error' in getTargetNodeName({}));
  assert.ok('error' in getTargetNodeName(affinityPod([])));
  assert.ok(
    'error' in
      getTargetNodeName(affinityPod([[{ key: 'metadata.foo', operator: 'In', values: ['a'] }]])),
  );
});

test('compareOldestFirst: bound first, then creationTimestamp, then name', () => {
  const pod = (name: string, nodeName: string, ts?: string): Pod => ({
    metadata: { name, ...(ts ? { creationTimestamp: ts } : {}) },
    spec: { containers: [], nodeName },
  });
  const pods = [
    pod('e', '', '2026-01-01T00:00:00Z'),
    pod('d', 'n', '2026-01-02T00:00:00Z'),
    pod('c', 'n', '2026-01-01T00:00:00Z'),
    pod('b', 'n', '2026-01-01T00:00:00Z'),
    pod('a', 'n'),
  ];
  assert.deepEqual(
    [...pods].sort(compareOldestFirst).map((p) => p.metadata!.name),
    ['a', 'b', 'c', 'd', 'e'],
  );
});

test('getControllerOf', () => {
  const ref = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    name: 'foo',
    uid: 'u1',
    controller: true,
  };
  assert.deepEqual(
    getControllerOf({
      metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u0' }, ref] },
    }),
    ref,
  );
  assert.equal(
    getControllerOf({ metadata: { ownerReferences: [{ ...ref, controller: false }] } }),
    undefined,
  );
  assert.equal(getControllerOf({}), undefined);
});
