/**
 * The random steps of the incremental-sync property (incremental.property.test.ts): cluster
 * changes, plans carried out and clock advances (stepArb), the steps of a rollout in progress
 * (rolloutStepArb), and a converged start (startArb). World (incremental-world.ts) applies them.
 */
import fc from 'fast-check';
import type { Taint } from '../../src/api/types.js';

export const TAINTS: readonly (Taint | undefined)[] = [
  undefined,
  { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
  { key: 'maintenance', effect: 'NoExecute' },
  { key: 'soft', effect: 'PreferNoSchedule' },
];
// Eleven nodes, so that natural name order (node-2 before node-10) matters to the rollouts.
export const NODES = 11;

/** Update strategies: both rolling-update modes at several budgets, and OnDelete. */
export const STRATEGIES = [
  { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
  { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
  { type: 'OnDelete' },
  { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 3, maxSurge: 0 } },
  { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '50%', maxSurge: 0 } },
  { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '30%' } },
  { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 2 } },
] as const;

export type Step =
  | { k: 'node'; i: number; present: boolean; role: boolean; taint: number }
  | { k: 'touchNode'; i: number }
  | { k: 'apply'; bind: boolean; removeDeleted: boolean }
  | { k: 'kubelet' }
  | { k: 'pod'; j: number; op: 'bind' | 'ready' | 'unready' | 'delete' | 'remove' | 'fail' }
  | { k: 'pod'; j: number; op: 'succeed' | 'relabel' | 'touch' }
  | { k: 'orphan'; i: number; matches: boolean }
  | { k: 'template'; image: number; role: boolean; minReady: number }
  | { k: 'strategy'; mode: number }
  | { k: 'advance'; ms: number }
  | { k: 'control'; op: ControlOp; n: number }
  | { k: 'zone'; i: number; zone: number }
  | { k: 'impair'; i: number; impaired: boolean }
  | { k: 'gatePod'; j: number; op: GatePodOp };

/** Pod changes the health gates judge (World.gatePod): a crash loop, restarts, a clean Ready. */
export type GatePodOp = 'crash' | 'restart' | 'restarts' | 'clean';

/** The rollout controls of issue 11 a step may apply (World.control). */
export type ControlOp =
  | 'pause'
  | 'resume'
  | 'partition'
  | 'abort'
  | 'retry'
  | 'suspend'
  | 'unsuspend'
  | 'deadline'
  | 'promote';

/** A rollout control step: pause and resume, a partition, abort and retry, suspend, a deadline. */
export const controlStepArb: fc.Arbitrary<Step> = fc.record({
  k: fc.constant('control' as const),
  op: fc.constantFrom<ControlOp>(
    'pause',
    'pause',
    'pause',
    'resume',
    'resume',
    'partition',
    'partition',
    'partition',
    'abort',
    'abort',
    'retry',
    'suspend',
    'unsuspend',
    'unsuspend',
    'unsuspend',
    'deadline',
  ),
  n: fc.nat(11),
});

/** Rollout steps with the rollout controls mixed in. */
export function withControls(steps: fc.Arbitrary<Step>): fc.Arbitrary<Step> {
  return fc.oneof(
    { weight: 6, arbitrary: steps },
    { weight: 1, arbitrary: controlStepArb },
    // Nodes joining and pods going away: what a held rollout pins to the stable revision.
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.record({
          k: fc.constant('node' as const),
          i: fc.nat(NODES - 1),
          present: fc.constant(true),
          role: fc.constant(false),
          taint: fc.constant(0),
        }),
        fc.record({
          k: fc.constant('pod' as const),
          j: fc.nat(20),
          op: fc.constantFrom('remove' as const, 'delete' as const),
        }),
      ),
    },
  );
}

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('node' as const),
      i: fc.nat(NODES - 1),
      present: fc.boolean(),
      role: fc.boolean(),
      taint: fc.nat(TAINTS.length - 1),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('touchNode' as const), i: fc.nat(NODES - 1) }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('apply' as const),
      bind: fc.boolean(),
      removeDeleted: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('kubelet' as const) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('pod' as const),
      j: fc.nat(20),
      op: fc.constantFrom(
        'bind',
        'ready',
        'ready',
        'ready',
        'touch',
        'unready',
        'delete',
        'remove',
        'fail',
        'succeed',
        'relabel',
        'touch',
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('orphan' as const),
      i: fc.nat(NODES - 1),
      matches: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('template' as const),
      image: fc.nat(2),
      role: fc.boolean(),
      minReady: fc.constantFrom(0, 0, 5),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('strategy' as const),
      mode: fc.nat(STRATEGIES.length - 1),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ k: fc.constant('advance' as const), ms: fc.constantFrom(1, 999, 5001) }),
  },
);

