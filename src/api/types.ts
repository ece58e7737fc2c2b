/**
 * The wire-format object model everynode works on: kubernetes-types, deeply readonly, with the
 * label and annotation keys that the upstream DaemonSet controller stamps on objects.
 */
import type {
  DaemonSet as K8sDaemonSet,
  DaemonSetSpec as K8sDaemonSetSpec,
  DaemonSetStatus as K8sDaemonSetStatus,
  DaemonSetCondition as K8sDaemonSetCondition,
  DaemonSetUpdateStrategy as K8sDaemonSetUpdateStrategy,
  RollingUpdateDaemonSet as K8sRollingUpdateDaemonSet,
  ControllerRevision as K8sControllerRevision,
} from 'kubernetes-types/apps/v1.js';
import type {
  Node as K8sNode,
  Pod as K8sPod,
  PodSpec as K8sPodSpec,
  PodTemplateSpec as K8sPodTemplateSpec,
  Taint as K8sTaint,
  Toleration as K8sToleration,
  NodeSelector as K8sNodeSelector,
  NodeSelectorTerm as K8sNodeSelectorTerm,
  NodeSelectorRequirement as K8sNodeSelectorRequirement,
  Affinity as K8sAffinity,
  Event as K8sEvent,
  PodCondition as K8sPodCondition,
} from 'kubernetes-types/core/v1.js';
import type {
  LabelSelector as K8sLabelSelector,
  LabelSelectorRequirement as K8sLabelSelectorRequirement,
  ObjectMeta as K8sObjectMeta,
  OwnerReference as K8sOwnerReference,
} from 'kubernetes-types/meta/v1.js';
import type { Lease as K8sLease } from 'kubernetes-types/coordination/v1.js';

/** Makes every property, at every depth, readonly. */
export type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** Makes a readonly type writable again at the top level and below (for builders that own a copy). */
export type Mutable<T> = T extends readonly (infer E)[]
  ? Mutable<E>[]
  : T extends object
    ? { -readonly [K in keyof T]: Mutable<T[K]> }
    : T;

/**
 * everynode's spec additions (shared/spec/rollout-features.md §2) on its CRD
 * (apps.everynode.dev/v1alpha1). An apps/v1 DaemonSet never has them (kube-apiserver drops unknown
 * fields); there the same fields come as JSON in the rollout.everynode.dev/strategy annotation.
 * api/rolloutspec.ts reads either into one normalised RolloutSpec.
 */
export interface RolloutSpecFields {
  /** As Deployment's: no rollout progress; nodes that need a pod get the stable revision. */
  paused?: boolean;
  /** "" (none), Freeze (no pod writes) or ScaleToZero (every pod removed). */
  suspend?: string;
  /** The rollout fails (Progressing False, ProgressDeadlineExceeded) after this long without progress. */
  progressDeadlineSeconds?: number;
  /** Abort (back to the stable revision) when the deadline passes. */
  progressDeadlineAbort?: boolean;
  /** How fast pods leave nodes that stop being eligible (issue 12; absent: at once, as upstream). */
  removalBudget?: { maxRemovals?: number | string; periodSeconds?: number; delaySeconds?: number };
}

/** everynode's additions to rollingUpdate (§2). */
export interface RollingUpdateFields {
  /** Nodes kept on the stable revision: an int or a percent of desired (rounded down). */
  partition?: number | string;
  /** OpenKruise Advanced DaemonSet's spelling of spec.paused (an alias). */
  paused?: boolean;
  /** All (apps/v1) or RolloutOnly: pods unavailable because their node is impaired use no budget. */
  unavailableAccounting?: string;
}

/** What a rollout failed on (status.rollout.failure). */
export interface RolloutFailure {
  reason: string;
  message: string;
  node?: string;
  pod?: string;
  time?: string;
}

/** status.rollout of everynode's CRD (§4). */
export interface RolloutStatusBlock {
  /** Rolling|Paused|Partitioned|Complete|Failed|Aborted|Frozen|ScaledToZero (issue 12 adds more). */
  phase?: string;
  /** Nodes held at the stable revision by the partition. */
  partitioned?: number;
  /** The value of each control annotation last acted on (abort, retry; promote later). */
  observedControls?: Record<string, string>;
  failure?: RolloutFailure;
  /** Issue 12: the canary nodes chosen when the rollout started. */
  canaryNodes?: string[];
  /** The open step (canary = 0 when there is one, then the waves). */
  wave?: { index: number; name?: string; nodes?: number; updated?: number };
  /** The highest step a promote control released. */
  promotedStep?: number;
  /** Issue 12: the Prometheus gate's counters and last answer (engine/rollout/metricfold.ts). */
  metric?: {
    failures?: number;
    inconclusive?: number;
    lastQueryTime?: string;
    lastResult?: string;
  };
  /** While a canary or wave bakes: when the bake ends. */
  bakeUntil?: string;
  /** Pauses the open step's bake skips: since (while held), until (the last ended), seconds. */
  bakeHeld?: { step?: number; since?: string; until?: string; seconds?: number };
}

