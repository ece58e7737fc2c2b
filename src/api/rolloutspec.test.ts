import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ABORT_ANNOTATION,
  PAUSED_ANNOTATION,
  parseControlValue,
  parseStrategyAnnotation,
  PLAIN_ROLLOUT_SPEC,
  resolvePartition,
  RETRY_ANNOTATION,
  rolloutSpecOf,
  STRATEGY_ANNOTATION,
  SUSPEND_ANNOTATION,
  usesRolloutFeatures,
  validateRolloutFields,
} from './rolloutspec.js';
import type { DaemonSet } from './types.js';
import { validateDaemonSet } from './validation.js';
import { admitDaemonSetCreate } from './dsstrategy.js';

const CRD = 'apps.everynode.dev/v1alpha1';

function ds(
  apiVersion: string,
  spec: Record<string, unknown> = {},
  annotations?: Record<string, string>,
): DaemonSet {
  return {
    apiVersion,
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: { containers: [{ name: 'a', image: 'agent:1' }] },
      },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      ...spec,
    },
  };
}

const strings = (errs: readonly { toString(): string }[]): string[] =>
  errs.map((e) => e.toString());

test('an apps/v1 DaemonSet without annotations has the plain spec and uses no feature', () => {
  const d = ds('apps/v1');
  assert.equal(rolloutSpecOf(d).spec, PLAIN_ROLLOUT_SPEC);
  assert.deepEqual(rolloutSpecOf(d).annotationErrors, []);
  assert.equal(usesRolloutFeatures(d), false);
  // Fields the apps/v1 API has not are not read from an apps/v1 object (kube-apiserver drops them).
  assert.equal(rolloutSpecOf(ds('apps/v1', { paused: true })).spec.pausedBy, undefined);
});

test('the CRD reads its spec fields; rollingUpdate.paused is an alias of spec.paused', () => {
  const d = ds(CRD, {
    progressDeadlineSeconds: 120,
    progressDeadlineAbort: true,
    suspend: 'Freeze',
    updateStrategy: {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, partition: '20%', paused: true },
    },
  });
  const { spec, annotationErrors } = rolloutSpecOf(d);
  assert.deepEqual(annotationErrors, []);
  assert.equal(spec.source, 'crd');
  assert.equal(spec.pausedBy, 'rollingUpdate.paused');
  assert.equal(spec.suspend, 'Freeze');
  assert.equal(spec.progressDeadlineSeconds, 120);
  assert.equal(spec.progressDeadlineAbort, true);
  assert.equal(spec.partition, '20%');
  assert.equal(usesRolloutFeatures(d), true);
  assert.equal(rolloutSpecOf(ds(CRD, { paused: true })).spec.pausedBy, 'spec.paused');
});

test('the strategy annotation carries the same fields on apps/v1', () => {
  const d = ds(
    'apps/v1',
    {},
    {
      [STRATEGY_ANNOTATION]: '{"progressDeadlineSeconds":60,"rollingUpdate":{"partition":3}}',
    },
  );
  const { spec, annotationErrors } = rolloutSpecOf(d);
  assert.deepEqual(annotationErrors, []);
  assert.equal(spec.source, 'annotation');
  assert.equal(spec.partition, 3);
  assert.equal(spec.progressDeadlineSeconds, 60);
  assert.equal(usesRolloutFeatures(d), true);
});

test('an invalid strategy annotation is reported with the field and ignored (plain apps/v1)', () => {
  const cases: [string, RegExp][] = [
    ['{"rollingUpdate":{"partition":"150%"}', /not valid JSON/],
    ['[1]', /must be a JSON object/],
    ['{"partiton":3}', /strategy\]\.partiton: Invalid value: "partiton": unknown field/],
    ['{"rollingUpdate":{"maxSurge":1}}', /set maxSurge in spec\.updateStrategy\.rollingUpdate/],
    [
      '{"rollingUpdate":{"partition":"150%"}}',
      /rollingUpdate\.partition: Invalid value: "150%": must not be greater than 100%/,
    ],
    ['{"rollingUpdate":{"partition":-1}}', /partition: Invalid value: -1/],
    [
      '{"suspend":"Sleep"}',
      /suspend: Unsupported value: "Sleep": supported values: "", "Freeze", "ScaleToZero"/,
    ],
    ['{"paused":"yes"}', /paused: Invalid value: "yes": must be true or false/],
    ['{"progressDeadlineSeconds":10}', /must be greater than minReadySeconds \(30\)/],
  ];
  for (const [text, re] of cases) {
    const d = ds('apps/v1', { minReadySeconds: 30 }, { [STRATEGY_ANNOTATION]: text });
    const { spec, annotationErrors } = rolloutSpecOf(d);
    assert.equal(spec.source, 'none', text);
    assert.match(strings(annotationErrors).join('\n'), re, text);
    assert.equal(parseStrategyAnnotation(text, 30).raw, undefined);
  }
});

