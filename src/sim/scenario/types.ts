/**
 * A scenario, as parsed and validated from a scenario file (docs/sim.md describes the format).
 * Every part keeps its source location so that runtime problems can point at the file line.
 */
import type { SimPrometheusSpec } from '../prometheus.js';
import type { Distribution } from '../random.js';
import type { KubeObject } from '../../cluster/port.js';
import type { Taint } from '../../api/types.js';

/** Where something was written: file, 1-based line and column, and the field path. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly path: string;
}

/** One node to create (a group is expanded into these). */
export interface NodeSpec {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  /** The pod capacity (status.allocatable.pods). */
  readonly pods: number;
  readonly ready: boolean;
}

/** Which nodes an action applies to: explicit names, or a label match (optionally the first N). */
export interface NodeRef {
  readonly names?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly count?: number;
}

/** What a kubelet does to matching pods instead of running them normally. */
export type FailureMode = 'imagePullBackOff' | 'crashLoop' | 'fail';

/** A kubelet failure rule: pods matching image/daemonSet/nodes fail this way with a probability. */
export interface FailureRule {
  readonly mode: FailureMode;
  /** Matches any container image equal to this, or starting with it when it ends in "*". */
  readonly image?: string;
  /** "namespace/name" or "name" (default namespace) of the owning DaemonSet. */
  readonly daemonSet?: string;
  readonly nodes?: NodeRef;
  readonly probability: number;
}

/** How the simulated kubelets behave. */
export interface KubeletSpec {
  /** Pending to Running (image pull and container start). */
  readonly pullDelay: Distribution;
  /** Running to Ready. */
  readonly startupDelay: Distribution;
  /** From a graceful delete to the pod being gone. */
  readonly terminationDelay: Distribution;
  /** Kubelets report status on this period's boundaries (batches writes, as PLEG relists do). */
  readonly syncPeriodMs: number;
  readonly failures: readonly FailureRule[];
}

/** A DaemonSet reference "namespace/name". */
export interface DsRef {
  readonly namespace: string;
  readonly name: string;
}

/** A timeline action. */
export type Action =
  | { readonly action: 'addNodes'; readonly nodes: readonly NodeSpec[] }
  | { readonly action: 'removeNodes'; readonly nodes: NodeRef }
  | {
      readonly action: 'label';
      readonly nodes: NodeRef;
      readonly labels: Readonly<Record<string, string | null>>;
    }
  | { readonly action: 'taint'; readonly nodes: NodeRef; readonly taints: readonly Taint[] }
  | {
      readonly action: 'untaint';
      readonly nodes: NodeRef;
      readonly taints: readonly { readonly key: string; readonly effect?: string }[];
    }
  | { readonly action: 'notReady' | 'unreachable' | 'ready'; readonly nodes: NodeRef }
  | { readonly action: 'apply'; readonly objects: readonly KubeObject[] }
  | {
      readonly action: 'patch';
      readonly daemonSet: DsRef;
      readonly patch: Readonly<Record<string, unknown>>;
    }
  | {
      readonly action: 'setImage';
      readonly daemonSet: DsRef;
      readonly container?: string;
      readonly image: string;
    }
  | { readonly action: 'delete'; readonly daemonSet: DsRef }
  | {
      /** Sets (a string) or removes (null) annotations on a DaemonSet, as kubectl annotate does. */
      readonly action: 'annotate';
      readonly daemonSet: DsRef;
      readonly annotations: Readonly<Record<string, string | null>>;
    }
  | {
      readonly action: 'failPod' | 'deletePod';
      readonly daemonSet: DsRef;
      readonly nodes: NodeRef;
    }
  | { readonly action: 'restartController'; readonly downForMs: number };

/** An action at a virtual time offset. */
export type TimedAction = Action & { readonly atMs: number; readonly loc: SourceLocation };

/** Which pods a `pods` check counts by revision. */
export type PodRevision = 'newest' | 'old' | 'any' | 'update' | 'stable';

/** A condition's status. */
export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** A number comparison from a check: "12", ">= 9", "< 3". */
export interface Comparison {
  readonly op: '==' | '!=' | '<' | '<=' | '>' | '>=';
  readonly value: number;
}

/** The DaemonSet status counters a `status` check can compare. */
export type StatusField =
  'desired' | 'current' | 'updated' | 'ready' | 'available' | 'unavailable' | 'misscheduled';

/** One `expect:` check. `daemonSet` undefined means every DaemonSet. */
export type CheckSpec = { readonly name: string; readonly loc: SourceLocation } & (
  | { readonly check: 'converged'; readonly daemonSet?: DsRef }
  | { readonly check: 'convergedWithin'; readonly daemonSet?: DsRef; readonly withinMs: number }
  | { readonly check: 'maxUnavailable'; readonly daemonSet?: DsRef; readonly atMost: number }
  | { readonly check: 'maxPodsPerNode'; readonly daemonSet?: DsRef; readonly atMost: number }
  | {
      readonly check: 'status';
      readonly daemonSet: DsRef;
      readonly atMs?: number;
      readonly fields: Readonly<Partial<Record<StatusField, Comparison>>>;
    }
  | {
      readonly check: 'pods';
      readonly daemonSet: DsRef;
      readonly atMs?: number;
      /**
       * newest/old: the highest revision number or not; update/stable: the revisions the
       * controller reports as the update and the stable one (everynode's rollout status).
       */
      readonly revision: PodRevision;
      readonly ready?: boolean;
      readonly nodes?: NodeRef;
      readonly count: Comparison;
    }
  | {
      /** A status condition (everynode's Available, Progressing, Suspended, ...) at a time. */
      readonly check: 'condition';
      readonly daemonSet: DsRef;
      readonly atMs?: number;
      readonly type: string;
      readonly status?: ConditionStatus;
      readonly reason?: string;
      /** false: passes when the status has no condition of this type. */
      readonly present?: boolean;
    }
  | {
      /** status.rollout.phase at a time. */
      readonly check: 'phase';
      readonly daemonSet: DsRef;
      readonly atMs?: number;
      readonly phase: string;
    }
  | {
      readonly check: 'events';
      readonly reason: string;
      readonly daemonSet?: DsRef;
      readonly count: Comparison;
    }
);

/** A parsed scenario. */
export interface Scenario {
  readonly file: string;
  readonly name: string;
  readonly description: string;
  readonly seed: number;
  /** The speed to use when watching in a terminal and no --speed is given (0 = as fast as possible). */
  readonly speed: number;
  readonly controller: {
    readonly workers: number;
    readonly burstReplicas: number;
    /** The controller's nodeEventDelayMs: node-driven syncs coalesced over this window (0 = off). */
    readonly nodeEventDelayMs: number;
  };
  readonly nodes: readonly NodeSpec[];
  readonly kubelet: KubeletSpec;
  readonly objects: readonly KubeObject[];
  /**
   * The kind the scenario's DaemonSets are stored as and the controller runs for: apps/v1
   * (DaemonSet) or everynode's CRD (EverynodeDaemonSet, apiVersion apps.everynode.dev/v1alpha1),
   * as `everynode run --resource native|crd`; one per scenario, from its DaemonSets' apiVersion.
   */
  readonly dsKind: 'DaemonSet' | 'EverynodeDaemonSet';
  readonly timeline: readonly TimedAction[];
  readonly stop: { readonly converged: boolean; readonly timeLimitMs: number };
  readonly expect: readonly CheckSpec[];
  /** The simulated Prometheus the health gates' queries reach (sim/prometheus.ts). */
  readonly prometheus?: SimPrometheusSpec;
}

/** The zone label every node group's `zone` sets. */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
