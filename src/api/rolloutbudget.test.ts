/**
 * Issue 12's spec.removalBudget and rollingUpdate.unavailableAccounting: checked on the CRD (as
 * its schema and CEL rules refuse them) and in the strategy annotation, with errors naming the
 * field, and read into the RolloutSpec.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parseStrategyAnnotation,
  PLAIN_ROLLOUT_SPEC,
  rolloutSpecOf,
  skipsImpaired,
  STRATEGY_ANNOTATION,
  validateRolloutFields,
} from './rolloutspec.js';
import type { DaemonSet } from './types.js';

const CRD = 'apps.everynode.dev/v1alpha1';

function ds(
  apiVersion: string,
  spec: Record<string, unknown> = {},
  rollingUpdate: Record<string, unknown> = {},
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
      updateStrategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: 1, ...rollingUpdate },
      },
      ...spec,
    },
  };
}

const errors = (d: DaemonSet): string[] => validateRolloutFields(d).map((e) => e.toString());

test('CRD: a valid removalBudget and RolloutOnly are read into the spec', () => {
  const d = ds(
    CRD,
    { removalBudget: { maxRemovals: '10%', periodSeconds: 300, delaySeconds: 60 } },
    { unavailableAccounting: 'RolloutOnly' },
  );
  assert.deepEqual(errors(d), []);
  const { spec } = rolloutSpecOf(d);
  assert.deepEqual(spec.removalBudget, {
    maxRemovals: '10%',
    periodSeconds: 300,
    delaySeconds: 60,
  });
  assert.equal(spec.unavailableAccounting, 'RolloutOnly');
  assert.equal(skipsImpaired(spec), true);
});

test('CRD: delaySeconds defaults to 0; All and "" are apps/v1 accounting', () => {
  const d = ds(
    CRD,
    { removalBudget: { maxRemovals: 2, periodSeconds: 60 } },
    { unavailableAccounting: '' },
  );
  assert.deepEqual(errors(d), []);
  assert.deepEqual(rolloutSpecOf(d).spec.removalBudget, {
    maxRemovals: 2,
    periodSeconds: 60,
    delaySeconds: 0,
  });
  assert.equal(rolloutSpecOf(d).spec.unavailableAccounting, 'All');
});

test('CRD: bad values are refused, each naming its field', () => {
  const cases: [Record<string, unknown>, Record<string, unknown>, string][] = [
    [
      { removalBudget: { periodSeconds: 60 } },
      {},
      'spec.removalBudget.maxRemovals: Required value',
    ],
    [{ removalBudget: { maxRemovals: 1 } }, {}, 'spec.removalBudget.periodSeconds: Required value'],
    [
      { removalBudget: { maxRemovals: 0, periodSeconds: 60 } },
      {},
      'spec.removalBudget.maxRemovals: Invalid value: 0',
    ],
    [
      { removalBudget: { maxRemovals: '0%', periodSeconds: 60 } },
      {},
      'spec.removalBudget.maxRemovals: Invalid value: "0%"',
    ],
    [
      { removalBudget: { maxRemovals: '150%', periodSeconds: 60 } },
      {},
      'spec.removalBudget.maxRemovals: Invalid value: "150%"',
    ],
    [
      { removalBudget: { maxRemovals: 1, periodSeconds: 0 } },
      {},
      'spec.removalBudget.periodSeconds: Invalid value: 0',
    ],
    [
      { removalBudget: { maxRemovals: 1, periodSeconds: 60, delaySeconds: -1 } },
      {},
      'spec.removalBudget.delaySeconds: Invalid value: -1',
    ],
    [
      { removalBudget: { maxRemovals: 1, periodSeconds: 60, period: 5 } },
      {},
      'spec.removalBudget.period: Invalid value: "period": unknown field',
    ],
    [{ removalBudget: 5 }, {}, 'spec.removalBudget: Invalid value: 5'],
    [
      {},
      { unavailableAccounting: 'NodeOnly' },
      'spec.updateStrategy.rollingUpdate.unavailableAccounting: Unsupported value: "NodeOnly"',
    ],
  ];
  for (const [spec, ru, want] of cases) {
    const got = errors(ds(CRD, spec, ru));
    assert.ok(
      got.some((e) => e.startsWith(want)),
      `${JSON.stringify({ spec, ru })}: ${got.join(' | ')}`,
    );
  }
});

test('apps/v1: the strategy annotation carries them; errors name the annotation field', () => {
  const good = parseStrategyAnnotation(
    JSON.stringify({
      removalBudget: { maxRemovals: 3, periodSeconds: 120 },
      rollingUpdate: { unavailableAccounting: 'RolloutOnly' },
    }),
  );
  assert.deepEqual(good.errors, []);
  const d = ds(
    'apps/v1',
    {},
    {},
    {
      [STRATEGY_ANNOTATION]: JSON.stringify({
        removalBudget: { maxRemovals: 3, periodSeconds: 120 },
      }),
    },
  );
  assert.deepEqual(rolloutSpecOf(d).spec.removalBudget, {
    maxRemovals: 3,
    periodSeconds: 120,
    delaySeconds: 0,
  });
  const bad = parseStrategyAnnotation(
    JSON.stringify({
      removalBudget: { maxRemovals: 'lots' },
      rollingUpdate: { unavailableAccounting: 1 },
    }),
  );
  const text = bad.errors.map((e) => e.toString());
  const at = `metadata.annotations[${STRATEGY_ANNOTATION}]`;
  assert.ok(
    text.some((e) => e.startsWith(`${at}.removalBudget.maxRemovals: Invalid value: "lots"`)),
    text.join(' | '),
  );
  assert.ok(
    text.some((e) => e.startsWith(`${at}.removalBudget.periodSeconds: Required value`)),
    text.join(' | '),
  );
  assert.ok(
    text.some((e) =>
      e.startsWith(`${at}.rollingUpdate.unavailableAccounting: Unsupported value: 1`),
    ),
    text.join(' | '),
  );
  // An invalid annotation is ignored as a whole (the DaemonSet runs as plain apps/v1) and reported.
  const invalid = ds(
    'apps/v1',
    {},
    {},
    { [STRATEGY_ANNOTATION]: JSON.stringify({ removalBudget: {} }) },
  );
  assert.equal(rolloutSpecOf(invalid).spec.removalBudget, undefined);
  assert.ok(rolloutSpecOf(invalid).annotationErrors.length > 0);
});

test('apps/v1 without the fields: the plain spec (rule 1)', () => {
  assert.equal(rolloutSpecOf(ds('apps/v1')).spec, PLAIN_ROLLOUT_SPEC);
  assert.equal(PLAIN_ROLLOUT_SPEC.removalBudget, undefined);
  assert.equal(PLAIN_ROLLOUT_SPEC.unavailableAccounting, 'All');
});
