/**
 * Prometheus metrics on a private prom-client Registry, under the names, types, labels and
 * buckets of the Go controllers' libraries, so dashboards and alerts written for a
 * controller-runtime controller work unchanged:
 * - controller-runtime: controller_runtime_reconcile_{total,errors_total,time_seconds},
 *   controller_runtime_{active_workers,max_concurrent_reconciles} by `controller`;
 * - client-go's work queue (as controller-runtime registers it): workqueue_* by `name` and
 *   `controller` (depth also by `priority`, empty here), including the unfinished-work and
 *   longest-running-processor gauges;
 * - client-go's REST client: rest_client_requests_total by `code`, `method`, `host`;
 * - client-go's leader election: leader_election_master_status by `name` (the Lease);
 * and everynode's own: syncs by planning path, and the DaemonSet gauges (dsmetrics.ts).
 * Gauges that describe the running controller are computed when scraped, from attach()'s source.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Caches } from '../controller/caches.js';
import type { WorkQueueMetrics } from '../controller/workqueue.js';
import type { MetricOutcome } from '../engine/rollout/metricgate.js';
import { DaemonSetMetrics } from './dsmetrics.js';

/** The controller name in every controller-runtime and workqueue series. */
export const CONTROLLER = 'daemonset';

/** The Lease name leader_election_master_status reports when none is given. */
const DEFAULT_LEASE = 'everynode-controller';

/** controller-runtime's buckets for reconcile time (5 ms to 60 s). */
export const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9,
  1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

/** client-go's work-queue buckets: ExponentialBuckets(10e-9, 10, 12), 10 ns to 1000 s. */
export const WORKQUEUE_BUCKETS = Array.from({ length: 12 }, (_, i) => Number(`1e${i - 8}`));

/** What the scrape-time gauges read from the running controller. */
export interface ControllerSource {
  readonly caches: Caches;
  readonly queue: {
    inFlight(): number;
    processingAges(): number[];
  };
}

/** HTTP method of each Cluster port verb (for counting at the port until the transport does). */
const METHOD_OF: Readonly<Record<string, string>> = {
  list: 'GET',
  watch: 'GET',
  get: 'GET',
  create: 'POST',
  update: 'PUT',
  updateStatus: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
};