/** A converged start: some nodes (some tainted), a DaemonSet, its pods Ready and status written. */
export const startArb = fc.record({
  nodes: fc.array(fc.nat(TAINTS.length - 1), { minLength: 1, maxLength: NODES }),
  minReady: fc.constantFrom(0, 5),
  strategy: fc.nat(STRATEGIES.length - 1),
});

/**
 * Steps of a rollout in progress: plans carried out (deleted pods terminating or gone), kubelets
 * and single pods turning Ready or not, pods deleted, nodes joining and leaving, a second
 * template change, strategy and budget changes, the clock.
 */
export const rolloutStepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      k: fc.constant('apply' as const),
      bind: fc.constant(true),
      removeDeleted: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('kubelet' as const) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('pod' as const),
      j: fc.nat(20),
      op: fc.constantFrom('ready', 'ready', 'unready', 'delete', 'remove', 'touch'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('node' as const),
      i: fc.nat(NODES - 1),
      present: fc.boolean(),
      role: fc.constant(false),
      taint: fc.nat(TAINTS.length - 1),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('template' as const),
      image: fc.nat(2),
      role: fc.constant(false),
      minReady: fc.constantFrom(0, 0, 5),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('strategy' as const),
      mode: fc.nat(STRATEGIES.length - 1),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant('advance' as const), ms: fc.constantFrom(1, 999, 5001) }),
  },
);

/**
 * Issue 12's rollout steps a DaemonSet may carry (rollingUpdate's canary, waves, healthGates,
 * unavailableAccounting), as a user writes them; the nodes carry a zone label (World.zones). Some are blocking on
 * purpose: a canary selector matching nothing, a wave order naming a zone no node has.
 */
export const STEP_SPECS: readonly Record<string, unknown>[] = [
  {
    canary: { count: 1, bakeSeconds: 5 },
    waves: { topologyKey: 'zone', bakeSeconds: 0, maxUnavailable: 1 },
    unavailableAccounting: 'RolloutOnly',
  },
  // RolloutOnly alone: impaired nodes are left out of the rolling update.
  { unavailableAccounting: 'RolloutOnly' },
  {
    canary: { count: '30%', spreadByKey: 'zone', promotion: 'Manual' },
    waves: { topologyKey: 'zone', order: ['z2', 'z0'], promotion: 'Manual', bakeSeconds: 1 },
    healthGates: { maxRestarts: 1, maxNotReadySeconds: 10, onFailure: 'Abort' },
  },
  {
    waves: { steps: ['20%', '50%'], bakeSeconds: 5, maxUnavailable: '50%' },
    healthGates: { maxFailedNodes: 2, maxNotReadySeconds: 6 },
    unavailableAccounting: 'RolloutOnly',
  },
  { canary: { nodeSelector: { matchLabels: { role: 'x' } }, bakeSeconds: 1 } },
  { healthGates: { maxRestarts: 0, onFailure: 'Pause' } },
  {
    canary: { count: 2 },
    waves: { topologyKey: 'zone', order: ['z9'] },
  },
];

/** Rollout steps with canary, waves and gates in play: zones, impairment, gate pod changes. */
export function withStepChanges(steps: fc.Arbitrary<Step>): fc.Arbitrary<Step> {
  return fc.oneof(
    { weight: 8, arbitrary: steps },
    {
      weight: 1,
      arbitrary: fc.record({
        k: fc.constant('control' as const),
        op: fc.constantFrom<ControlOp>('promote', 'resume', 'retry'),
        n: fc.nat(11),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        k: fc.constant('zone' as const),
        i: fc.nat(NODES - 1),
        zone: fc.nat(3),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        k: fc.constant('impair' as const),
        i: fc.nat(NODES - 1),
        impaired: fc.boolean(),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant('gatePod' as const),
        j: fc.nat(20),
        op: fc.constantFrom<GatePodOp>('crash', 'restart', 'restarts', 'clean', 'clean'),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({ k: fc.constant('advance' as const), ms: fc.constantFrom(999, 5001) }),
    },
    // Progress: plans carried out and pods started, so canaries bake and waves open.
    {
      weight: 6,
      arbitrary: fc.constantFrom<Step>(
        { k: 'apply', bind: true, removeDeleted: true },
        { k: 'kubelet' },
      ),
    },
  );
}
