/**
 * The DaemonSet controller runtime: informers feed indexed caches and the §3 handlers, the
 * handlers queue DaemonSet keys, and workers run the §4 sync for each key: build a Snapshot from
 * the caches, ask the pure engine for a Plan, and let the Executor carry it out. Nothing here
 * decides what a DaemonSet needs; that is the engine's job.
 */
import type { KubeObject, ResourceKind } from '../cluster/port.js';
import type { DaemonSet, Pod } from '../api/types.js';
import { rolloutSpecOf } from '../api/rolloutspec.js';
import { reconcile } from '../engine/reconcile.js';
import type { Plan, Snapshot } from '../engine/types.js';
import type { UpdatePolicy } from '../engine/updatepolicy.js';
import { DaemonSetAdmission, InvalidDaemonSetError } from './admission.js';
import { FailedPodBackoff, DEFAULT_BACKOFF } from './backoff.js';
import { DEFAULT_BURST_REPLICAS, Executor } from './executor.js';
import { ControllerExpectations } from './expectations.js';
import { EventHandlers } from './handlers.js';
import { INDEX_CONTROLLER_UID, INDEX_NAMESPACE, INDEX_ORPHAN_NAMESPACE } from './informer.js';
import {
  allInformers,
  cachesOf,
  makeInformers,
  wireHandlers,
  type Caches,
  type ControllerInformers,
} from './caches.js';
import { nullLogger, type Logger } from './logger.js';
import { MetricGateRunner } from './metricrunner.js';
import { IncrementalPlanner } from './fastplan.js';
import { comparePlans, SyncVerificationError } from './plancompare.js';
import { emptySyncPathStats, syncPathCounts, type DeclineReason } from './syncpath.js';
import { EventRecorder } from './recorder.js';
import { StatusPacer } from './statuspacing.js';
import { noopQueueMetrics, WorkQueue } from './workqueue.js';
import {
  controllerDefaults,
  nodeEventDelayOf,
  statusIntervalOf,
  type ControllerStats,
  type DaemonSetControllerOptions,
} from './controlleroptions.js';

export type { ControllerStats, DaemonSetControllerOptions } from './controlleroptions.js';
export { controllerDefaults, setControllerDefaults } from './controlleroptions.js';

export { InvalidDaemonSetError } from './admission.js';

/** No node waits on the removal budget yet. */
const EMPTY_SINCE: ReadonlyMap<string, number> = new Map();

/** A DaemonSet controller over one Cluster; start() it, stop() it, ask isIdle(). */
export class DaemonSetController {
  /** Completed syncs (successful or not). */
  syncCount = 0;
  readonly expectations: ControllerExpectations;
  readonly queue: WorkQueue;
  readonly recorder: EventRecorder;
  private readonly opts: DaemonSetControllerOptions;
  private readonly log: Logger;
  private readonly dsKind: ResourceKind;
  private readonly backoff: FailedPodBackoff;
  /**
   * The removal budget's memory per DaemonSet key (issue 12, engine/removals.ts): since when each
   * node has been ineligible. Memory only: losing it can delay a removal, never hasten one.
   */
  private readonly removalSince = new Map<string, ReadonlyMap<string, number>>();
  /**
   * ...and the removal times of its last plan: the status or record write that stores them may
   * reach the cache after the pod deletes' events, and the next sync must not see an empty window.
   */
  private readonly removalRecent = new Map<string, readonly number[]>();
  /** The Prometheus health gate's query timers and answers (issue 12, metricrunner.ts). */
  private readonly metrics: MetricGateRunner;
  private readonly executor: Executor;
  private readonly handlers: EventHandlers;
  private readonly inf: ControllerInformers;
  private readonly admission: DaemonSetAdmission;
  private readonly incremental: IncrementalPlanner | undefined;
  private readonly verify: boolean;
  private workers: Promise<void>[] = [];
  private started = false;
  private stopping = false;
  private resolveStopCalled!: () => void;
  /** Resolves when stop() is called; start() stops waiting for the caches then. */
  private readonly stopCalled = new Promise<void>((r) => (this.resolveStopCalled = r));
  private counters = { syncErrors: 0, creates: 0, deletes: 0, statusWrites: 0 };
  private readonly paths = emptySyncPathStats();

