/**
 * Node impairment (shared/spec/rollout-features.md §3.8): whether a pod's unavailability is the
 * node's doing rather than the rollout's. Status reports the two apart, and with
 * `unavailableAccounting: RolloutOnly` pods on impaired nodes use no budget, block no completion
 * and trip no health gate.
 *
 * A node is impaired when any of these holds (checked in this order; the first is the cause):
 *
 * 1. it is being deleted (metadata.deletionTimestamp);
 * 2. its Ready condition is not True (False, Unknown, or absent: a node that never reported);
 * 3. it carries the node lifecycle controller's taints node.kubernetes.io/unreachable or
 *    not-ready, or node.kubernetes.io/out-of-service (non-graceful shutdown: the node is off);
 * 4. a node condition GracefulNodeShutdownInProgress, MaintenanceInProgress or Drained is True
 *    (set by node-problem-detector style agents and cloud maintenance handlers);
 * 5. an autoscaler is taking it away: cluster-autoscaler's ToBeDeletedByClusterAutoscaler or
 *    DeletionCandidateOfClusterAutoscaler, Karpenter's karpenter.sh/disrupted (v1),
 *    karpenter.sh/disruption (v1beta1, value "disrupting") or karpenter.sh/rebooting (newer
 *    releases). Taints are matched by key whatever their value and effect, as Karpenter's own
 *    IsDisruptingTaint accepts either generation.
 *
 * A cordoned node (spec.unschedulable) is not impaired: DaemonSet pods tolerate the cordon and
 * keep running, and a cordon alone makes no pod unavailable.
 */
import type { Node, Taint } from './types.js';

type NodeCondition = NonNullable<NonNullable<Node['status']>['conditions']>[number];

/** Why a node is impaired; one value per rule of this module's header. */
export type ImpairmentCause =
  | 'NodeDeleting'
  | 'NodeNotReady'
  | 'UnreachableTaint'
  | 'NotReadyTaint'
  | 'OutOfServiceTaint'
  | 'GracefulNodeShutdownInProgress'
  | 'MaintenanceInProgress'
  | 'Drained'
  | 'ClusterAutoscalerToBeDeleted'
  | 'ClusterAutoscalerDeletionCandidate'
  | 'KarpenterDisrupted'
  | 'KarpenterRebooting';

/** The judgement on one node: impaired with its first cause and a message naming the evidence. */
export type NodeImpairment =
  | { readonly impaired: false }
  | { readonly impaired: true; readonly cause: ImpairmentCause; readonly message: string };

/** The node lifecycle controller's and the non-graceful-shutdown taints, by cause. */
const NODE_TAINTS: readonly (readonly [string, ImpairmentCause])[] = [
  ['node.kubernetes.io/unreachable', 'UnreachableTaint'],
  ['node.kubernetes.io/not-ready', 'NotReadyTaint'],
  ['node.kubernetes.io/out-of-service', 'OutOfServiceTaint'],
];

/** Node conditions that mean "this node is going away or under maintenance" when True. */
const MAINTENANCE_CONDITIONS: readonly ImpairmentCause[] = [
  'GracefulNodeShutdownInProgress',
  'MaintenanceInProgress',
  'Drained',
];

/** Autoscaler taints, by cause (cluster-autoscaler, then Karpenter v1, v1beta1 and newer). */
const AUTOSCALER_TAINTS: readonly (readonly [string, ImpairmentCause])[] = [
  ['ToBeDeletedByClusterAutoscaler', 'ClusterAutoscalerToBeDeleted'],
  ['DeletionCandidateOfClusterAutoscaler', 'ClusterAutoscalerDeletionCandidate'],
  ['karpenter.sh/disrupted', 'KarpenterDisrupted'],
  ['karpenter.sh/disruption', 'KarpenterDisrupted'],
  ['karpenter.sh/rebooting', 'KarpenterRebooting'],
];

/** Every taint key this module treats as an impairment (for documentation and tests). */
export const IMPAIRMENT_TAINT_KEYS: readonly string[] = [...NODE_TAINTS, ...AUTOSCALER_TAINTS].map(
  ([key]) => key,
);

const NOT_IMPAIRED: NodeImpairment = Object.freeze({ impaired: false });

function impaired(cause: ImpairmentCause, message: string): NodeImpairment {
  return { impaired: true, cause, message };
}

function taintText(t: Taint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

function findTaint(
  taints: readonly Taint[],
  table: readonly (readonly [string, ImpairmentCause])[],
): NodeImpairment | undefined {
  // The table's order decides the cause when a node carries several of these taints.
  for (const [key, cause] of table) {
    const t = taints.find((x) => x.key === key);
    if (t !== undefined) return impaired(cause, `taint ${taintText(t)}`);
  }
  return undefined;
}

/**
 * Whether the node is impaired (this module's header), with the first cause in the header's
 * order and a message such as "Ready is False (KubeletNotReady: PLEG is not healthy)"; never
 * throws on a node with missing or malformed fields (they read as absent).
 */
export function isNodeImpaired(node: Node): NodeImpairment {
  // Objects from the caches are never changed in place (a change is a new object), and the
  // planners ask about the same node many times a sync: judge each object once.
  let known = judged.get(node);
  if (known === undefined) judged.set(node, (known = judge(node)));
  return known;
}

const judged = new WeakMap<Node, NodeImpairment>();

function judge(node: Node): NodeImpairment {
  const deleting = node.metadata?.deletionTimestamp;
  if (deleting) return impaired('NodeDeleting', `being deleted since ${deleting}`);

  const conditions: readonly (NodeCondition | null)[] = Array.isArray(node.status?.conditions)
    ? node.status.conditions
    : [];
  const ready = conditions.find((c) => c?.type === 'Ready');
  if (ready?.status !== 'True') {
    if (ready == null) return impaired('NodeNotReady', 'no Ready condition reported');
    const why = [ready.reason, ready.message].filter(Boolean).join(': ');
    return impaired('NodeNotReady', `Ready is ${ready.status}${why ? ` (${why})` : ''}`);
  }

  const taints = Array.isArray(node.spec?.taints) ? node.spec.taints.filter((t) => t != null) : [];
  const lifecycle = findTaint(taints, NODE_TAINTS);
  if (lifecycle) return lifecycle;

  for (const type of MAINTENANCE_CONDITIONS) {
    const c = conditions.find((x) => x?.type === type);
    if (c?.status === 'True') {
      const why = [c.reason, c.message].filter(Boolean).join(': ');
      return impaired(type, `${type} is True${why ? ` (${why})` : ''}`);
    }
  }

  return findTaint(taints, AUTOSCALER_TAINTS) ?? NOT_IMPAIRED;
}
