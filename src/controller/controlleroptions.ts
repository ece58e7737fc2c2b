/**
 * The options of a DaemonSetController and the counters it reports, apart from the runtime so
 * that controller.ts stays about the runtime; controller.ts re-exports both.
 */
import type { Cluster, ResourceKind } from '../cluster/port.js';
import type { DaemonSet } from '../api/types.js';
import type { BackoffConfig, Plan } from '../engine/types.js';
import type { UpdatePolicy } from '../engine/updatepolicy.js';
import type { ReflectorBackoff } from './informer.js';
import type { Logger } from './logger.js';
import type { MetricQueryFn } from './metricrunner.js';
import type { MetricOutcome } from '../engine/rollout/metricgate.js';
import type { Clock } from '../clock/clock.js';
import type { SyncVerificationError } from './plancompare.js';
import type { DeclineReason, SyncPathStats } from './syncpath.js';
import type { WorkQueueMetrics } from './workqueue.js';

/** Options of a DaemonSetController. */
export interface DaemonSetControllerOptions {
  readonly cluster: Cluster;
  readonly clock: Clock;
  readonly logger?: Logger;
  /**
   * Concurrent syncs (different keys); default 2, like --concurrent-daemonset-syncs. 0 starts no
   * workers: keys are queued but only syncDaemonSet() calls (tests) run syncs.
   */
  readonly workers?: number;
  /** Most creates (and deletes) per sync; default 250. */
  readonly burstReplicas?: number;
  /** Watch only this namespace (DaemonSets, pods, revisions); nodes are always cluster-wide. */
  readonly namespace?: string;
  /** The kind DaemonSets are read and written as; default 'DaemonSet'. */
  readonly dsKind?: ResourceKind;
  /** Randomness for reflector jitter; default Math.random. */
  readonly random?: () => number;
  /** Failed-pod backoff; default 1 s to 15 min. */
  readonly backoff?: BackoffConfig;
  /** Work-queue metric hooks. */
  readonly queueMetrics?: WorkQueueMetrics;
  /** Reflector restart backoff and silent-watch timeout. */
  readonly reflectorBackoff?: ReflectorBackoff;
  readonly watchTimeoutMs?: number;
  /** Called after every sync with its duration on the Clock and its error (reconcile metrics). */
  readonly onSync?: (key: string, durationMs: number, error: Error | undefined) => void;
  /**
   * Plan from per-DaemonSet state kept between syncs when that provably equals the full
   * reconcile (fastplan.ts); default controllerDefaults.incrementalSync (true). False runs
   * reconcile() over a full snapshot every time (the benchmarks measure against it).
   */
  readonly incrementalSync?: boolean;
  /**
   * Also run the full reconcile on every incremental sync and fail the sync with a
   * SyncVerificationError naming the DaemonSet, the differing plan path and both values; default
   * controllerDefaults.verifySync (false; the test suite turns it on for every controller).
   */
  readonly verifySync?: boolean;
  /**
   * Receives a SyncVerificationError (verifySync) instead of it being thrown outside the worker
   * as an uncaught exception; the test harness uses it to fail the test that caused it.
   */
  readonly onVerificationFailure?: (err: SyncVerificationError) => void;
  /**
   * The rolling update's node order and release set for a DaemonSet (engine/updatepolicy.ts);
   * defaultUpdatePolicy when absent. Both the full reconcile and the incremental sync use it.
   */
  readonly updatePolicy?: (ds: DaemonSet) => UpdatePolicy;
  /**
   * How the Prometheus health gate's queries are asked (controller/metricrunner.ts): a real
   * Prometheus over HTTP when absent; the simulator passes its scenario's simulated server.
   */
  readonly metricQuery?: MetricQueryFn;
  /** Called once per sync with the plan it carries out (before the executor runs it). */
  readonly onPlan?: (key: string, plan: Plan) => void;
  /**
   * Called once per planned sync with its path and, for 'full', the reason the incremental
   * planner declined ('' for incremental): the feed of everynode_sync_path_total.
   */
  readonly onSyncPath?: (path: 'incremental' | 'full', reason: DeclineReason | '') => void;
  /**
   * Called with each answer of a Prometheus health gate's query (controller/metricrunner.ts) and
   * how long it took in ms: the feed of everynode_rollout_gate_queries_total.
   */
  readonly onGateAnswer?: (outcome: MetricOutcome, ms: number) => void;
  /**
   * Coalesce node-driven syncs: a node that joins, or whose labels or taints change the
   * eligibility, queues the DaemonSets it concerns this many ms after the first such event
   * instead of at once, and so does the deletion of a pod whose node has left the cache (the pod
   * GC after a node leaves). A burst of node events then costs one sync per DaemonSet per window;
   * a pod for a new node is created up to this much later. Default
   * controllerDefaults.nodeEventDelayMs (0: queued at once, as upstream does).
   */
  readonly nodeEventDelayMs?: number;
  /**
   * Status-write pacing (statuspacing.ts): a changed status within this many ms of the
   * DaemonSet's previous status write waits for the end of the interval (the key is synced
   * again then), unless it is settled, moves observedGeneration or changes a condition. Default
   * controllerDefaults.statusIntervalMs (0: every sync writes a changed status, as upstream;
   * the `run` command sets 500 ms).
   */
  readonly statusIntervalMs?: number;
}

