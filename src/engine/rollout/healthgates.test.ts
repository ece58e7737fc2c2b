import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Pod } from '../../api/types.js';
import {
  DEFAULT_HEALTH_GATES,
  evaluateHealthGates,
  podHealthySince,
  resolveHealthGates,
  type GatedPod,
  type ResolvedHealthGates,
} from './healthgates.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
type CS = NonNullable<NonNullable<Pod['status']>['containerStatuses']>[number];

function pod(
  name: string,
  opts: { ready?: boolean; since?: number; containers?: Partial<CS>[]; init?: Partial<CS>[] } = {},
): Pod {
  const ready = opts.ready ?? true;
  const c = (x: Partial<CS>): CS => ({
    name: 'agent',
    image: 'agent:2',
    imageID: '',
    ready,
    restartCount: 0,
    ...x,
  });
  return {
    metadata: { name, creationTimestamp: iso(T0 - 1000_000) },
    status: {
      phase: 'Running',
      startTime: iso(T0 - 1000_000),
      conditions: [
        {
          type: 'Ready',
          status: ready ? 'True' : 'False',
          lastTransitionTime: iso(opts.since ?? T0 - 100_000),
        },
      ],
      containerStatuses: (opts.containers ?? [{}]).map(c),
      ...(opts.init ? { initContainerStatuses: opts.init.map(c) } : {}),
    },
  };
}
const on = (node: string, p: Pod, impaired = false): GatedPod => ({ node, pod: p, impaired });
const gates = resolveHealthGates(undefined, true)!;

test('resolveHealthGates: off for plain apps/v1, defaults with a canary or waves, fields override', () => {
  assert.equal(resolveHealthGates(undefined, false), undefined);
  assert.deepEqual(resolveHealthGates(undefined, true), DEFAULT_HEALTH_GATES);
  const g = resolveHealthGates({ maxRestarts: 5, onFailure: 'Abort' }, false)!;
  assert.equal(g.maxRestarts, 5);
  assert.equal(g.onFailure, 'Abort');
  assert.equal(g.maxNotReadySeconds, 300);
});

const cases: readonly {
  name: string;
  pods: GatedPod[];
  gates?: Partial<ResolvedHealthGates>;
  released?: number;
  tripped: boolean;
  reason?: string;
  message?: string;
  node?: string;
}[] = [
  { name: 'healthy pods', pods: [on('n-1', pod('a-1')), on('n-2', pod('a-2'))], tripped: false },
  {
    name: 'CrashLoopBackOff waiting, with the kubelet message',
    pods: [
      on(
        'n-3',
        pod('a-3', {
          ready: false,
          containers: [
            {
              restartCount: 1,
              state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } },
            },
          ],
        }),
      ),
    ],
    tripped: true,
    reason: 'CrashLoopBackOff',
    message: 'container agent waiting: CrashLoopBackOff (back-off 10s)',
    node: 'n-3',
  },
  {
    name: 'OOMKilled in the last state of a running container',
    pods: [
      on(
        'n-1',
        pod('a-1', {
          containers: [
            {
              restartCount: 1,
              state: { running: { startedAt: iso(T0 - 5000) } },
              lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } },
            },
          ],
        }),
      ),
    ],
    tripped: true,
    reason: 'OOMKilled',
    message: 'container agent last terminated: OOMKilled (exit code 137)',
  },
  {
    name: 'an init container stuck on ImagePullBackOff',
    pods: [
      on(
        'n-1',
        pod('a-1', {
          ready: false,
          since: T0 - 10_000,
          init: [{ name: 'setup', state: { waiting: { reason: 'ImagePullBackOff' } } }],
        }),
      ),
    ],
    tripped: true,
    reason: 'ImagePullBackOff',
    message: 'container setup waiting: ImagePullBackOff',
  },
  {
    name: 'a reason not in the list does not fail',
    pods: [
      on(
        'n-1',
        pod('a-1', { containers: [{ state: { waiting: { reason: 'ContainerCreating' } } }] }),
      ),
    ],
    tripped: false,
  },
  {
    name: 'restarts over maxRestarts (summed over containers)',
    pods: [on('n-1', pod('a-1', { containers: [{ restartCount: 2 }, { restartCount: 1 }] }))],
    tripped: true,
    reason: 'PodRestarts',
    message: 'containers restarted 3 times (maxRestarts 2)',
  },
  {
    name: 'restarts at maxRestarts pass',
    pods: [on('n-1', pod('a-1', { containers: [{ restartCount: 2 }] }))],
    tripped: false,
  },
  {
    name: 'not Ready past maxNotReadySeconds',
    pods: [on('n-2', pod('a-2', { ready: false, since: T0 - 301_000 }))],
    tripped: true,
    reason: 'PodNotReady',
    message: 'not Ready for 301s (maxNotReadySeconds 300)',
  },
  {
    name: 'not Ready, within maxNotReadySeconds',
    pods: [on('n-2', pod('a-2', { ready: false, since: T0 - 299_000 }))],
    tripped: false,
  },
  {
    name: 'pods on impaired nodes are not judged',
    pods: [on('n-2', pod('a-2', { ready: false, since: T0 - 999_000 }), true)],
    tripped: false,
  },
  {
    name: 'maxFailedNodes 2: one failing node does not trip',
    pods: [on('n-1', pod('a-1', { containers: [{ restartCount: 9 }] })), on('n-2', pod('a-2'))],
    gates: { maxFailedNodes: 2 },
    tripped: false,
  },
  {
    name: 'maxFailedNodes 2: two failing nodes trip, the first in natural order is recorded',
    pods: [
      on('n-10', pod('a-10', { containers: [{ restartCount: 9 }] })),
      on('n-9', pod('a-9', { ready: false, since: T0 - 999_000 })),
    ],
    gates: { maxFailedNodes: 2, onFailure: 'Abort' },
    tripped: true,
    reason: 'PodNotReady',
    node: 'n-9',
  },
  {
    name: 'maxFailedNodes 10% of 30 released is 3',
    pods: ['n-1', 'n-2'].map((n) => on(n, pod(n, { containers: [{ restartCount: 9 }] }))),
    gates: { maxFailedNodes: '10%' },
    released: 30,
    tripped: false,
  },
  {
    name: 'maxFailedNodes 1% of 5 released rounds up to 1',
    pods: [on('n-1', pod('a-1', { containers: [{ restartCount: 9 }] }))],
    gates: { maxFailedNodes: '1%' },
    released: 5,
    tripped: true,
  },
];

