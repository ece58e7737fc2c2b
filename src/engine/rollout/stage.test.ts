import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROMOTE_ANNOTATION } from '../../api/rolloutspec.js';
import type { ControllerRevision, DaemonSet, Node, Pod } from '../../api/types.js';
import { decideRollout } from '../rolloutpolicy.js';
import { rolloutStatus } from '../rolloutprogress.js';
import type { RevisionRef } from '../types.js';
import { decideSteps, stepsInPlay } from './stage.js';

const T0 = Date.parse('2026-12-08T10:00:00Z');
const CRD = 'apps.everynode.dev/v1alpha1';

function rev(name: string, revision: number): ControllerRevision {
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: { name, namespace: 'default', labels: { 'controller-revision-hash': name.slice(4) } },
    data: {
      spec: {
        template: {
          metadata: { labels: { app: 'a' } },
          spec: { containers: [{ name: 'a', image: name }] },
          $patch: 'replace',
        },
      },
    },
    revision,
  };
}
const REVS = [rev('foo-aaa', 1), rev('foo-bbb', 2)];
const UPDATE: RevisionRef = { name: 'foo-bbb', revision: 2, hash: 'bbb' };

function ds(rollingUpdate: object, rollout: object = {}, annotations?: object): DaemonSet {
  return {
    apiVersion: CRD,
    kind: 'DaemonSet',
    metadata: { name: 'foo', namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec: {
      selector: { matchLabels: { app: 'a' } },
      template: {
        metadata: { labels: { app: 'a' } },
        spec: { containers: [{ name: 'a', image: 'b' }] },
      },
      updateStrategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: 1, ...rollingUpdate },
      },
    },
    status: {
      currentNumberScheduled: 4,
      desiredNumberScheduled: 4,
      numberMisscheduled: 0,
      numberReady: 4,
      updateRevision: 'foo-bbb',
      stableRevision: 'foo-aaa',
      rollout: { phase: 'Canary', ...rollout },
    },
  } as DaemonSet;
}

const node = (name: string): Node => ({
  metadata: { name, labels: {} },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});
const NODES = ['n1', 'n2', 'n3', 'n4'].map(node);

function pod(nodeName: string, hash: string, extra: object = {}): Pod {
  return {
    metadata: { name: `foo-${nodeName}`, labels: { app: 'a', 'controller-revision-hash': hash } },
    spec: { nodeName, containers: [{ name: 'a', image: hash }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-08T09:00:00Z' }],
      ...extra,
    },
  };
}

function decide(d: DaemonSet, pods: Map<string, Pod[]>, nodes = NODES) {
  const decided = decideRollout({ ds: d, revisions: REVS, update: UPDATE, now: T0 });
  const steps = decideSteps(decided, {
    ds: d,
    nodes,
    shouldRun: () => true,
    podsOn: (n) => pods.get(n),
    now: T0,
  });
  return { decided, steps };
}

const stablePods = (): Map<string, Pod[]> =>
  new Map(NODES.map((n) => [n.metadata!.name!, [pod(n.metadata!.name!, 'aaa')]]));

test('without canary, waves or gates the decision passes through untouched (rule 1)', () => {
  for (const ru of [{}, { partition: 2 }, { paused: true }]) {
    const { decided, steps } = decide(ds(ru), stablePods());
    assert.equal(stepsInPlay(decided), false);
    assert.equal(steps, decided);
  }
});

test('the kept canary stays; only it is released; a node outside it is held (pinned to stable)', () => {
  const d = ds({ canary: { count: 1, promotion: 'Manual' } }, { canaryNodes: ['n3'] });
  const { steps } = decide(d, stablePods(), [...NODES, node('n9')]);
  assert.deepEqual(steps.steps?.canaryNodes, ['n3']);
  assert.equal(steps.hold, 'canary');
  assert.equal(steps.policy.released(5), 1);
  assert.ok(steps.policy.compare('n3', 'n1') < 0, 'canary first');
  assert.equal(steps.steps?.state, 'Updating');
  assert.equal(steps.pin?.ref.name, 'foo-aaa');
});

test('a baked Manual canary awaits promotion; the promote control opens the next wave', () => {
  const pods = stablePods();
  pods.set('n3', [pod('n3', 'bbb')]);
  const base = { canary: { count: 1, promotion: 'Manual' } };
  const waiting = decide(ds(base, { canaryNodes: ['n3'] }), pods).steps;
  assert.equal(waiting.steps?.state, 'AwaitingPromotion');
  assert.equal(waiting.policy.released(4), 1);
  const s = rolloutStatus({
    ds: ds(base),
    decision: waiting,
    counters: {
      desiredNumberScheduled: 4,
      currentNumberScheduled: 4,
      numberMisscheduled: 0,
      numberReady: 4,
      numberAvailable: 4,
      numberUnavailable: 0,
      updatedNumberScheduled: 1,
    },
    status: ds(base).status!,
    now: T0,
  });
  assert.equal(s.phase, 'AwaitingPromotion');
  assert.equal(s.status.rollout?.canaryNodes?.join(), 'n3');
  const promoted = decide(
    ds(base, { canaryNodes: ['n3'] }, { [PROMOTE_ANNOTATION]: 'bbb/1' }),
    pods,
  ).steps;
  assert.equal(promoted.acted.promote, 'bbb/1');
  assert.equal(promoted.steps?.promoted, 0);
  assert.equal(promoted.steps?.name, 'rest');
  assert.equal(promoted.hold, undefined);
  assert.equal(promoted.policy.released(4), 4);
});

test('a pod gate trips: the failure names reason, node and pod; Pause freezes the release set', () => {
  const pods = stablePods();
  pods.set('n3', [
    pod('n3', 'bbb', {
      containerStatuses: [
        {
          name: 'a',
          restartCount: 4,
          ready: false,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
        },
      ],
    }),
  ]);
  const d = ds({ canary: { count: 1 } }, { canaryNodes: ['n3'] });
  const { steps } = decide(d, pods);
  assert.equal(steps.hold, 'healthGate');
  assert.equal(steps.aborted, false);
  assert.deepEqual(
    [steps.failure?.reason, steps.failure?.node, steps.failure?.pod],
    ['CrashLoopBackOff', 'n3', 'foo-n3'],
  );
  assert.equal(steps.policy.released(4), 0);
  const abort = decide(
    ds({ canary: { count: 1 }, healthGates: { onFailure: 'Abort' } }, { canaryNodes: ['n3'] }),
    pods,
  );
  assert.equal(abort.steps.aborted, true);
});

test('rule 1, drawn: without the fields, or with them and no rollout in progress, nothing changes', () => {
  // A small deterministic generator (no test-order dependence): 300 decisions over the spec's
  // issue-11 fields, pod states and records.
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let i = 0; i < 300; i++) {
    const ru: Record<string, unknown> = {};
    if (rnd(3) === 0) ru.partition = rnd(5);
    if (rnd(4) === 0) ru.paused = true;
    const complete = rnd(2) === 0;
    const withFields = complete && rnd(2) === 0;
    if (withFields) ru.canary = { count: 1 + rnd(3) };
    const made = ds(ru, complete ? {} : { canaryNodes: ['n2'] });
    const d = complete ? { ...made, status: { ...made.status!, stableRevision: 'foo-bbb' } } : made;
    const pods = stablePods();
    for (const n of ['n1', 'n2', 'n3', 'n4']) if (rnd(3) === 0) pods.set(n, [pod(n, 'bbb')]);
    const { decided, steps } = decide(d, pods);
    assert.equal(steps, decided, `case ${i}: ${JSON.stringify(ru)} complete=${complete}`);
  }
});
