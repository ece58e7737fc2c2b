import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Node, Taint } from './types.js';
import { IMPAIRMENT_TAINT_KEYS, isNodeImpaired, type ImpairmentCause } from './nodeimpairment.js';

type Cond = { type: string; status: string; reason?: string; message?: string };

function node(opts: { conds?: Cond[]; taints?: Taint[]; deleting?: string } = {}): Node {
  return {
    metadata: {
      name: 'n-1',
      ...(opts.deleting ? { deletionTimestamp: opts.deleting } : {}),
    },
    spec: opts.taints ? { taints: opts.taints } : {},
    status: { conditions: opts.conds ?? [{ type: 'Ready', status: 'True' }] },
  };
}
const ready: Cond = { type: 'Ready', status: 'True' };

const cases: readonly {
  name: string;
  node: Node;
  cause?: ImpairmentCause;
  message?: string;
}[] = [
  { name: 'healthy', node: node() },
  {
    name: 'cordoned only (DaemonSet pods tolerate it)',
    node: {
      ...node({ taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] }),
    },
  },
  {
    name: 'an unrelated taint',
    node: node({ taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
  },
  {
    name: 'Ready False with reason and message',
    node: node({
      conds: [
        { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'PLEG not healthy' },
      ],
    }),
    cause: 'NodeNotReady',
    message: 'Ready is False (KubeletNotReady: PLEG not healthy)',
  },
  {
    name: 'Ready Unknown',
    node: node({ conds: [{ type: 'Ready', status: 'Unknown' }] }),
    cause: 'NodeNotReady',
    message: 'Ready is Unknown',
  },
  {
    name: 'no Ready condition',
    node: node({ conds: [] }),
    cause: 'NodeNotReady',
    message: 'no Ready condition reported',
  },
  {
    name: 'unreachable taint on a Ready node (the condition lags the taint)',
    node: node({ taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }),
    cause: 'UnreachableTaint',
    message: 'taint node.kubernetes.io/unreachable:NoExecute',
  },
  {
    name: 'not-ready taint',
    node: node({ taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] }),
    cause: 'NotReadyTaint',
  },
  {
    name: 'out-of-service taint',
    node: node({
      taints: [
        { key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' },
      ],
    }),
    cause: 'OutOfServiceTaint',
    message: 'taint node.kubernetes.io/out-of-service=nodeshutdown:NoExecute',
  },
  {
    name: 'deletionTimestamp wins over everything',
    node: node({
      deleting: '2026-12-01T10:00:00Z',
      conds: [{ type: 'Ready', status: 'False' }],
    }),
    cause: 'NodeDeleting',
    message: 'being deleted since 2026-12-01T10:00:00Z',
  },
  {
    name: 'GracefulNodeShutdownInProgress True',
    node: node({ conds: [ready, { type: 'GracefulNodeShutdownInProgress', status: 'True' }] }),
    cause: 'GracefulNodeShutdownInProgress',
  },
  {
    name: 'MaintenanceInProgress True with a reason',
    node: node({
      conds: [ready, { type: 'MaintenanceInProgress', status: 'True', reason: 'HostUpdate' }],
    }),
    cause: 'MaintenanceInProgress',
    message: 'MaintenanceInProgress is True (HostUpdate)',
  },
  {
    name: 'Drained True',
    node: node({ conds: [ready, { type: 'Drained', status: 'True' }] }),
    cause: 'Drained',
  },
  {
    name: 'maintenance conditions False or Unknown do not count',
    node: node({
      conds: [
        ready,
        { type: 'Drained', status: 'False' },
        { type: 'MaintenanceInProgress', status: 'Unknown' },
        { type: 'GracefulNodeShutdownInProgress', status: 'False' },
      ],
    }),
  },
  {
    name: 'cluster-autoscaler ToBeDeleted (value is a timestamp)',
    node: node({
      taints: [
        { key: 'ToBeDeletedByClusterAutoscaler', value: '1764583200', effect: 'NoSchedule' },
      ],
    }),
    cause: 'ClusterAutoscalerToBeDeleted',
    message: 'taint ToBeDeletedByClusterAutoscaler=1764583200:NoSchedule',
  },
  {
    name: 'cluster-autoscaler deletion candidate (soft taint)',
    node: node({
      taints: [
        {
          key: 'DeletionCandidateOfClusterAutoscaler',
          value: '1764583200',
          effect: 'PreferNoSchedule',
        },
      ],
    }),
    cause: 'ClusterAutoscalerDeletionCandidate',
  },
  {
    name: 'Karpenter v1 disrupted',
    node: node({ taints: [{ key: 'karpenter.sh/disrupted', effect: 'NoSchedule' }] }),
    cause: 'KarpenterDisrupted',
    message: 'taint karpenter.sh/disrupted:NoSchedule',
  },
  {
    name: 'Karpenter v1beta1 disruption=disrupting',
    node: node({
      taints: [{ key: 'karpenter.sh/disruption', value: 'disrupting', effect: 'NoSchedule' }],
    }),
    cause: 'KarpenterDisrupted',
    message: 'taint karpenter.sh/disruption=disrupting:NoSchedule',
  },
  {
    name: 'Karpenter rebooting',
    node: node({ taints: [{ key: 'karpenter.sh/rebooting', effect: 'NoSchedule' }] }),
    cause: 'KarpenterRebooting',
  },
  {
    name: 'lifecycle taint before a maintenance condition before an autoscaler taint',
    node: node({
      conds: [ready, { type: 'Drained', status: 'True' }],
      taints: [
        { key: 'karpenter.sh/disrupted', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
      ],
    }),
    cause: 'NotReadyTaint',
  },
];

for (const c of cases) {
  test(`isNodeImpaired: ${c.name}`, () => {
    const got = isNodeImpaired(c.node);
    if (c.cause === undefined) {
      assert.deepEqual(got, { impaired: false });
      return;
    }
    assert.equal(got.impaired, true);
    assert.ok(got.impaired);
    assert.equal(got.cause, c.cause);
    if (c.message !== undefined) assert.equal(got.message, c.message);
  });
}

test('isNodeImpaired: malformed nodes read as absent fields, never a throw', () => {
  assert.equal(isNodeImpaired({}).impaired, true); // no Ready condition
  const weird = {
    metadata: {},
    spec: { taints: 'nope' },
    status: { conditions: [null, { type: 'Ready', status: 'True' }] },
  } as unknown as Node;
  assert.deepEqual(isNodeImpaired(weird), { impaired: false });
});

test('property: impaired exactly when a listed taint, a non-True Ready, deletion or a True maintenance condition is present', () => {
  const taintKey = fc.constantFrom(...IMPAIRMENT_TAINT_KEYS, 'dedicated', 'gpu', 'x/y');
  const effect = fc.constantFrom('NoSchedule', 'NoExecute', 'PreferNoSchedule');
  const status = fc.constantFrom('True', 'False', 'Unknown');
  const condType = fc.constantFrom(
    'Ready',
    'Drained',
    'MaintenanceInProgress',
    'GracefulNodeShutdownInProgress',
    'MemoryPressure',
  );
  fc.assert(
    fc.property(
      fc.array(fc.record({ key: taintKey, effect }), { maxLength: 4 }),
      fc.uniqueArray(fc.record({ type: condType, status }), {
        maxLength: 5,
        selector: (c) => c.type,
      }),
      fc.boolean(),
      (taints, conds, deleting) => {
        const n = node({
          taints,
          conds,
          ...(deleting ? { deleting: '2026-01-01T00:00:00Z' } : {}),
        });
        const readyTrue = conds.some((c) => c.type === 'Ready' && c.status === 'True');
        const expected =
          deleting ||
          !readyTrue ||
          taints.some((t) => IMPAIRMENT_TAINT_KEYS.includes(t.key)) ||
          conds.some(
            (c) => c.type !== 'Ready' && c.type !== 'MemoryPressure' && c.status === 'True',
          );
        assert.equal(isNodeImpaired(n).impaired, expected);
      },
    ),
    { seed: 12, numRuns: 300 },
  );
});
