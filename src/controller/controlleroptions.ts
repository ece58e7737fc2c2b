/**
 * The options of a DaemonSetController and the counters it reports, apart from the runtime so
 * that controller.ts stays about the runtime; controller.ts re-exports both.
 */
import type { Cluster, ResourceKind } from '../cluster/port.js';
import type { BackoffConfig } from '../engine/types.js';
import type { ReflectorBackoff } from './informer.js';
import type { Logger } from './logger.js';
import type { Clock } from '../clock/clock.js';
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
   * reconcile (fastplan.ts); default true unless the environment sets EVERYNODE_INCREMENTAL_SYNC=0
   * (to measure against the full sync in the benchmarks). False runs reconcile() over a full
   * snapshot every time.
   */
  readonly incrementalSync?: boolean;
  /**
   * Also run the full reconcile on every incremental sync and fail the sync with a
   * SyncVerificationError naming the DaemonSet and the first difference; default on when the
   * environment sets EVERYNODE_VERIFY_SYNC=1 (the test suite does).
   */
  readonly verifySync?: boolean;
  /**
   * Coalesce node-driven syncs: a node that joins, or whose labels or taints change the
   * eligibility, queues the DaemonSets it concerns this many ms after the first such event
   * instead of at once, and so does the deletion of a pod whose node has left the cache (the pod
   * GC after a node leaves). A burst of node events then costs one sync per DaemonSet per window;
   * a pod for a new node is created up to this much later. Default 0: queued at once, as upstream
   * does; the environment's EVERYNODE_NODE_EVENT_DELAY_MS sets the default (benchmarks).
   */
  readonly nodeEventDelayMs?: number;
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
  readonly expectations: number;
  readonly backoffEntries: number;
  readonly cached: {
    readonly nodes: number;
    readonly pods: number;
    readonly daemonSets: number;
    readonly revisions: number;
  };
}

/**
 * The node-event delay in ms that opts ask for (0: none): the option, else
 * EVERYNODE_NODE_EVENT_DELAY_MS; throws on a negative or non-finite value.
 */
export function nodeEventDelayOf(
  opts: Pick<DaemonSetControllerOptions, 'nodeEventDelayMs'>,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const raw = env['EVERYNODE_NODE_EVENT_DELAY_MS'];
  const ms = opts.nodeEventDelayMs ?? (raw === undefined || raw === '' ? 0 : Number(raw));
  if (!Number.isFinite(ms) || ms < 0)
    throw new RangeError(`nodeEventDelayMs: expected a number of ms >= 0, got ${String(ms)}`);
  return ms;
}
