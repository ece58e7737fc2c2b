import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  PROMOTE_ANNOTATION,
  rolloutSpecOf,
  STRATEGY_ANNOTATION,
  validateRolloutFields,
} from './rolloutspec.js';
import type { DaemonSet } from './types.js';

const CRD = 'apps.everynode.dev/v1alpha1';

function ds(
  apiVersion: string,
  rollingUpdate: Record<string, unknown> = {},
  annotations?: Record<string, string>,
  extra: Record<string, unknown> = {},
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
      ...extra,
    },
  };
}

const strings = (errs: readonly { toString(): string }[]): string[] =>
  errs.map((e) => e.toString());

test('the CRD reads canary, waves and healthGates with the spec names', () => {
  const d = ds(CRD, {
    canary: {
      count: '10%',
      nodeSelector: { matchLabels: { pool: 'a' } },
      spreadByKey: 'zone',
      bakeSeconds: 60,
      promotion: 'Manual',
    },
    waves: { topologyKey: 'zone', order: ['b', 'a'], maxUnavailable: '25%', bakeSeconds: 30 },
    healthGates: { maxRestarts: 1, maxFailedNodes: 2, onFailure: 'Abort' },
  });
  assert.deepEqual(validateRolloutFields(d), []);
  const s = rolloutSpecOf(d).spec.steps;
  assert.deepEqual(s.canary, {
    count: '10%',
    nodeSelector: { matchLabels: { pool: 'a' } },
    spreadByKey: 'zone',
    bakeSeconds: 60,
    promotion: 'Manual',
  });
  assert.deepEqual(s.waves, {
    topologyKey: 'zone',
    order: ['b', 'a'],
    maxUnavailable: '25%',
    bakeSeconds: 30,
  });
  assert.deepEqual(s.healthGates, { maxRestarts: 1, maxFailedNodes: 2, onFailure: 'Abort' });
});

test("OpenKruise's rollingUpdate.selector is a canary of every matching node", () => {
  const d = ds(CRD, { selector: { matchLabels: { canary: 'true' } } });
  assert.deepEqual(validateRolloutFields(d), []);
  assert.deepEqual(rolloutSpecOf(d).spec.steps.canary, {
    nodeSelector: { matchLabels: { canary: 'true' } },
  });
  const both = ds(CRD, { selector: { matchLabels: { a: 'b' } }, canary: { count: 1 } });
  assert.match(
    strings(validateRolloutFields(both)).join('\n'),
    /rollingUpdate\.selector: .*canary/,
  );
});

test('bad canary, waves and gates fields are refused with the field named', () => {
  const d = ds(
    CRD,
    {
      canary: { count: '150%', promotion: 'Later', bakeSeconds: -1, colour: 'red' },
      waves: { topologyKey: 'zone', steps: ['5%'], maxUnavailable: 'x' },
      healthGates: { maxNotReadySeconds: 900, onFailure: 'Explode', prometheus: {} },
    },
    undefined,
    { progressDeadlineSeconds: 600 },
  );
  const e = strings(validateRolloutFields(d)).join('\n');
  const at = 'spec.updateStrategy.rollingUpdate';
  for (const field of [
    'canary.count',
    'canary.promotion',
    'canary.bakeSeconds',
    'canary.colour',
    'waves: ',
    'waves.maxUnavailable',
    'healthGates.maxNotReadySeconds',
    'healthGates.onFailure',
    'healthGates.prometheus',
  ])
    assert.ok(e.includes(`${at}.${field}`), `${field} in\n${e}`);
  assert.match(e, /exactly one of topologyKey and steps/);
  assert.match(e, /less than progressDeadlineSeconds \(600\)/);
  assert.match(e, /healthGates\.prometheus\.address: Required value/);
  const sel = ds(CRD, {
    canary: { nodeSelector: { matchExpressions: [{ key: 'a', operator: 'Near' }] } },
  });
  assert.match(
    strings(validateRolloutFields(sel)).join('\n'),
    /canary\.nodeSelector\.matchExpressions/,
  );
});