  constructor(opts: DaemonSetControllerOptions) {
    this.opts = opts;
    this.log = (opts.logger ?? nullLogger).child({ controller: 'daemonset' });
    this.dsKind = opts.dsKind ?? 'DaemonSet';
    this.expectations = new ControllerExpectations(opts.clock);
    this.queue = new WorkQueue({
      clock: opts.clock,
      metrics: opts.queueMetrics ?? noopQueueMetrics,
    });
    this.backoff = new FailedPodBackoff(opts.clock, opts.backoff ?? DEFAULT_BACKOFF);
    this.recorder = new EventRecorder({
      cluster: opts.cluster,
      clock: opts.clock,
      logger: this.log,
    });
    this.admission = new DaemonSetAdmission({
      cluster: opts.cluster,
      recorder: this.recorder,
      clock: opts.clock,
      dsKind: this.dsKind,
      logger: this.log,
    });
    this.inf = makeInformers({
      cluster: opts.cluster,
      clock: opts.clock,
      logger: this.log,
      dsKind: this.dsKind,
      namespace: opts.namespace,
      random: opts.random,
      reflectorBackoff: opts.reflectorBackoff,
      watchTimeoutMs: opts.watchTimeoutMs,
    });
    const nodeDelay = nodeEventDelayOf(opts);
    const nodes = this.inf.nodes.store;
    this.handlers = new EventHandlers({
      dsStore: this.inf.daemonSets.store,
      expectations: this.expectations,
      enqueue: (k) => {
        this.queue.add(k);
      },
      enqueueAfter: (k, ms) => {
        this.queue.addAfter(k, ms);
      },
      logger: this.log,
      ...(nodeDelay > 0 && {
        enqueueForNode: (k: string) => {
          this.queue.addCoalesced(k, nodeDelay);
        },
        hasNode: (name: string) => nodes.get(name) !== undefined,
      }),
    });
    this.executor = new Executor({
      cluster: opts.cluster,
      recorder: this.recorder,
      expectations: this.expectations,
      backoff: this.backoff,
      lookup: (kind, namespace, name) => this.lookup(kind, namespace, name),
      logger: this.log,
      burstReplicas: opts.burstReplicas ?? DEFAULT_BURST_REPLICAS,
      dsKind: this.dsKind,
      statusPacer: new StatusPacer(statusIntervalOf(opts), opts.clock),
    });
    wireHandlers(this.inf, this.handlers);
    this.metrics = new MetricGateRunner({
      clock: opts.clock,
      enqueue: (k) => {
        this.queue.add(k);
      },
      ...(opts.metricQuery !== undefined ? { query: opts.metricQuery } : {}),
      ...(opts.onGateAnswer !== undefined ? { onAnswer: opts.onGateAnswer } : {}),
      logger: this.log,
    });
    this.incremental =
      (opts.incrementalSync ?? controllerDefaults.incrementalSync)
        ? new IncrementalPlanner({
            nodes: this.inf.nodes.store,
            pods: this.inf.pods.store,
            revisions: this.inf.revisions.store,
          })
        : undefined;
    this.verify = opts.verifySync ?? controllerDefaults.verifySync;
  }

  /** The caches, read-only: DaemonSets, pods (trimmed), nodes, revisions. */
  get caches(): Caches {
    return cachesOf(this.inf);
  }

  /**
   * Starts the informers, waits until all have synced, then starts the workers. A stop() while
   * the caches sync (a server failing or silent) ends the wait: start() resolves and starts
   * nothing.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const informers = allInformers(this.inf);
    for (const inf of informers) inf.start();
    await Promise.race([Promise.all(informers.map((inf) => inf.waitForSync())), this.stopCalled]);
    if (this.stopping) return;
    this.backoff.start();
    const n = Math.max(0, this.opts.workers ?? 2);
    this.workers = Array.from({ length: n }, (_, i) => this.runWorker(i));
    this.log.info({ workers: n }, 'daemonset controller started');
  }

  /** Stops taking keys, lets in-flight syncs finish, stops the informers and timers. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.resolveStopCalled();
    this.metrics.stop();
    await this.queue.shutDownWithDrain();
    await Promise.all(this.workers);
    this.backoff.stop();
    await Promise.all(allInformers(this.inf).map((i) => i.stop()));
    await this.recorder.flush();
    this.log.info({ syncs: this.syncCount }, 'daemonset controller stopped');
  }

  /**
   * True when no key is queued or being synced, no event is being written, and no list and no
   * Prometheus gate query is in flight. With workers: 0 queued keys do not count, since nothing
   * would take them.
   */
  isIdle(): boolean {
    return (
      (this.queue.len() === 0 || this.workers.length === 0) &&
      this.queue.inFlight() === 0 &&
      this.recorder.pending() === 0 &&
      !this.metrics.busy() &&
      !allInformers(this.inf).some((i) => i.busy())
    );
  }

  /** True once every informer has completed its first list. */
  hasSynced(): boolean {
    return allInformers(this.inf).every((i) => i.hasSynced());
  }