for (const c of cases) {
  test(`evaluateHealthGates: ${c.name}`, () => {
    const v = evaluateHealthGates({ ...gates, ...c.gates }, c.pods, c.released ?? 10, T0);
    assert.equal(v.tripped, c.tripped);
    if (c.reason) assert.equal(v.failure?.reason, c.reason);
    if (c.message) assert.equal(v.failure?.message, c.message);
    if (c.node) assert.equal(v.failure?.node, c.node);
    if (c.tripped) {
      assert.equal(v.action, c.gates?.onFailure ?? 'Pause');
      assert.equal(v.failure?.time, T0);
    }
  });
}

test('evaluateHealthGates: recheckAt is when the next not-ready pod crosses the limit', () => {
  const v = evaluateHealthGates(
    gates,
    [
      on('n-1', pod('a-1', { ready: false, since: T0 - 100_000 })),
      on('n-2', pod('a-2', { ready: false, since: T0 - 200_000 })),
    ],
    10,
    T0,
  );
  assert.equal(v.tripped, false);
  assert.equal(v.recheckAt, T0 + 100_001);
  const later = evaluateHealthGates(
    gates,
    [on('n-2', pod('a-2', { ready: false, since: T0 - 200_000 }))],
    10,
    v.recheckAt,
  );
  assert.equal(later.failure?.reason, 'PodNotReady');
});

test('podHealthySince: available time, moved forward by a container restart', () => {
  assert.equal(podHealthySince(pod('a', { since: T0 }), 0), T0);
  assert.equal(podHealthySince(pod('a', { since: T0 }), 10), T0 + 10_000);
  const restarted = pod('a', {
    since: T0,
    containers: [{ restartCount: 1, state: { running: { startedAt: iso(T0 + 60_000) } } }],
  });
  assert.equal(podHealthySince(restarted, 10), T0 + 60_000);
  assert.equal(podHealthySince(pod('a', { ready: false }), 0), undefined);
});

test('property: tripped exactly when failing nodes reach the threshold; pods on impaired nodes never count', () => {
  const podArb = fc.record({
    node: fc.constantFrom('n-1', 'n-2', 'n-3', 'n-4', 'n-5'),
    restarts: fc.nat(5),
    notReadyFor: fc.option(fc.nat(600), { nil: undefined }),
    impaired: fc.boolean(),
  });
  fc.assert(
    fc.property(
      fc.array(podArb, { maxLength: 8 }),
      fc.integer({ min: 0, max: 4 }),
      (xs, maxFailed) => {
        const pods = xs.map((x, i) =>
          on(
            x.node,
            pod(`p-${i}`, {
              ready: x.notReadyFor === undefined,
              since: T0 - (x.notReadyFor ?? 0) * 1000,
              containers: [{ restartCount: x.restarts }],
            }),
            x.impaired,
          ),
        );
        const v = evaluateHealthGates({ ...gates, maxFailedNodes: maxFailed }, pods, 5, T0);
        const failing = new Set(
          xs
            .filter((x) => !x.impaired && (x.restarts > 2 || (x.notReadyFor ?? 0) > 300))
            .map((x) => x.node),
        );
        assert.equal(v.failedNodes, failing.size);
        assert.equal(v.tripped, failing.size >= Math.max(1, maxFailed));
        assert.deepEqual(
          v.failures.map((f) => f.node),
          [...failing].sort(),
        );
      },
    ),
    { seed: 6, numRuns: 300 },
  );
});
