import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defaultDaemonSet, defaultPodTemplate, imageTag } from './defaults.js';
import type { DaemonSet, PodTemplateSpec } from './types.js';

function ds(spec: Partial<NonNullable<DaemonSet['spec']>> = {}): DaemonSet {
  return {
    metadata: { name: 'foo', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'a' } },
      template: {
        metadata: { labels: { app: 'a' } },
        spec: { containers: [{ name: 'c', image: 'foo/bar' }] },
      },
      ...spec,
    },
  };
}

test('scenario 93a: no updateStrategy and no revisionHistoryLimit get the apps/v1 defaults', () => {
  const input = ds();
  const frozen = structuredClone(input);
  const out = defaultDaemonSet(input);
  assert.deepEqual(input, frozen, 'input not mutated');
  assert.deepEqual(out.spec!.updateStrategy, {
    type: 'RollingUpdate',
    rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
  });
  assert.equal(out.spec!.revisionHistoryLimit, 10);
  const spec = out.spec!.template.spec!;
  assert.equal(spec.restartPolicy, 'Always');
  assert.equal(spec.dnsPolicy, 'ClusterFirst');
  assert.equal(spec.terminationGracePeriodSeconds, 30);
  assert.equal(spec.schedulerName, 'default-scheduler');
  assert.deepEqual(spec.securityContext, {});
  assert.deepEqual(spec.containers[0], {
    name: 'c',
    image: 'foo/bar',
    imagePullPolicy: 'Always',
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  });
  // The registry, not defaulting, sets the template-generation annotation.
  assert.equal(out.metadata?.annotations, undefined);
});

test('scenario 93b: OnDelete leaves rollingUpdate absent', () => {
  const out = defaultDaemonSet(ds({ updateStrategy: { type: 'OnDelete' } }));
  assert.deepEqual(out.spec!.updateStrategy, { type: 'OnDelete' });
});

test('scenario 93c: maxSurge alone gets maxUnavailable 1 (validation then rejects it)', () => {
  const out = defaultDaemonSet(ds({ updateStrategy: { rollingUpdate: { maxSurge: 1 } } }));
  assert.deepEqual(out.spec!.updateStrategy, {
    type: 'RollingUpdate',
    rollingUpdate: { maxSurge: 1, maxUnavailable: 1 },
  });
});

test('defaults keep values that are set, including revisionHistoryLimit 0', () => {
  const out = defaultDaemonSet(
    ds({
      revisionHistoryLimit: 0,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } },
    }),
  );
  assert.equal(out.spec!.revisionHistoryLimit, 0);
  assert.deepEqual(out.spec!.updateStrategy!.rollingUpdate, { maxUnavailable: '10%', maxSurge: 0 });
});

test('imageTag and imagePullPolicy: Always for :latest or no tag, else IfNotPresent', () => {
  const rows: [string, string, string][] = [
    ['foo/bar', 'latest', 'Always'],
    ['foo/bar:latest', 'latest', 'Always'],
    ['foo/bar:1.2', '1.2', 'IfNotPresent'],
    ['registry:5000/foo/bar', 'latest', 'Always'],
    ['registry:5000/foo/bar:v1', 'v1', 'IfNotPresent'],
    ['foo/bar@sha256:' + 'a'.repeat(64), '', 'IfNotPresent'],
    ['foo/bar:latest@sha256:' + 'a'.repeat(64), 'latest', 'Always'],
  ];
  for (const [image, tag, policy] of rows) {
    assert.equal(imageTag(image), tag, image);
    const t = defaultPodTemplate({ spec: { containers: [{ name: 'c', image }] } });
    assert.equal(t.spec!.containers[0]!.imagePullPolicy, policy, image);
  }
});

test('defaultPodTemplate: ports, init containers, probes, volumes, and explicit values kept', () => {
  const input: PodTemplateSpec = {
    spec: {
      restartPolicy: 'OnFailure',
      initContainers: [{ name: 'init', image: 'busybox:1' }],
      containers: [
        {
          name: 'c',
          image: 'x:1',
          imagePullPolicy: 'Never',
          ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }],
          livenessProbe: { httpGet: { port: 8080 } },
        },
      ],
      volumes: [{ name: 'cm', configMap: { name: 'x' } }],
    },
  };
  const t = defaultPodTemplate(input);
  assert.equal(t.spec!.restartPolicy, 'OnFailure');
  assert.equal(t.spec!.initContainers![0]!.terminationMessagePolicy, 'File');
  const c = t.spec!.containers[0]!;
  assert.equal(c.imagePullPolicy, 'Never');
  assert.deepEqual(
    c.ports!.map((p) => p.protocol),
    ['TCP', 'UDP'],
  );
  assert.deepEqual(c.livenessProbe, {
    httpGet: { port: 8080, path: '/', scheme: 'HTTP' },
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
  });
  assert.equal(t.spec!.volumes![0]!.configMap!.defaultMode, 420);
  assert.equal(input.spec!.containers[0]!.ports![0]!.protocol, undefined, 'input not mutated');
});

test('property: defaulting is idempotent', () => {
  fc.assert(
    fc.property(
      fc.record(
        {
          type: fc.constantFrom('RollingUpdate', 'OnDelete', undefined),
          maxSurge: fc.constantFrom(0, 1, '10%', undefined),
          maxUnavailable: fc.constantFrom(0, 1, '10%', undefined),
          limit: fc.constantFrom(0, 3, undefined),
          image: fc.constantFrom('a', 'a:1', 'a:latest'),
        },
        { requiredKeys: [] },
      ),
      (r) => {
        const input = ds({
          ...(r.limit !== undefined ? { revisionHistoryLimit: r.limit } : {}),
          updateStrategy: {
            ...(r.type ? { type: r.type } : {}),
            rollingUpdate: {
              ...(r.maxSurge !== undefined ? { maxSurge: r.maxSurge } : {}),
              ...(r.maxUnavailable !== undefined ? { maxUnavailable: r.maxUnavailable } : {}),
            },
          },
          template: { spec: { containers: [{ name: 'c', image: r.image ?? 'a' }] } },
        });
        const once = defaultDaemonSet(input);
        assert.deepEqual(defaultDaemonSet(once), once);
      },
    ),
  );
});