  /** Counters and sizes, cheap to compute. */
  stats(): ControllerStats {
    return {
      syncs: this.syncCount,
      ...this.counters,
      syncPaths: { incremental: this.paths.incremental, full: { ...this.paths.full } },
      queueDepth: this.queue.len(),
      inFlight: this.queue.inFlight(),
      delayed: this.queue.delayedCount(),
      expectations: this.expectations.size(),
      backoffEntries: this.backoff.size(),
      cached: {
        nodes: this.inf.nodes.store.size(),
        pods: this.inf.pods.store.size(),
        daemonSets: this.inf.daemonSets.store.size(),
        revisions: this.inf.revisions.store.size(),
      },
    };
  }

  /**
   * One sync of key (§4). Resolves with the plan it carried out (undefined when the DaemonSet is
   * not in the cache); rejects with the sync's error. Public so that tests can drive syncs.
   */
  async syncDaemonSet(key: string): Promise<Plan | undefined> {
    const cached = this.inf.daemonSets.store.get(key);
    if (cached === undefined) {
      this.expectations.deleteExpectations(key);
      this.admission.forget(key);
      this.incremental?.forget(key);
      this.executor.forget(key);
      this.removalSince.delete(key);
      this.removalRecent.delete(key);
      this.metrics.forget(key);
      return undefined;
    }
    // Before either planning path: a DaemonSet the API server would refuse is refused here
    // (Event, Invalid condition, no pod or revision write); see admission.ts.
    const ds = this.admission.admit(key, cached) ?? (await this.admission.settle(key, cached));
    const satisfied = this.expectations.satisfiedExpectations(key);
    const now = this.opts.clock.now();
    // The snapshot is built only when the full reconcile runs: reading every node and pod is
    // what the incremental sync saves. (No named closures here: under tsx each costs a __name.)
    // The update policy is an input of both paths: the incremental one honours it or declines.
    // undefined: the policy the DaemonSet's rollout spec implies (engine/rolloutpolicy.ts).
    const policy = this.opts.updatePolicy?.(ds);
    const fast = this.planIncrementally(key, ds, now, satisfied, policy);
    let plan: Plan;
    if (typeof fast === 'string') {
      this.countPath(fast);
      plan = this.reconcileFull(key, ds, now, satisfied, policy);
    } else {
      plan = fast;
      this.countPath(undefined);
      if (this.verify) {
        syncPathCounts.verified++;
        const diff = comparePlans(plan, this.reconcileFull(key, ds, now, satisfied, policy));
        if (diff !== undefined) throw new SyncVerificationError(key, diff);
      }
    }
    this.opts.onPlan?.(key, plan);
    // The Prometheus gate: the state this plan carries and the query it wants (none: forgotten).
    const metric = plan.rollout?.steps?.metric;
    this.metrics.afterSync(key, { state: metric?.state, query: metric?.query });
    if (plan.removalSince !== undefined) {
      if (plan.removalSince.size === 0) this.removalSince.delete(key);
      else this.removalSince.set(key, plan.removalSince);
      if ((plan.removalRecent?.length ?? 0) === 0) this.removalRecent.delete(key);
      else this.removalRecent.set(key, plan.removalRecent!);
    } else if (rolloutSpecOf(ds).spec.removalBudget === undefined) {
      // A budget removed (or never set): nothing kept, so one set again later starts afresh.
      this.removalSince.delete(key);
      this.removalRecent.delete(key);
    }
    const r = await this.executor.execute({ key, ds, plan, expectationsSatisfied: satisfied });
    this.counters.creates += r.createCalls;
    this.counters.deletes += r.deleteCalls;
    if (r.statusWritten) this.counters.statusWrites++;
    // A status held back by the pacer is written by the sync at the end of its interval.
    if (r.statusDeferredMs !== undefined) this.queue.addAfter(key, r.statusDeferredMs);
    if (plan.requeueAfterMs !== null && plan.requeueAfterMs >= 0)
      this.queue.addAfter(key, plan.requeueAfterMs);
    const minReady = ds.spec?.minReadySeconds ?? 0;
    if (
      r.statusWritten &&
      minReady > 0 &&
      plan.status.numberReady !== (plan.status.numberAvailable ?? 0)
    ) {
      // §9.3: availability changes with time alone; come back when it may have.
      this.queue.addAfter(key, minReady * 1000);
    }
    if (r.error !== undefined) throw r.error;
    return plan;
  }

  /**
   * The incremental plan, or why not. An engine function that throws there (a spec the engine
   * cannot read, which admission normally refuses first) hands the sync to the full reconcile,
   * which reports it on the DaemonSet as it always has.
   */
  private planIncrementally(
    key: string,
    ds: DaemonSet,
    now: number,
    satisfied: boolean,
    policy: UpdatePolicy | undefined,
  ): Plan | DeclineReason {
    if (this.incremental === undefined) return 'disabled';
    try {
      return this.incremental.plan(
        key,
        ds,
        now,
        satisfied,
        () => this.reconcileFull(key, ds, now, satisfied, policy).nodes,
        policy,
        // The Prometheus gate's memory: the same the full reconcile reads (Snapshot.metric).
        { memory: this.metrics.memory(key) },
      );
    } catch (err) {
      this.incremental.forget(key);
      this.log.debug({ ds: key, err: String(err) }, 'incremental plan failed; full reconcile');
      return 'plannerError';
    }
  }