/** Counters for metrics and tests. */
export interface ControllerStats {
  readonly syncs: number;
  readonly syncErrors: number;
  readonly queueDepth: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly creates: number;
  readonly deletes: number;
  readonly statusWrites: number;
  /** Syncs planned incrementally, and by the full reconcile per decline reason (syncpath.ts). */
  readonly syncPaths: Readonly<SyncPathStats>;
  readonly expectations: number;
  readonly backoffEntries: number;
  readonly cached: {
    readonly nodes: number;
    readonly pods: number;
    readonly daemonSets: number;
    readonly revisions: number;
  };
}

/** Defaults of the options that a whole process may want to set at once (tests, benchmarks). */
export interface ControllerDefaults {
  incrementalSync: boolean;
  verifySync: boolean;
  nodeEventDelayMs: number;
  statusIntervalMs: number;
}

/**
 * The process-wide defaults every DaemonSetController starts from. The library reads no
 * environment: the CLI sets these from its flags and environment (cli/controllerenv.ts), the
 * test runner's setup module turns verifySync on (test/harness/verify-sync.ts).
 */
export const controllerDefaults: ControllerDefaults = {
  incrementalSync: true,
  verifySync: false,
  nodeEventDelayMs: 0,
  statusIntervalMs: 0,
};

/** Sets some of the defaults; returns the previous values, so a test can put them back. */
export function setControllerDefaults(next: Partial<ControllerDefaults>): ControllerDefaults {
  const before = { ...controllerDefaults };
  Object.assign(controllerDefaults, next);
  return before;
}

/**
 * The node-event delay in ms that opts ask for (0: none): the option, else the default; throws
 * on a negative or non-finite value.
 */
export function nodeEventDelayOf(
  opts: Pick<DaemonSetControllerOptions, 'nodeEventDelayMs'>,
): number {
  const ms = opts.nodeEventDelayMs ?? controllerDefaults.nodeEventDelayMs;
  if (!Number.isFinite(ms) || ms < 0)
    throw new RangeError(`nodeEventDelayMs: expected a number of ms >= 0, got ${String(ms)}`);
  return ms;
}

/** The status-write interval in ms that opts ask for (0: none); throws on a bad value. */
export function statusIntervalOf(
  opts: Pick<DaemonSetControllerOptions, 'statusIntervalMs'>,
): number {
  const ms = opts.statusIntervalMs ?? controllerDefaults.statusIntervalMs;
  if (!Number.isFinite(ms) || ms < 0)
    throw new RangeError(`statusIntervalMs: expected a number of ms >= 0, got ${String(ms)}`);
  return ms;
}
