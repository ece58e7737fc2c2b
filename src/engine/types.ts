/**
 * The engine's input (Snapshot) and output (Plan). The engine is pure: everything it needs comes
 * in through the Snapshot, everything it decides goes out through the Plan.
 */
import type { ControllerRevision, DaemonSet, DaemonSetStatus, Node, Pod } from '../api/types.js';
import type { MetricGateState } from './rollout/metricgate.js';
import type { MetricMemory, MetricQuery } from './rollout/metricfold.js';

/** One failed-pod backoff entry (flowcontrol.Backoff): current delay and last update, epoch ms. */
export interface BackoffEntry {
  readonly delayMs: number;
  readonly lastUpdateMs: number;
}

/** Failed-pod backoff state keyed by "<ds.uid>/<observedGeneration>/<node>". */
export type BackoffState = ReadonlyMap<string, BackoffEntry>;

/** Backoff parameters; production uses 1 s initial and 15 min max. */
export interface BackoffConfig {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** Everything one reconcile of one DaemonSet sees. */
export interface Snapshot {
  /** The DaemonSet as stored (already defaulted by the API server or the loader). */
  readonly ds: DaemonSet;
  /** All nodes in the cluster. */
  readonly nodes: readonly Node[];
  /** All pods in the DaemonSet's namespace (the engine claims them). */
  readonly pods: readonly Pod[];
  /** All ControllerRevisions in the DaemonSet's namespace (the engine claims them). */
  readonly revisions: readonly ControllerRevision[];
  /** The clock reading, epoch ms. */
  readonly now: number;
  /** Failed-pod backoff state. */
  readonly backoff: BackoffState;
  readonly backoffConfig?: BackoffConfig;
  /**
   * The removal budget's memory (issue 12): node name → epoch ms since when the node has been
   * ineligible with a pod to remove, as the last plan returned it (Plan.removalSince).
   */
  readonly removalSince?: ReadonlyMap<string, number>;
  /**
   * The budgeted removal times the last plan made (Plan.removalRecent): merged with the stored
   * ones, since the status or record write carrying them may not be in the cache yet.
   */
  readonly removalRecent?: readonly number[];
  /**
   * The Prometheus gate's memory (issue 12, controller/metricrunner.ts): the state the last plan
   * carried and the last answer, folded by the steps stage (engine/rollout/metricfold.ts).
   */
  readonly metric?: MetricMemory;
}

/** Where a decision came from, for reasons and metrics. */
export type ActionSource = 'manage' | 'rollingUpdate' | 'history';

/** The per-node answer to "does this node get a pod, and why (not)?". */
export interface NodeDecision {
  readonly name: string;
  readonly shouldRun: boolean;
  readonly shouldContinueRunning: boolean;
  /** Empty when the node runs a pod with nothing to report; otherwise a sentence a person can act on. */
  readonly reason: string;
  /** Names of the DaemonSet's pods mapped to this node (non-terminating first). */
  readonly pods: readonly string[];
}

/** A pod to create. */
export interface PodCreate {
  readonly node: string;
  readonly revisionHash: string;
  readonly source: ActionSource;
  readonly reason: string;
  /** The full pod to POST (generateName, labels, pinned affinity, tolerations, ownerRef). */
  readonly pod: Pod;
  /**
   * Set when the pod is pinned to the stable revision because the node is held (paused,
   * outside the partition, ...): the hold's name (engine/rolloutcreates.ts PIN_REASON).
   */
  readonly pinned?: string;
}

/** A pod to delete. */
export interface PodDelete {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** The node the pod maps to; empty when it maps to none. */
  readonly node: string;
  readonly source: ActionSource;
  readonly reason: string;
}

/** An ownerReference patch on a pod or revision: adopt (add our controllerRef) or release (remove it). */
export interface ClaimAction {
  readonly kind: 'Pod' | 'ControllerRevision';
  readonly action: 'adopt' | 'release';
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** A label patch on a pod (dedup of current revisions relabels pods, §8.5). */
export interface PodRelabel {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** An event to record on the DaemonSet. */
export interface PlanEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** The revision everynode treats as current. */
export interface RevisionRef {
  readonly name: string;
  readonly revision: number;
  readonly hash: string;
}

/** History decisions (§8.3–8.6). */
export interface HistoryPlan {
  /** The current revision after this plan (the one to create, when createRevision is set). */
  readonly currentRevision: RevisionRef;
  /** The revision to create when none matches the template, else null. */
  readonly createRevision: ControllerRevision | null;
  /** Revisions whose `revision` number must be raised (rollback to an old template). */
  readonly updateRevisions: readonly { readonly name: string; readonly revision: number }[];
  /** Revisions missing the hash label, to be labelled with their own name. */
  readonly labelRevisions: readonly string[];
  /** Pods relabelled to the surviving revision's hash after a dedup. */
  readonly relabelPods: readonly PodRelabel[];
  /** Duplicate current revisions and old revisions beyond revisionHistoryLimit. */
  readonly deleteRevisions: readonly string[];
  /** Old revisions (after this plan), by revision ascending. */
  readonly oldRevisions: readonly RevisionRef[];
}

/** The rollout as a plan saw it (engine/rolloutpolicy.ts, rolloutprogress.ts). */
export interface RolloutSummary {
  /** status.rollout.phase (api/rolloutconditions.ts PHASE). */
  readonly phase: string;
  readonly updateRevision: string;
  /** The stable revision, when recorded (and still present). */
  readonly stableRevision: string | undefined;
  /** The revision nodes are driven to: the update revision, or the stable one while aborted. */
  readonly targetRevision: string;
  /** Why nodes outside the release set are held: paused, partition, noStableRevision. */
  readonly hold: string | undefined;
  readonly suspend: string | undefined;
  readonly aborted: boolean;
  /** The update policy's name, e.g. partition(3). */
  readonly policy: string;
  /** Canary and waves (issue 12, engine/rollout/stage.ts), when they act on this rollout. */
  readonly steps?: {
    readonly canaryNodes: readonly string[];
    /** The open step (0-based) of `count`, its kind, name and state (Updating, Baking, ...). */
    readonly step: number;
    readonly count: number;
    readonly kind: string | undefined;
    readonly name: string | undefined;
    readonly state: string;
    readonly bakeUntil: number | undefined;
    readonly gateFailure: string | undefined;
    /** The Prometheus gate: its kept state and the query wanted next (metricfold.ts). */
    readonly metric?: {
      readonly state: MetricGateState | undefined;
      readonly query: MetricQuery | undefined;
    };
  };
}

/** An annotation write on a ControllerRevision: an apps/v1 DaemonSet's rollout record. */
export interface RecordWritePlan {
  /** The update revision's name. */
  readonly revision: string;
  /** The annotation rollout.everynode.dev/state's new value. */
  readonly value: string;
}

/** Why a sync does nothing at all. */
export type SkipReason = 'SelectingAll' | 'BeingDeleted';

/** The result of one reconcile. */
export interface Plan {
  readonly dsKey: string;
  /** Set when the sync exits early (§4 steps 3–4): nothing else in the plan is acted on but events. */
  readonly skip: SkipReason | null;
  readonly nodes: readonly NodeDecision[];
  readonly claims: readonly ClaimAction[];
  readonly history: HistoryPlan | null;
  readonly creates: readonly PodCreate[];
  readonly deletes: readonly PodDelete[];
  /** The status that would be written (counters, observedGeneration; conditions carried over). */
  readonly status: DaemonSetStatus;
  /** False when status equals the stored status and observedGeneration ≥ generation (§9.2). */
  readonly statusChanged: boolean;
  readonly events: readonly PlanEvent[];
  /** Ask to be reconciled again after this many ms (minReadySeconds, failed-pod backoff). */
  readonly requeueAfterMs: number | null;
  /** Backoff entries advanced by this plan (failed pods deleted). */
  readonly backoffUpdates: ReadonlyMap<string, BackoffEntry>;
  /** True when the rolling update ran in this plan (manage planned nothing, or the harness model). */
  readonly rollingUpdateRan: boolean;
  /** apps/v1 DaemonSets with rollout features: the record to write on the update revision. */
  readonly recordWrite?: RecordWritePlan | null;
  /** The rollout (phase, revisions, hold); null for an apps/v1 DaemonSet without rollout features. */
  readonly rollout?: RolloutSummary | null;
  /**
   * The removal budget's memory to keep for the next sync (Snapshot.removalSince); undefined when
   * the plan made no removal decision (keep what was kept).
   */
  readonly removalSince?: ReadonlyMap<string, number> | undefined;
  /** The removal times inside the window after this plan (with removalSince). */
  readonly removalRecent?: readonly number[] | undefined;
  /** Set when a step failed (e.g. a malformed budget): carry out the rest, then requeue with rate limiting. */
  readonly error?: string | undefined;
}