  /** Counts one sync's path: incremental (reason undefined) or full with its reason. */
  private countPath(reason: DeclineReason | undefined): void {
    if (reason === undefined) {
      this.paths.incremental++;
      syncPathCounts.incremental++;
    } else {
      this.paths.full[reason]++;
      syncPathCounts.full++;
      syncPathCounts.byReason[reason]++;
    }
    this.opts.onSyncPath?.(reason === undefined ? 'incremental' : 'full', reason ?? '');
  }

  /** reconcile() over a full snapshot; an engine rejection becomes an InvalidDaemonSetError. */
  private reconcileFull(
    key: string,
    ds: DaemonSet,
    now: number,
    satisfied: boolean,
    policy: UpdatePolicy | undefined,
  ): Plan {
    const snapshot: Snapshot = {
      ds,
      nodes: this.inf.nodes.store.list(),
      pods: this.claimablePods(ds),
      revisions: this.inf.revisions.store.byIndex(INDEX_NAMESPACE, ds.metadata?.namespace ?? ''),
      now,
      backoff: this.backoff.snapshot(),
      backoffConfig: this.backoff.config,
      removalSince: this.removalSince.get(key) ?? EMPTY_SINCE,
      removalRecent: this.removalRecent.get(key) ?? [],
      metric: this.metrics.memory(key),
    };
    try {
      return reconcile(snapshot, {
        mode: 'live',
        expectationsSatisfied: satisfied,
        ...(policy === undefined ? {} : { policy }),
      });
    } catch (err) {
      // The engine rejects what no retry can fix (a malformed spec that slipped past validation):
      // say so on the DaemonSet and wait for it to change, which enqueues it again.
      const message = err instanceof Error ? err.message : String(err);
      this.recorder.event(ds, 'Warning', 'FailedReconcile', `Cannot reconcile: ${message}`);
      throw new InvalidDaemonSetError(`reconcile ${key}: ${message}`, { cause: err });
    }
  }

  private async runWorker(id: number): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const started = this.opts.clock.now();
      let failure: Error | undefined;
      try {
        await this.syncDaemonSet(key);
        this.queue.forget(key);
      } catch (err) {
        failure = err instanceof Error ? err : new Error(String(err));
        this.counters.syncErrors++;
        // A verification failure is a bug in the incremental sync, not a condition to retry
        // through: hand it to the owner (the test harness fails the test that is waiting on
        // it), or else raise it outside the worker so that the process running it fails.
        if (err instanceof SyncVerificationError) {
          const report = this.opts.onVerificationFailure;
          if (report !== undefined) report(err);
          else
            queueMicrotask(() => {
              throw err;
            });
        }
        if (err instanceof InvalidDaemonSetError) {
          this.log.error(
            { ds: key, worker: id, err: String(err) },
            'sync failed; not retrying until the object changes',
          );
          this.queue.forget(key);
        } else {
          this.log.warn(
            { ds: key, worker: id, err: String(err), retries: this.queue.numRequeues(key) },
            'sync failed; requeued',
          );
          this.queue.addRateLimited(key);
        }
      } finally {
        this.syncCount++;
        this.opts.onSync?.(key, this.opts.clock.now() - started, failure);
        this.queue.done(key);
      }
      // A failed sync whose own write queued its key again would, on the memory cluster (calls
      // and watch events are microtasks), chain syncs without timers, I/O or signals ever
      // running; one turn of the event loop after each failure keeps the process responsive.
      if (failure !== undefined) await new Promise<void>((r) => setImmediate(r));
    }
  }

  /**
   * The pods a sync may claim: those this DaemonSet controls and the orphans of its namespace
   * (claimObjects ignores pods another controller owns), from indexes instead of a namespace scan.
   */
  private claimablePods(ds: DaemonSet): Pod[] {
    const store = this.inf.pods.store;
    const owned = store.byIndex(INDEX_CONTROLLER_UID, ds.metadata?.uid ?? '');
    const orphans = store.byIndex(INDEX_ORPHAN_NAMESPACE, ds.metadata?.namespace ?? '');
    return orphans.length === 0 ? owned : owned.concat(orphans);
  }

  private lookup(
    kind: 'Pod' | 'ControllerRevision',
    namespace: string,
    name: string,
  ): KubeObject | undefined {
    const key = namespace === '' ? name : `${namespace}/${name}`;
    return kind === 'Pod' ? this.inf.pods.store.get(key) : this.inf.revisions.store.get(key);
  }
}
