/**
 * Issue 11 on a real kube-apiserver: the CRD's schema and CEL rules refuse bad rollout fields and
 * the apps/v1 rules users hit most at `kubectl apply`, exactly where everynode's own validation
 * (embedded API server, plan, sim, the controller's admission) refuses them; valid rollout fields
 * are accepted by both; the status schema keeps the rollout status (nothing pruned); `kubectl get
 * ends` (the short name) prints Phase, Update and Stable, and -o wide more. Server-side dry runs
 * and one stored object: a few seconds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { admitStoredDaemonSet } from '../../src/api/dsstrategy.js';
import type { DaemonSet } from '../../src/api/types.js';
import { installCrd } from './helpers.js';
import { kubectl, skipReason } from './kubectl.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function base(name = 'agent'): Doc {
  return {
    apiVersion: 'apps.everynode.dev/v1alpha1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: 'agent', tier: 'node' } },
        spec: { containers: [{ name: 'agent', image: 'agent:1' }] },
      },
    },
  };
}

const ru = (d: Doc): Doc => d.spec.updateStrategy.rollingUpdate as Doc;
const rb = (maxRemovals: unknown, periodSeconds: unknown): Doc => ({ maxRemovals, periodSeconds });

const REFUSED: readonly [string, (d: Doc) => void][] = [
  ['partition 150%', (d) => void (ru(d).partition = '150%')],
  ['partition -1', (d) => void (ru(d).partition = -1)],
  ['partition "ten"', (d) => void (ru(d).partition = 'ten')],
  ['suspend Sleep', (d) => void (d.spec.suspend = 'Sleep')],
  ['paused "yes"', (d) => void (d.spec.paused = 'yes')],
  ['rollingUpdate.paused 1', (d) => void (ru(d).paused = 1)],
  [
    'progressDeadlineSeconds not above minReadySeconds',
    (d) => {
      d.spec.minReadySeconds = 60;
      d.spec.progressDeadlineSeconds = 60;
    },
  ],
  ['progressDeadlineAbort "no"', (d) => void (d.spec.progressDeadlineAbort = 'no')],
  [
    'selector matchLabels not on the template',
    (d) => void (d.spec.selector.matchLabels = { app: 'other' }),
  ],
  [
    'selector matchExpressions In a value the template has not',
    (d) =>
      void (d.spec.selector = {
        matchExpressions: [{ key: 'tier', operator: 'In', values: ['edge'] }],
      }),
  ],
  [
    'selector matchExpressions DoesNotExist a label the template has',
    (d) =>
      void (d.spec.selector = {
        matchLabels: { app: 'agent' },
        matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }],
      }),
  ],
  ['maxSurge and maxUnavailable both set', (d) => void (ru(d).maxSurge = 1)],
  [
    'maxSurge and maxUnavailable both zero',
    (d) => {
      ru(d).maxUnavailable = 0;
      ru(d).maxSurge = '0%';
    },
  ],
  ['maxUnavailable 0% without maxSurge', (d) => void (ru(d).maxUnavailable = '0%')],
  ['maxUnavailable 150%', (d) => void (ru(d).maxUnavailable = '150%')],
  // Issue 12: canary, waves, health gates.
  ['canary.count 150%', (d) => void (ru(d).canary = { count: '150%' })],
  ['canary.count -1', (d) => void (ru(d).canary = { count: -1 })],
  ['canary.promotion Later', (d) => void (ru(d).canary = { promotion: 'Later' })],
  [
    'waves with both topologyKey and steps',
    (d) => void (ru(d).waves = { topologyKey: 'zone', steps: ['50%'] }),
  ],
  ['waves.steps 0%', (d) => void (ru(d).waves = { steps: ['0%'] })],
  ['waves.order without topologyKey', (d) => void (ru(d).waves = { steps: [1], order: ['a'] })],
  ['healthGates.maxFailedNodes 0', (d) => void (ru(d).healthGates = { maxFailedNodes: 0 })],
  ['healthGates.onFailure Explode', (d) => void (ru(d).healthGates = { onFailure: 'Explode' })],
  [
    'prometheus without a query',
    (d) => void (ru(d).healthGates = { prometheus: prom({ query: undefined }) }),
  ],
  ['prometheus query ""', (d) => void (ru(d).healthGates = { prometheus: prom({ query: '' }) })],
  [
    'prometheus address not a URL',
    (d) => void (ru(d).healthGates = { prometheus: prom({ address: 'prom:9090' }) }),
  ],
  [
    'prometheus without min and max',
    (d) => void (ru(d).healthGates = { prometheus: prom({ max: undefined }) }),
  ],
  [
    'prometheus min > max',
    (d) => void (ru(d).healthGates = { prometheus: prom({ min: 2, max: 1 }) }),
  ],
  [
    'prometheus intervalSeconds 0',
    (d) => void (ru(d).healthGates = { prometheus: prom({ intervalSeconds: 0 }) }),
  ],
  [
    'prometheus failureLimit 0',
    (d) => void (ru(d).healthGates = { prometheus: prom({ failureLimit: 0 }) }),
  ],
  [
    'prometheus onInconclusive Abort',
    (d) => void (ru(d).healthGates = { prometheus: prom({ onInconclusive: 'Abort' }) }),
  ],
  // Issue 12: the removal budget and the unavailable accounting.
  ['removalBudget without maxRemovals', (d) => void (d.spec.removalBudget = { periodSeconds: 60 })],
  ['removalBudget maxRemovals 0', (d) => void (d.spec.removalBudget = rb(0, 60))],
  ['removalBudget maxRemovals 0%', (d) => void (d.spec.removalBudget = rb('0%', 60))],
  ['removalBudget maxRemovals 101%', (d) => void (d.spec.removalBudget = rb('101%', 60))],
  ['removalBudget periodSeconds 0', (d) => void (d.spec.removalBudget = rb(1, 0))],
  [
    'removalBudget delaySeconds -1',
    (d) => void (d.spec.removalBudget = { ...rb(1, 60), delaySeconds: -1 }),
  ],
  ['unavailableAccounting NodeOnly', (d) => void (ru(d).unavailableAccounting = 'NodeOnly')],
];

/** A valid Prometheus gate with some fields replaced (undefined: removed). */
function prom(over: Record<string, unknown>): Record<string, unknown> {
  const all: Record<string, unknown> = {
    address: 'http://prometheus.monitoring:9090',
    query: 'sum(rate(errors_total{namespace="{{namespace}}"}[5m]))',
    max: 0.5,
    ...over,
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined));
}

