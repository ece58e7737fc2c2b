/**
 * Prometheus metrics in controller-runtime's naming, on a private prom-client Registry:
 * reconcile totals, errors and durations; work-queue depth, adds, retries, latency; API
 * requests by verb and code; and everynode's own: syncs by planning path and decline reason.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { WorkQueueMetrics } from '../controller/workqueue.js';

const CONTROLLER = 'daemonset';

/** The registry and the instruments the controller feeds. */
export class ControllerMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly reconcileTime: Histogram<'controller'>;
  readonly queueDepth: Gauge<'name'>;
  readonly queueAdds: Counter<'name'>;
  readonly queueRetries: Counter<'name'>;
  readonly queueLatency: Histogram<'name'>;
  readonly queueWorkDuration: Histogram<'name'>;
  readonly apiRequests: Counter<'verb' | 'kind' | 'code'>;
  readonly leader: Gauge;
  /** Syncs by planning path, and for the full reconcile the reason the incremental one declined. */
  readonly syncPath: Counter<'path' | 'reason'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    this.reconcileTotal = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    });
    this.reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets,
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue',
      labelNames: ['name'],
      registers,
    });
    this.queueAdds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames: ['name'],
      registers,
    });
    this.queueRetries = new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames: ['name'],
      registers,
    });
    this.queueLatency = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: ['name'],
      buckets,
      registers,
    });
    this.queueWorkDuration = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes',
      labelNames: ['name'],
      buckets,
      registers,
    });
    this.apiRequests = new Counter({
      name: 'rest_client_requests_total',
      help: 'Number of HTTP requests to the API server, partitioned by verb, kind and status code',
      labelNames: ['verb', 'kind', 'code'],
      registers,
    });
    this.syncPath = new Counter({
      name: 'everynode_sync_path_total',
      help: 'Syncs planned incrementally or by the full reconcile; reason: why the incremental planner declined (controller/syncpath.ts)',
      labelNames: ['path', 'reason'],
      registers,
    });
    this.leader = new Gauge({
      name: 'leader_election_master_status',
      help: 'Whether this process is the leader (1) or not (0)',
      registers,
    });
  }

  /** Hooks for the work queue. */
  queueHooks(): WorkQueueMetrics {
    const name = CONTROLLER;
    return {
      depth: (n) => {
        this.queueDepth.set({ name }, n);
      },
      add: () => {
        this.queueAdds.inc({ name });
      },
      retry: () => {
        this.queueRetries.inc({ name });
      },
      latency: (ms) => {
        this.queueLatency.observe({ name }, ms / 1000);
      },
      workDuration: (ms) => {
        this.queueWorkDuration.observe({ name }, ms / 1000);
      },
    };
  }

  /** Records one planned sync's path (the controller's onSyncPath option); reason '' when incremental. */
  observeSyncPath(path: 'incremental' | 'full', reason: string): void {
    this.syncPath.inc({ path, reason });
  }

  /** Records one reconcile. */
  observeReconcile(ms: number, error: boolean): void {
    this.reconcileTotal.inc({ controller: CONTROLLER, result: error ? 'error' : 'success' });
    if (error) this.reconcileErrors.inc({ controller: CONTROLLER });
    this.reconcileTime.observe({ controller: CONTROLLER }, ms / 1000);
  }
}