/** The registry and the instruments the controller feeds. */
export class ControllerMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly reconcileTime: Histogram<'controller'>;
  readonly activeWorkers: Gauge<'controller'>;
  readonly maxConcurrentReconciles: Gauge<'controller'>;
  readonly queueDepth: Gauge<'name' | 'controller' | 'priority'>;
  readonly queueAdds: Counter<'name' | 'controller'>;
  readonly queueRetries: Counter<'name' | 'controller'>;
  readonly queueLatency: Histogram<'name' | 'controller'>;
  readonly queueWorkDuration: Histogram<'name' | 'controller'>;
  readonly queueUnfinished: Gauge<'name' | 'controller'>;
  readonly queueLongest: Gauge<'name' | 'controller'>;
  readonly requests: Counter<'code' | 'method' | 'host'>;
  readonly leaderStatus: Gauge<'name'>;
  /** Syncs by planning path, and for the full reconcile the reason the incremental one declined. */
  readonly syncPath: Counter<'path' | 'reason'>;
  /** Prometheus health gate answers: a value, or inconclusive with its reason. */
  readonly gateQueries: Counter<'result' | 'reason'>;
  readonly gateQueryTime: Histogram;
  readonly daemonSets: DaemonSetMetrics;
  /** The API server's host:port, for requests counted at the Cluster port (apiRequests). */
  apiHost = '';
  private lease = DEFAULT_LEASE;
  private leaderReported = false;
  private source: () => ControllerSource | undefined = () => undefined;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const controller = ['controller'] as const;
    const queue = ['name', 'controller'] as const;
    this.reconcileTotal = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: controller,
      registers,
    });
    this.reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: controller,
      buckets: RECONCILE_BUCKETS,
      registers,
    });
    this.maxConcurrentReconciles = new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller',
      labelNames: controller,
      registers,
    });
    this.activeWorkers = new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: controller,
      registers,
      collect: () => {
        const src = this.source();
        if (src !== undefined)
          this.activeWorkers.set({ controller: CONTROLLER }, src.queue.inFlight());
      },
    });
    this.queueDepth = new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue by workqueue and priority',
      labelNames: ['name', 'controller', 'priority'],
      registers,
    });
    this.queueAdds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames: queue,
      registers,
    });
    this.queueLatency = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: queue,
      buckets: WORKQUEUE_BUCKETS,
      registers,
    });
    this.queueWorkDuration = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes.',
      labelNames: queue,
      buckets: WORKQUEUE_BUCKETS,
      registers,
    });
    this.queueUnfinished = new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help:
        "How many seconds of work has been done that is in progress and hasn't been observed by " +
        'work_duration. Large values indicate stuck threads. One can deduce the number of stuck ' +
        'threads by observing the rate at which this increases.',
      labelNames: queue,
      registers,
      collect: () => {
        this.collectProcessing();
      },
    });
    this.queueLongest = new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running.',
      labelNames: queue,
      registers,
    });
    this.queueRetries = new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames: queue,
      registers,
    });
    this.requests = new Counter({
      name: 'rest_client_requests_total',
      help: 'Number of HTTP requests, partitioned by status code, method, and host.',
      labelNames: ['code', 'method', 'host'],
      registers,
    });
    this.leaderStatus = new Gauge({
      name: 'leader_election_master_status',
      help:
        'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, ' +
        "1 indicates master. 'name' is the string used to identify the lease. Please make sure " +
        'to group by name.',
      labelNames: ['name'],
      registers,
    });
    this.syncPath = new Counter({
      name: 'everynode_sync_path_total',
      help: 'Syncs planned incrementally or by the full reconcile; reason: why the incremental planner declined (controller/syncpath.ts)',
      labelNames: ['path', 'reason'],
      registers,
    });
    this.gateQueries = new Counter({
      name: 'everynode_rollout_gate_queries_total',
      help: 'Answers of Prometheus health gate queries; result: value or inconclusive, reason: why inconclusive (NoData, MultipleSeries, Unreachable, ...)',
      labelNames: ['result', 'reason'],
      registers,
    });
    this.gateQueryTime = new Histogram({
      name: 'everynode_rollout_gate_query_duration_seconds',
      help: 'How long a Prometheus health gate query took to answer, inconclusive answers included',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.daemonSets = new DaemonSetMetrics(this.registry, () => this.source()?.caches);
  }

  /**
   * Where the scrape-time gauges read from: the controller while one runs (a getter, since a
   * replica that gains the Lease starts one and one that loses it stops it), and its worker
   * count for controller_runtime_max_concurrent_reconciles.
   */
  attach(source: () => ControllerSource | undefined, workers?: number): void {
    this.source = source;
    if (workers !== undefined)
      this.maxConcurrentReconciles.set({ controller: CONTROLLER }, workers);
  }

  /** One HTTP request's result, as client-go counts it: status code (or "<error>"), method, host. */
  requestResult(code: string, method: string, host: string): void {
    this.requests.inc({ code, method, host });
  }

  /** Leader-election state of the Lease `name` (client-go's On/Off). */
  setLeader(name: string, leading: boolean): void {
    this.leaderReported = true;
    this.leaderStatus.set({ name }, leading ? 1 : 0);
  }

  /** The Lease name for `leader.set`. */
  get leaseName(): string {
    return this.lease;
  }

  /**
   * Set by the process when it starts campaigning for the Lease. A replica standing by reports
   * 0 from then on (client-go reports nothing until a replica first leads), so "replicas up, none
   * leading" is a series an alert can see.
   */
  set leaseName(name: string) {
    this.lease = name;
    if (!this.leaderReported) this.setLeader(name, false);
  }

  /**
   * Requests counted at the Cluster port by verb (run-process.ts's instrumentCluster): mapped to
   * the HTTP method with host apiHost. The kind label of earlier versions is gone, as client-go
   * has none.
   */
  readonly apiRequests = {
    inc: (l: { verb: string; kind?: string; code: string }): void => {
      this.requestResult(l.code, METHOD_OF[l.verb] ?? l.verb.toUpperCase(), this.apiHost);
    },
  };

  /** leader_election_master_status for leaseName (1 leading, 0 standing by). */
  readonly leader = {
    set: (v: number): void => {
      this.setLeader(this.leaseName, v === 1);
    },
  };

  /** Hooks for the work queue. */
  queueHooks(): WorkQueueMetrics {
    const l = { name: CONTROLLER, controller: CONTROLLER };
    const depth = { ...l, priority: '' };
    return {
      depth: (n) => {
        this.queueDepth.set(depth, n);
      },
      add: () => {
        this.queueAdds.inc(l);
      },
      retry: () => {
        this.queueRetries.inc(l);
      },
      latency: (ms) => {
        this.queueLatency.observe(l, ms / 1000);
      },
      workDuration: (ms) => {
        this.queueWorkDuration.observe(l, ms / 1000);
      },
    };
  }

  /** Records one reconcile. */
  observeReconcile(ms: number, error: boolean): void {
    this.reconcileTotal.inc({ controller: CONTROLLER, result: error ? 'error' : 'success' });
    if (error) this.reconcileErrors.inc({ controller: CONTROLLER });
    this.reconcileTime.observe({ controller: CONTROLLER }, ms / 1000);
  }

  /** Records one planned sync's path (the controller's onSyncPath option); reason '' when incremental. */
  observeSyncPath(path: 'incremental' | 'full', reason: string): void {
    this.syncPath.inc({ path, reason });
  }

  /** Records one answer of a Prometheus health gate query (the controller's onGateAnswer option). */
  observeGateAnswer(outcome: MetricOutcome, ms: number): void {
    this.gateQueries.inc({
      result: outcome.kind,
      reason: outcome.kind === 'inconclusive' ? outcome.reason : '',
    });
    this.gateQueryTime.observe(ms / 1000);
  }

  /** Both work-in-progress gauges from one read of the queue (client-go's updateUnfinishedWork). */
  private collectProcessing(): void {
    const src = this.source();
    if (src === undefined) return;
    const l = { name: CONTROLLER, controller: CONTROLLER };
    let total = 0;
    let longest = 0;
    for (const ms of src.queue.processingAges()) {
      total += ms;
      longest = Math.max(longest, ms);
    }
    this.queueUnfinished.set(l, total / 1000);
    this.queueLongest.set(l, longest / 1000);
  }
}