const ACCEPTED: readonly [string, (d: Doc) => void][] = [
  [
    'every rollout field',
    (d) => {
      d.spec.paused = true;
      d.spec.suspend = 'Freeze';
      d.spec.progressDeadlineSeconds = 600;
      d.spec.progressDeadlineAbort = true;
      ru(d).partition = '30%';
      ru(d).paused = true;
    },
  ],
  ['an int partition and suspend ""', (d) => void Object.assign(d.spec, { suspend: '' })],
  [
    'a canary, waves by zone and health gates',
    (d) => {
      ru(d).canary = {
        count: '10%',
        nodeSelector: { matchLabels: { pool: 'a' } },
        spreadByKey: 'topology.kubernetes.io/zone',
        bakeSeconds: 600,
        promotion: 'Manual',
      };
      ru(d).waves = {
        topologyKey: 'topology.kubernetes.io/zone',
        order: ['zone-b'],
        maxUnavailable: '25%',
        bakeSeconds: 60,
      };
      ru(d).healthGates = { maxRestarts: 1, maxFailedNodes: '10%', onFailure: 'Abort' };
    },
  ],
  [
    'a Prometheus gate',
    (d) =>
      void (ru(d).healthGates = {
        onFailure: 'Abort',
        prometheus: prom({
          min: 0,
          intervalSeconds: 30,
          failureLimit: 2,
          onInconclusive: 'Ignore',
        }),
      }),
  ],
  [
    "waves by steps, and OpenKruise's selector",
    (d) => {
      ru(d).waves = { steps: ['5%', 10, '50%'], promotion: 'Manual' };
      ru(d).selector = { matchExpressions: [{ key: 'canary', operator: 'Exists' }] };
    },
  ],
  [
    'a removal budget and RolloutOnly',
    (d) => {
      d.spec.removalBudget = { maxRemovals: '10%', periodSeconds: 300, delaySeconds: 60 };
      ru(d).unavailableAccounting = 'RolloutOnly';
    },
  ],
  ['maxRemovals 100%, no delay', (d) => void (d.spec.removalBudget = rb('100%', 1))],
  [
    'surge only, and a NotIn/Exists selector',
    (d) => {
      d.spec.updateStrategy.rollingUpdate = { maxUnavailable: 0, maxSurge: '25%', partition: 2 };
      d.spec.selector = {
        matchLabels: { app: 'agent' },
        matchExpressions: [
          { key: 'tier', operator: 'Exists' },
          { key: 'zone', operator: 'NotIn', values: ['a'] },
        ],
      };
    },
  ],
];

