/**
 * The running controller process behind `everynode run`, independent of where its Cluster and
 * Clock come from (kube-apiserver or the embedded cluster, the wall clock or a test's manual
 * clock): the DaemonSetController, optional leader election on a Lease, metrics on every API
 * call, the health probes, and an orderly shutdown. Tests drive it directly.
 */
import type { MetricQueryFn } from '../controller/metricrunner.js';
import type { MetricOutcome } from '../engine/rollout/metricgate.js';
import {
  ClusterError,
  UnavailableError,
  type Cluster,
  type ResourceKind,
} from '../cluster/port.js';
import type { Clock } from '../clock/clock.js';
import { DaemonSetController } from '../controller/controller.js';
import { LeaderElector } from '../controller/leaderelection.js';
import type { Logger } from '../controller/logger.js';
import type { ControllerMetrics } from '../server/metrics.js';
import type { HealthSource } from '../server/http.js';

/** Why a fenced write is refused. */
export const FENCED =
  'not writing: the leader Lease was not renewed within the renew deadline (another replica may lead now)';

/** The Lease the replicas of one deployment compete for. */
export const LEASE_NAME = 'everynode-controller';

/** Leader-election settings (client-go's defaults: 15 s lease, 10 s renew deadline, 2 s retry). */
export interface LeaderElectionSettings {
  readonly namespace: string;
  readonly identity: string;
  readonly name?: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
}

/** What a controller process is built from. */
export interface ControllerProcessOptions {
  readonly cluster: Cluster;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly dsKind: ResourceKind;
  /** Watch one namespace only; undefined or '' watches all. */
  readonly namespace?: string | undefined;
  readonly workers: number;
  /** The controller's nodeEventDelayMs (coalesced node-driven syncs); default 0. */
  readonly nodeEventDelayMs?: number | undefined;
  /** The controller's statusIntervalMs (status-write pacing); default the library's (0). */
  readonly statusIntervalMs?: number | undefined;
  /** Campaign for the Lease first and run the controller only while leading. */
  readonly leaderElection?: LeaderElectionSettings | undefined;
  /**
   * The client leader election uses (default: `cluster`). A separate one keeps the Lease's
   * requests out of the controller's rate limit and out of its write fence.
   */
  readonly leaseCluster?: Cluster | undefined;
  readonly metrics?: ControllerMetrics | undefined;
  /**
   * Count API requests at the Cluster port (rest_client_requests_total). Default true; false when
   * the kube transport counts each HTTP request itself (its onResult hook), so nothing is counted
   * twice.
   */
  readonly countRequestsAtPort?: boolean | undefined;
  /** How the Prometheus gate asks (run --embedded with a scenario's prometheus block); default real. */
  readonly metricQuery?: MetricQueryFn | undefined;
}

/** How a controller process ended: 0 after a requested shutdown, 1 after losing the Lease. */
export type ExitCode = 0 | 1;

type Verb = 'list' | 'watch' | 'get' | 'create' | 'update' | 'updateStatus' | 'patch' | 'delete';

/**
 * The Cluster with every call counted in rest_client_requests_total by verb, kind and code
 * (the HTTP status, or the error's code; 200 for success).
 */
export function instrumentCluster(cluster: Cluster, metrics: ControllerMetrics): Cluster {
  const count = async <R>(verb: Verb, kind: ResourceKind, call: () => Promise<R>): Promise<R> => {
    try {
      const r = await call();
      metrics.apiRequests.inc({ verb, kind, code: verb === 'create' ? '201' : '200' });
      return r;
    } catch (err) {
      const code = err instanceof ClusterError ? String(err.code) : '<error>';
      metrics.apiRequests.inc({ verb, kind, code });
      throw err;
    }
  };
  return {
    list: (kind, opts) => count('list', kind, () => cluster.list(kind, opts)),
    watch: (kind, opts, onEvent) => count('watch', kind, () => cluster.watch(kind, opts, onEvent)),
    get: (kind, ns, name) => count('get', kind, () => cluster.get(kind, ns, name)),
    create: (kind, obj) => count('create', kind, () => cluster.create(kind, obj)),
    update: (kind, obj) => count('update', kind, () => cluster.update(kind, obj)),
    updateStatus: (kind, obj) => count('updateStatus', kind, () => cluster.updateStatus(kind, obj)),
    patch: (kind, ns, name, p) => count('patch', kind, () => cluster.patch(kind, ns, name, p)),
    delete: (kind, ns, name, opts) =>
      count('delete', kind, () => cluster.delete(kind, ns, name, opts)),
  };
}

