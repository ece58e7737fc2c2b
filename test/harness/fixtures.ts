/**
 * Fixtures of the scenario harness model (shared/spec/scenarios.md, "Shared fixtures"): labels
 * L1/L2/NL1/NL2, DaemonSet `foo`, nodes `node-i`, and pods owned by a DaemonSet or orphaned.
 *
 * Times are epoch ms; `sec(n)` is n seconds after the fixed origin T0, so scenario clocks such as
 * "clock 100" read `sec(100)`.
 */
import {
  CONTROLLER_REVISION_HASH_LABEL,
  TEMPLATE_GENERATION_ANNOTATION,
  formatTime,
  type DaemonSet,
  type IntOrString,
  type Mutable,
  type Node,
  type Pod,
  type Taint,
} from '../../src/api/types.js';

/** The clock origin of every harness: 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);
/** n seconds after T0, in epoch ms. */
export const sec = (n: number): number => T0 + n * 1000;

export const L1: Readonly<Record<string, string>> = Object.freeze({
  name: 'simple-daemon',
  type: 'production',
});
export const L2: Readonly<Record<string, string>> = Object.freeze({
  name: 'simple-daemon',
  type: 'test',
});
export const NL1: Readonly<Record<string, string>> = Object.freeze({
  color: 'blue',
  speed: 'fast',
});
export const NL2: Readonly<Record<string, string>> = Object.freeze({ color: 'red', speed: 'fast' });

/** An update strategy, as scenarios name them. */
export type StrategySpec =
  | { readonly type: 'OnDelete' }
  | {
      readonly type: 'RollingUpdate';
      readonly maxUnavailable?: IntOrString;
      readonly maxSurge?: IntOrString;
    };

/** The two strategies upstream runs most manage and eligibility tests with. */
export const BOTH_STRATEGIES: readonly StrategySpec[] = [
  { type: 'OnDelete' },
  { type: 'RollingUpdate', maxUnavailable: 1, maxSurge: 0 },
];

/** A short label for a strategy, for test names: "OnDelete", "RollingUpdate(mu=1,ms=0)". */
export function strategyName(s: StrategySpec): string {
  return s.type === 'OnDelete'
    ? 'OnDelete'
    : `RollingUpdate(mu=${s.maxUnavailable ?? 1},ms=${s.maxSurge ?? 0})`;
}

/** The wire form of a StrategySpec, defaulted like apps/v1. */
export function updateStrategy(
  s: StrategySpec,
): Mutable<NonNullable<DaemonSet['spec']>['updateStrategy']> {
  if (s.type === 'OnDelete') return { type: 'OnDelete' };
  return {
    type: 'RollingUpdate',
    rollingUpdate: { maxUnavailable: s.maxUnavailable ?? 1, maxSurge: s.maxSurge ?? 0 },
  };
}

/** Options for newDaemonSet. */
export interface DaemonSetOptions {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly strategy?: StrategySpec;
  readonly selector?: Record<string, string>;
  readonly labels?: Record<string, string>;
  readonly revisionHistoryLimit?: number;
  readonly minReadySeconds?: number;
}

/**
 * DaemonSet `foo` of the scenarios: namespace default, selector and template labels L1, one
 * container foo/bar, revisionHistoryLimit 2, OnDelete, generation 1, template generation "1".
 * Returns a mutable copy for the test to shape further.
 */
export function newDaemonSet(opts: DaemonSetOptions = {}): Mutable<DaemonSet> {
  const name = opts.name ?? 'foo';
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name,
      namespace: opts.namespace ?? 'default',
      uid: opts.uid ?? `uid-${name}`,
      generation: 1,
      annotations: { [TEMPLATE_GENERATION_ANNOTATION]: '1' },
    },
    spec: {
      selector: { matchLabels: { ...(opts.selector ?? L1) } },
      template: {
        metadata: { labels: { ...(opts.labels ?? L1) } },
        spec: {
          containers: [
            {
              name: 'foo',
              image: 'foo/bar',
              terminationMessagePath: '/dev/termination-log',
              imagePullPolicy: 'IfNotPresent',
            },
          ],
          restartPolicy: 'Always',
          dnsPolicy: 'ClusterFirst',
          terminationGracePeriodSeconds: 30,
          schedulerName: 'default-scheduler',
          securityContext: {},
        },
      },
      updateStrategy: updateStrategy(opts.strategy ?? { type: 'OnDelete' }),
      revisionHistoryLimit: opts.revisionHistoryLimit ?? 2,
      minReadySeconds: opts.minReadySeconds ?? 0,
    },
    status: {
      currentNumberScheduled: 0,
      desiredNumberScheduled: 0,
      numberMisscheduled: 0,
      numberReady: 0,
    },
  };
}

/** Options for newNode. */
export interface NodeOptions {
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly Taint[];
  readonly unschedulable?: boolean;
  /** Node conditions as type → status; Ready defaults to True. */
  readonly conditions?: Readonly<Record<string, string>>;
}