/** kubectl apply --dry-run=server: undefined when accepted, the error text when refused. */
function dryRun(doc: Doc): string | undefined {
  try {
    kubectl(['apply', '--dry-run=server', '-f', '-'], JSON.stringify(doc));
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

describe('the CRD refuses bad rollout fields at kubectl apply', { skip: skipReason }, () => {
  for (const [name, edit] of ACCEPTED) {
    test(`accepted by both: ${name}`, async () => {
      await installCrd();
      const d = base();
      edit(d);
      assert.equal(dryRun(d), undefined);
      assert.deepEqual(admitStoredDaemonSet(d as DaemonSet).errors.map(String), []);
    });
  }
  for (const [name, edit] of REFUSED) {
    test(`refused by both: ${name}`, () => {
      const d = base();
      edit(d);
      const kube = dryRun(d);
      assert.notEqual(kube, undefined, `kube-apiserver accepted ${name}`);
      assert.match(kube!, /is invalid/);
      assert.notDeepEqual(admitStoredDaemonSet(d).errors, [], `everynode accepted ${name}`);
    });
  }

  test('the rollout status is kept; kubectl get ends prints Phase, Update, Stable (-o wide: more)', () => {
    const d = base('columns');
    d.spec.updateStrategy.rollingUpdate.partition = 1;
    kubectl(['apply', '-f', '-'], JSON.stringify(d));
    try {
      const status = {
        status: {
          currentNumberScheduled: 0,
          numberMisscheduled: 0,
          desiredNumberScheduled: 0,
          numberReady: 0,
          updateRevision: 'columns-7c9f4',
          stableRevision: 'columns-5d2a8',
          rollout: {
            phase: 'Partitioned',
            partitioned: 1,
            observedControls: { abort: '7c9f4/1' },
            failure: { reason: 'AbortRequested', message: 'x', time: '2026-12-01T10:00:00Z' },
            canaryNodes: ['n-3', 'n-17'],
            wave: { index: 1, name: 'zone-b', nodes: 40, updated: 12 },
            promotedStep: 0,
            bakeUntil: '2026-12-01T11:00:00Z',
            metric: {
              failures: 1,
              inconclusive: 0,
              lastQueryTime: '2026-12-01T10:04:00Z',
              lastResult: '0.7',
            },
          },
          conditions: [
            {
              type: 'Progressing',
              status: 'True',
              reason: 'PartitionRolledOut',
              message: 'm',
              lastTransitionTime: '2026-12-01T10:00:00Z',
              lastUpdateTime: '2026-12-01T10:05:00Z',
            },
          ],
        },
      };
      kubectl([
        'patch',
        'ends',
        'columns',
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify(status),
      ]);
      const stored = JSON.parse(kubectl(['get', 'ends', 'columns', '-o', 'json'])) as Doc;
      assert.deepEqual(stored.status.rollout, status.status.rollout);
      assert.equal(stored.status.conditions[0].lastUpdateTime, '2026-12-01T10:05:00Z');
      assert.equal(stored.status.stableRevision, 'columns-5d2a8');
      const table = kubectl(['get', 'ends', 'columns']);
      assert.match(table.split('\n')[0]!, /PHASE\s+UPDATE\s+STABLE\s+AGE/);
      assert.match(table, /Partitioned\s+columns-7c9f4\s+columns-5d2a8/);
      const wide = kubectl(['get', 'ends', 'columns', '-o', 'wide']);
      assert.match(wide.split('\n')[0]!, /PARTITIONED\s+PAUSED\s+SUSPEND\s+PROGRESSING/);
      assert.match(wide, /PartitionRolledOut/);
    } finally {
      kubectl(['delete', 'ends', 'columns', '--wait=false']);
    }
  });
});