test('control annotations: paused and suspend on either kind, abort and retry parsed', () => {
  const d = ds(
    'apps/v1',
    {},
    {
      [PAUSED_ANNOTATION]: 'true',
      [SUSPEND_ANNOTATION]: 'ScaleToZero',
      [ABORT_ANNOTATION]: '7c9f4b6d8/2',
      [RETRY_ANNOTATION]: 'agent-7c9f4b6d8',
    },
  );
  const { spec } = rolloutSpecOf(d);
  assert.equal(spec.pausedBy, 'annotation');
  assert.equal(spec.suspend, 'ScaleToZero');
  assert.deepEqual(spec.controls.abort, {
    value: '7c9f4b6d8/2',
    revision: '7c9f4b6d8',
    token: '2',
  });
  assert.deepEqual(spec.controls.retry, {
    value: 'agent-7c9f4b6d8',
    revision: 'agent-7c9f4b6d8',
    token: '',
  });
  // The annotation overrides the CRD's suspend; paused "false" leaves the field's pause.
  const crd = ds(
    CRD,
    { paused: true, suspend: 'Freeze' },
    { [PAUSED_ANNOTATION]: 'false', [SUSPEND_ANNOTATION]: 'ScaleToZero' },
  );
  assert.equal(rolloutSpecOf(crd).spec.pausedBy, 'spec.paused');
  assert.equal(rolloutSpecOf(crd).spec.suspend, 'ScaleToZero');
});

test('a control value that does not parse is reported and ignored; the others apply', () => {
  const d = ds(
    'apps/v1',
    {},
    {
      [PAUSED_ANNOTATION]: 'yes',
      [ABORT_ANNOTATION]: 'not a hash',
      [SUSPEND_ANNOTATION]: 'Nap',
      [RETRY_ANNOTATION]: 'abc/1',
    },
  );
  const { spec, annotationErrors } = rolloutSpecOf(d);
  assert.equal(spec.pausedBy, undefined);
  assert.equal(spec.suspend, undefined);
  assert.equal(spec.controls.abort, undefined);
  assert.equal(spec.controls.retry?.revision, 'abc');
  const text = strings(annotationErrors).join('\n');
  assert.match(text, /annotations\[rollout\.everynode\.dev\/paused\]: Invalid value: "yes"/);
  assert.match(text, /annotations\[rollout\.everynode\.dev\/abort\]: Invalid value: "not a hash"/);
  assert.match(text, /annotations\[rollout\.everynode\.dev\/suspend\]: Unsupported value: "Nap"/);
  assert.ok('detail' in parseControlValue(ABORT_ANNOTATION, `abc/${'x'.repeat(64)}`));
});

test('the CRD refuses invalid rollout fields as its CEL rules do (validation, admission)', () => {
  const bad = ds(CRD, {
    minReadySeconds: 60,
    paused: 'yes',
    suspend: 'Sleep',
    progressDeadlineSeconds: 60,
    updateStrategy: {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, partition: '101%' },
    },
  });
  const text = strings(validateRolloutFields(bad)).join('\n');
  assert.match(text, /spec\.paused: Invalid value: "yes": must be true or false/);
  assert.match(text, /spec\.suspend: Unsupported value: "Sleep"/);
  assert.match(
    text,
    /spec\.progressDeadlineSeconds: Invalid value: 60: must be greater than minReadySeconds \(60\)/,
  );
  assert.match(text, /spec\.updateStrategy\.rollingUpdate\.partition: Invalid value: "101%"/);
  assert.match(strings(validateDaemonSet(bad)).join('\n'), /spec\.suspend/);
  assert.match(strings(admitDaemonSetCreate(bad).errors).join('\n'), /partition/);
  // apps/v1 objects have no such fields to refuse.
  assert.deepEqual(validateRolloutFields(ds('apps/v1', { suspend: 'Sleep' })), []);
  assert.deepEqual(validateRolloutFields(ds(CRD, { paused: false, suspend: '' })), []);
});

test('resolvePartition: ints capped at desired, percents of desired rounded down', () => {
  assert.equal(resolvePartition(undefined, 10), 0);
  assert.equal(resolvePartition(3, 10), 3);
  assert.equal(resolvePartition(30, 10), 10);
  assert.equal(resolvePartition('25%', 10), 2);
  assert.equal(resolvePartition('100%', 7), 7);
  assert.equal(resolvePartition('0%', 7), 0);
  assert.equal(resolvePartition('x', 7), 0);
});