test('apps/v1: the strategy annotation carries the same fields; a bad one is ignored and reported', () => {
  const good = ds(
    'apps/v1',
    {},
    {
      [STRATEGY_ANNOTATION]: JSON.stringify({
        rollingUpdate: { canary: { count: 1 }, waves: { steps: ['50%'] } },
      }),
    },
  );
  const r = rolloutSpecOf(good);
  assert.deepEqual(r.annotationErrors, []);
  assert.deepEqual(r.spec.steps.canary, { count: 1 });
  assert.deepEqual(r.spec.steps.waves, { steps: ['50%'] });
  const bad = ds(
    'apps/v1',
    {},
    {
      [STRATEGY_ANNOTATION]: JSON.stringify({ rollingUpdate: { waves: { order: ['a'] } } }),
    },
  );
  const rb = rolloutSpecOf(bad);
  assert.equal(rb.spec.steps.waves, undefined);
  assert.match(
    strings(rb.annotationErrors).join('\n'),
    /metadata\.annotations\[rollout\.everynode\.dev\/strategy\]\.rollingUpdate\.waves/,
  );
});

test('the promote control parses like abort and retry', () => {
  const d = ds('apps/v1', {}, { [PROMOTE_ANNOTATION]: '7c9f4/1' });
  assert.deepEqual(rolloutSpecOf(d).spec.controls.promote, {
    value: '7c9f4/1',
    revision: '7c9f4',
    token: '1',
  });
});

const PROM = { address: 'http://prometheus.monitoring:9090', query: 'sum(up)', min: 1 };

test('the Prometheus gate is read with its fields (CRD and the strategy annotation)', () => {
  const full = {
    ...PROM,
    max: 5,
    intervalSeconds: 30,
    failureLimit: 2,
    onInconclusive: 'Ignore',
  };
  const d = ds(CRD, { healthGates: { onFailure: 'Abort', prometheus: full } });
  assert.deepEqual(validateRolloutFields(d), []);
  assert.deepEqual(rolloutSpecOf(d).spec.steps.healthGates, {
    onFailure: 'Abort',
    prometheus: full,
  });
  const native = ds(
    'apps/v1',
    {},
    {
      [STRATEGY_ANNOTATION]: JSON.stringify({
        rollingUpdate: { healthGates: { prometheus: PROM } },
      }),
    },
  );
  const r = rolloutSpecOf(native);
  assert.deepEqual(r.annotationErrors, []);
  assert.deepEqual(r.spec.steps.healthGates, { prometheus: PROM });
});

test('bad Prometheus gate fields are refused, each naming its field', () => {
  const at = 'spec.updateStrategy.rollingUpdate.healthGates.prometheus';
  const cases: [Record<string, unknown>, RegExp][] = [
    [
      { ...PROM, address: 'prometheus:9090' },
      /\.address: Invalid value: "prometheus:9090": must be an http/,
    ],
    [{ ...PROM, address: 'ftp://p:21' }, /\.address: Invalid value: "ftp:\/\/p:21"/],
    [{ query: 'up', min: 1 }, /\.address: Required value/],
    [{ ...PROM, query: '' }, /\.query: Required value/],
    [{ ...PROM, query: '   ' }, /\.query: Invalid value/],
    [
      { address: PROM.address, query: 'up' },
      /prometheus: Required value: at least one of min and max/,
    ],
    [
      { ...PROM, min: 2, max: 1 },
      /\.min: Invalid value: 2: must be less than or equal to max \(1\)/,
    ],
    [{ ...PROM, max: '0.5' }, /\.max: Invalid value: "0.5": must be a number/],
    [{ ...PROM, intervalSeconds: 0 }, /\.intervalSeconds: Invalid value: 0/],
    [{ ...PROM, failureLimit: 1.5 }, /\.failureLimit: Invalid value: 1.5/],
    [{ ...PROM, onInconclusive: 'Abort' }, /\.onInconclusive: Unsupported value: "Abort"/],
    [{ ...PROM, step: 1 }, /\.step: Invalid value: "step": unknown field/],
  ];
  for (const [prometheus, want] of cases) {
    const e = strings(validateRolloutFields(ds(CRD, { healthGates: { prometheus } }))).join('\n');
    assert.ok(e.startsWith(at) || e.includes(at), e);
    assert.match(e, want);
  }
  const native = rolloutSpecOf(
    ds(
      'apps/v1',
      {},
      {
        [STRATEGY_ANNOTATION]: JSON.stringify({
          rollingUpdate: { healthGates: { prometheus: { ...PROM, address: 'nope' } } },
        }),
      },
    ),
  );
  assert.equal(native.spec.steps.healthGates, undefined);
  assert.match(
    strings(native.annotationErrors).join('\n'),
    /rollingUpdate\.healthGates\.prometheus\.address: Invalid value: "nope"/,
  );
});