/** everynode's status additions (§4); on apps/v1 DaemonSets only conditions are written. */
export interface RolloutStatusFields {
  /** The revision (ControllerRevision name) whose data matches the template. */
  updateRevision?: string;
  /** The last revision that finished rolling out. */
  stableRevision?: string;
  rollout?: RolloutStatusBlock;
  /** Unavailable desired nodes whose node is impaired (api/nodeimpairment.ts; CRD only). */
  numberUnavailableNodeCaused?: number;
  /** numberUnavailable − numberUnavailableNodeCaused (CRD only). */
  numberUnavailableRolloutCaused?: number;
  /** Removals the removal budget defers (CRD only). */
  pendingRemovals?: number;
  /** Times (RFC 3339) of the removal budget's recent removals, pruned to its period (CRD only). */
  removals?: string[];
}

type K8sRollingUpdateX = K8sRollingUpdateDaemonSet & RollingUpdateFields;
type K8sUpdateStrategyX = Omit<K8sDaemonSetUpdateStrategy, 'rollingUpdate'> & {
  rollingUpdate?: K8sRollingUpdateX;
};
type K8sDaemonSetSpecX = Omit<K8sDaemonSetSpec, 'updateStrategy'> &
  RolloutSpecFields & { updateStrategy?: K8sUpdateStrategyX };
/** Deployment's lastUpdateTime: kept by the CRD's schema, dropped by kube-apiserver on apps/v1. */
type K8sDaemonSetConditionX = K8sDaemonSetCondition & { lastUpdateTime?: string };
type K8sDaemonSetStatusX = Omit<K8sDaemonSetStatus, 'conditions'> &
  RolloutStatusFields & { conditions?: K8sDaemonSetConditionX[] };
type K8sDaemonSetX = Omit<K8sDaemonSet, 'apiVersion' | 'spec' | 'status'> & {
  /** apps/v1, or apps.everynode.dev/v1alpha1 for everynode's CRD. */
  apiVersion?: string;
  spec?: K8sDaemonSetSpecX;
  status?: K8sDaemonSetStatusX;
};

/** An apps/v1 DaemonSet, or everynode's CRD with its rollout fields (RolloutSpecFields). */
export type DaemonSet = DeepReadonly<K8sDaemonSetX>;
export type DaemonSetSpec = DeepReadonly<K8sDaemonSetSpecX>;
export type DaemonSetStatus = DeepReadonly<K8sDaemonSetStatusX>;
export type DaemonSetCondition = DeepReadonly<K8sDaemonSetConditionX>;
export type DaemonSetUpdateStrategy = DeepReadonly<K8sUpdateStrategyX>;
export type RollingUpdateDaemonSet = DeepReadonly<K8sRollingUpdateX>;
export type ControllerRevision = DeepReadonly<K8sControllerRevision>;
export type Node = DeepReadonly<K8sNode>;
export type Pod = DeepReadonly<K8sPod>;
export type PodSpec = DeepReadonly<K8sPodSpec>;
export type PodTemplateSpec = DeepReadonly<K8sPodTemplateSpec>;
export type PodCondition = DeepReadonly<K8sPodCondition>;
export type Taint = DeepReadonly<K8sTaint>;
export type Toleration = DeepReadonly<K8sToleration>;
export type NodeSelector = DeepReadonly<K8sNodeSelector>;
export type NodeSelectorTerm = DeepReadonly<K8sNodeSelectorTerm>;
export type NodeSelectorRequirement = DeepReadonly<K8sNodeSelectorRequirement>;
export type Affinity = DeepReadonly<K8sAffinity>;
export type LabelSelector = DeepReadonly<K8sLabelSelector>;
export type LabelSelectorRequirement = DeepReadonly<K8sLabelSelectorRequirement>;
export type ObjectMeta = DeepReadonly<K8sObjectMeta>;
export type OwnerReference = DeepReadonly<K8sOwnerReference>;
export type Event = DeepReadonly<K8sEvent>;
export type Lease = DeepReadonly<K8sLease>;
/** An int or a string such as "25%", as in IntOrString. */
export type IntOrString = number | string;

/** Label on pods and revisions: the hash of the template revision they belong to. */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';
/** Deprecated label on pods: the DaemonSet's template generation when the pod was created. */
export const POD_TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
/** Annotation on apps/v1 DaemonSets carrying the internal templateGeneration. */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';
/** Annotation read by `rollout history` for the CHANGE-CAUSE column. */
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
/** Annotation set on the template by `rollout restart`. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** The key a DaemonSet is queued and addressed by: "namespace/name". */
export function objectKey(obj: { readonly metadata?: ObjectMeta | undefined }): string {
  const ns = obj.metadata?.namespace ?? '';
  const name = obj.metadata?.name ?? '';
  return ns === '' ? name : `${ns}/${name}`;
}

/** Parses an RFC 3339 time into epoch milliseconds; undefined when absent or unparseable. */
export function parseTime(t: string | undefined | null): number | undefined {
  if (t === undefined || t === null || t === '') return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Formats epoch milliseconds as RFC 3339 with second precision, as kube-apiserver writes times. */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