/** A Ready node with allocatable pods 100 and the given labels and taints. */
export function newNode(name: string, opts: NodeOptions = {}): Mutable<Node> {
  const conditions = { Ready: 'True', ...(opts.conditions ?? {}) };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-node-${name}`, labels: { ...(opts.labels ?? {}) } },
    spec: {
      ...(opts.taints ? { taints: structuredClone(opts.taints) as Mutable<Taint>[] } : {}),
      ...(opts.unschedulable ? { unschedulable: true } : {}),
    },
    status: {
      allocatable: { pods: '100', cpu: '1', memory: '100M' },
      conditions: Object.entries(conditions).map(([type, status]) => ({ type, status })),
    },
  };
}

/** Nodes `<prefix>0` … `<prefix>(n-1)`, starting at `from`. */
export function newNodes(
  n: number,
  opts: NodeOptions = {},
  prefix = 'node-',
  from = 0,
): Mutable<Node>[] {
  return Array.from({ length: n }, (_, i) => newNode(`${prefix}${from + i}`, opts));
}

/** Options for a pod fixture. */
export interface PodOptions {
  /** Pod name; defaults to `<ds>-<node>-<n>` (unique per call). */
  readonly name?: string;
  /** Labels; default L1 (owned) plus the hash label when `hash` is given. */
  readonly labels?: Readonly<Record<string, string>>;
  /** The controller-revision-hash label value; omitted when undefined or ''. */
  readonly hash?: string;
  /** creationTimestamp in epoch ms; unset by default, as in the upstream fixtures. */
  readonly created?: number;
  readonly phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  /** Ready=True since this epoch ms (true: without lastTransitionTime). */
  readonly readySince?: number | true;
  /** deletionTimestamp in epoch ms (marks the pod terminating). */
  readonly deleting?: number;
  /** Not bound: pinned to the node through the affinity term only. */
  readonly unbound?: boolean;
  readonly namespace?: string;
  readonly finalizers?: readonly string[];
}

let podSeq = 0;

function basePod(node: string, owner: DaemonSet | null, opts: PodOptions): Mutable<Pod> {
  const dsName = owner?.metadata?.name ?? 'pod';
  const name = opts.name ?? `${dsName}-${node}-${++podSeq}`;
  const labels: Record<string, string> = { ...(opts.labels ?? L1) };
  if (opts.hash) labels[CONTROLLER_REVISION_HASH_LABEL] = opts.hash;
  const pod: Mutable<Pod> = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: opts.namespace ?? owner?.metadata?.namespace ?? 'default',
      uid: `uid-${name}`,
      labels,
    },
    spec: opts.unbound
      ? {
          containers: [{ name: 'foo', image: 'foo/bar' }],
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] },
                ],
              },
            },
          },
        }
      : { nodeName: node, containers: [{ name: 'foo', image: 'foo/bar' }] },
    status: { phase: opts.phase ?? 'Running' },
  };
  const meta = pod.metadata!;
  if (owner !== null) {
    meta.ownerReferences = [
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        name: owner.metadata?.name ?? '',
        uid: owner.metadata?.uid ?? '',
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
  }
  if (opts.created !== undefined) meta.creationTimestamp = formatTime(opts.created);
  if (opts.deleting !== undefined) {
    meta.deletionTimestamp = formatTime(opts.deleting);
    meta.deletionGracePeriodSeconds = 30;
  }
  if (opts.finalizers) meta.finalizers = [...opts.finalizers];
  if (opts.readySince !== undefined) {
    pod.status!.conditions = [
      opts.readySince === true
        ? { type: 'Ready', status: 'True' }
        : { type: 'Ready', status: 'True', lastTransitionTime: formatTime(opts.readySince) },
    ];
  }
  return pod;
}

/** "Owned pod on node-i": bound to the node, labels L1 (+ hash), controllerRef to `owner`. */
export function newOwnedPod(owner: DaemonSet, node: string, opts: PodOptions = {}): Mutable<Pod> {
  return basePod(node, owner, opts);
}

/** A pod without a controllerRef, labels L1 by default. */
export function newOrphanPod(node: string, opts: PodOptions = {}): Mutable<Pod> {
  return basePod(node, null, opts);
}

/**
 * Status in the scenarios' notation:
 * [desired, current, misscheduled, ready, available, unavailable, updated].
 */
export function statusTuple(s: DaemonSet['status']): number[] {
  return [
    s?.desiredNumberScheduled ?? 0,
    s?.currentNumberScheduled ?? 0,
    s?.numberMisscheduled ?? 0,
    s?.numberReady ?? 0,
    s?.numberAvailable ?? 0,
    s?.numberUnavailable ?? 0,
    s?.updatedNumberScheduled ?? 0,
  ];
}

/** newDaemonSet with `strategy`, then `tweak` applied to the copy (for template edits at creation). */
export function dsWith(
  strategy: StrategySpec,
  tweak: (ds: Mutable<DaemonSet>) => void = () => undefined,
  opts: DaemonSetOptions = {},
): Mutable<DaemonSet> {
  const ds = newDaemonSet({ ...opts, strategy });
  tweak(ds);
  return ds;
}