/**
 * One controller process. start() begins (campaigning first with leader election); `exited`
 * resolves with 1 when the Lease is lost (the controller has been stopped; the caller exits so
 * Kubernetes restarts the pod, as controller-runtime does), or with 0 after shutdown().
 */
export class ControllerProcess implements HealthSource {
  /** The controller while one runs (leading, or always without leader election). */
  controller: DaemonSetController | undefined;
  readonly exited: Promise<ExitCode>;
  private resolveExit!: (code: ExitCode) => void;
  private readonly cluster: Cluster;
  private readonly leaseCluster: Cluster;
  private readonly log: Logger;
  private elector: LeaderElector | undefined;
  private stopping = false;
  private finished = false;
  private fatal = false;

  constructor(private readonly opts: ControllerProcessOptions) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    this.cluster =
      opts.metrics && opts.countRequestsAtPort !== false
        ? instrumentCluster(opts.cluster, opts.metrics)
        : opts.cluster;
    this.leaseCluster =
      opts.leaseCluster === undefined
        ? this.cluster
        : opts.metrics && opts.countRequestsAtPort !== false
          ? instrumentCluster(opts.leaseCluster, opts.metrics)
          : opts.leaseCluster;
    this.log = opts.logger;
    // Scrape-time gauges read the controller while one runs (a standby has none).
    opts.metrics?.attach(() => this.controller, opts.workers);
  }

  /**
   * False while leader election is on and the Lease was not renewed within the renew deadline:
   * the controller must not write then (see fenced()). A transport can check it as each request
   * leaves (run-target.ts's beforeSend), after any wait in between.
   */
  mayWrite(): boolean {
    return this.elector === undefined || this.elector.holdsLease();
  }

  /** True while this process holds the Lease (always true without leader election once started). */
  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : this.controller !== undefined;
  }

  /**
   * Starts the controller (without leader election: resolves once its caches have synced, or
   * at once when shutdown() is called meanwhile), or the campaign for the Lease (resolves at
   * once).
   */
  async start(): Promise<void> {
    const le = this.opts.leaderElection;
    if (le === undefined) {
      this.opts.metrics?.leader.set(1);
      await Promise.race([this.startController(), this.exited]);
      return;
    }
    const name = le.name ?? LEASE_NAME;
    if (this.opts.metrics) this.opts.metrics.leaseName = name;
    this.log.info(
      { lease: `${le.namespace}/${name}`, identity: le.identity },
      'attempting to acquire the leader lease',
    );
    this.elector = new LeaderElector({
      cluster: this.leaseCluster,
      clock: this.opts.clock,
      namespace: le.namespace,
      name,
      identity: le.identity,
      logger: this.log,
      ...(le.leaseDurationMs === undefined ? {} : { leaseDurationMs: le.leaseDurationMs }),
      ...(le.renewDeadlineMs === undefined ? {} : { renewDeadlineMs: le.renewDeadlineMs }),
      ...(le.retryPeriodMs === undefined ? {} : { retryPeriodMs: le.retryPeriodMs }),
      onStartedLeading: () => {
        // Shutting down: the elector releases what it has just won; nothing starts.
        if (this.stopping) return;
        this.opts.metrics?.leader.set(1);
        void this.startController();
      },
      onStoppedLeading: () => {
        this.opts.metrics?.leader.set(0);
        if (!this.stopping) void this.stopAfterLoss();
      },
    });
    this.elector.start();
  }

  /**
   * Builds and starts the controller; resolves once it has started, or was stopped before its
   * caches synced. A failure to start is fatal: the process exits 1.
   */
  /**
   * The cluster as the controller sees it: with leader election, every write is refused unless
   * the Lease was renewed within the renew deadline. A leader frozen past its Lease (SIGSTOP) and
   * then resumed may run a sync before its elector notices it lost the Lease; this fence keeps
   * that sync from writing beside the replica that took over. Reads are not fenced.
   */
  private fenced(): Cluster {
    const c = this.cluster;
    const check = (): void => {
      if (!this.mayWrite()) throw new UnavailableError(FENCED, 503);
    };
    const guard =
      <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
      async (...a: A): Promise<R> => {
        check();
        return fn(...a);
      };
    return {
      list: (k, o) => c.list(k, o),
      watch: (k, o, h) => c.watch(k, o, h),
      get: (k, ns, n) => c.get(k, ns, n),
      create: guard((k, o) => c.create(k, o)),
      update: guard((k, o) => c.update(k, o)),
      updateStatus: guard((k, o) => c.updateStatus(k, o)),
      patch: guard((k, ns, n, p) => c.patch(k, ns, n, p)),
      delete: guard((k, ns, n, o) => c.delete(k, ns, n, o)),
    };
  }

  private async startController(): Promise<void> {
    const m = this.opts.metrics;
    const c = new DaemonSetController({
      cluster: this.fenced(),
      clock: this.opts.clock,
      logger: this.log,
      workers: this.opts.workers,
      dsKind: this.opts.dsKind,
      ...(this.opts.nodeEventDelayMs !== undefined && {
        nodeEventDelayMs: this.opts.nodeEventDelayMs,
      }),
      ...(this.opts.statusIntervalMs !== undefined && {
        statusIntervalMs: this.opts.statusIntervalMs,
      }),
      ...(this.opts.namespace ? { namespace: this.opts.namespace } : {}),
      ...(this.opts.metricQuery !== undefined && { metricQuery: this.opts.metricQuery }),
      ...(m
        ? {
            queueMetrics: m.queueHooks(),
            onSync: (_key: string, ms: number, err: Error | undefined) => {
              m.observeReconcile(ms, err !== undefined);
            },
            onSyncPath: (path: 'incremental' | 'full', reason: string) => {
              m.observeSyncPath(path, reason);
            },
            onGateAnswer: (outcome: MetricOutcome, ms: number) => {
              m.observeGateAnswer(outcome, ms);
            },
          }
        : {}),
    });
    this.controller = c;
    try {
      // Resolves early, starting nothing, when shutdown() stops the controller meanwhile.
      await c.start();
    } catch (err) {
      this.log.error({ err: String(err) }, 'the controller failed to start');
      this.fatal = true;
      void this.stopAfterLoss();
    }
  }

  /** Leadership is gone (or the controller could not start): stop at once and exit 1. */
  private async stopAfterLoss(): Promise<void> {
    if (this.finished || this.stopping) return;
    this.stopping = true;
    if (!this.fatal)
      this.log.error({}, 'leader election lost; stopping the controller and exiting');
    await this.stopController();
    await this.elector?.stop();
    this.finish(1);
  }

  private async stopController(): Promise<void> {
    const c = this.controller;
    this.controller = undefined;
    if (c !== undefined) await c.stop();
  }

  /**
   * Orderly shutdown (SIGTERM), from any state: the controller stops taking keys and finishes
   * its in-flight syncs (while still starting, its caches simply stop syncing), then the Lease is
   * released so a standby takes over at once. Resolves `exited` with 0.
   */
  async shutdown(): Promise<void> {
    if (this.stopping) {
      await this.exited;
      return;
    }
    this.stopping = true;
    this.log.info({}, 'shutting down: finishing in-flight syncs');
    await this.stopController();
    if (this.elector !== undefined) {
      const wasLeader = this.elector.isLeader();
      await this.elector.stop();
      this.opts.metrics?.leader.set(0);
      if (wasLeader)
        this.log.info(
          { identity: this.opts.leaderElection?.identity },
          'released the leader lease',
        );
    }
    this.finish(0);
  }

  private finish(code: ExitCode): void {
    if (this.finished) return;
    this.finished = true;
    this.resolveExit(code);
  }

  healthy(): boolean {
    return !this.fatal && !this.finished;
  }

  ready(): boolean {
    if (this.finished || this.fatal) return false;
    if (this.controller !== undefined) return this.controller.hasSynced();
    // A standby waiting for the Lease is ready: it serves its probes and stands by.
    return this.elector !== undefined;
  }
}
