/**
 * Runs the Prometheus health gate's queries outside the syncs (docs/dev/issue-12-integration.md,
 * "metric gate"): a timer per DaemonSet, at most one query in flight per DaemonSet, a deadline on
 * each request (below the interval), and every request aborted on stop(). A sync's plan names the
 * query it wants next (engine/rollout/metricfold.ts); when the answer comes it is kept here and
 * the DaemonSet is enqueued, and the next sync folds it. A plan that wants no query (the rollout
 * completed, paused or tripped, the gate removed) and a DaemonSet that is gone forget everything.
 *
 * Time is the controller's clock: the wall clock in a cluster, the virtual clock under
 * `run --embedded` and `sim`, where the query function answers from the scenario.
 */
import type { Clock, TimerHandle } from '../clock/clock.js';
import type { MetricMemory, MetricQuery } from '../engine/rollout/metricfold.js';
import type { MetricGateState, MetricOutcome } from '../engine/rollout/metricgate.js';
import { nullLogger, type Logger } from './logger.js';
import { queryPrometheus } from './prometheus.js';

/** How a query is asked: controller/prometheus.ts's queryPrometheus, or a simulated server. */
export type MetricQueryFn = (
  address: string,
  query: string,
  opts: { readonly timeoutMs: number; readonly signal: AbortSignal; readonly time: number },
) => Promise<MetricOutcome>;

/** What the runner needs. */
export interface MetricRunnerOptions {
  readonly clock: Clock;
  /** Queues a DaemonSet key for a sync (an answer came). */
  readonly enqueue: (key: string) => void;
  /** The query function (default: a real Prometheus over HTTP). */
  readonly query?: MetricQueryFn;
  readonly logger?: Logger;
  /**
   * Called with each answer that comes back (not one aborted or dropped with its DaemonSet) and
   * how long it took on the controller's clock: the feed of everynode_rollout_gate_queries_total.
   */
  readonly onAnswer?: (outcome: MetricOutcome, ms: number) => void;
}

interface Entry {
  revision: string;
  want: MetricQuery | undefined;
  state: MetricGateState | undefined;
  answer: MetricMemory['answer'];
  timer: TimerHandle | undefined;
  timerAt: number | undefined;
  inFlight: AbortController | undefined;
}

/**
 * A real Prometheus, evaluated at its own now: the controller's clock may be virtual (run
 * --embedded), and a gate asks for the latest value anyway.
 */
export const realQuery: MetricQueryFn = (address, query, opts) =>
  queryPrometheus(address, query, { timeoutMs: opts.timeoutMs, signal: opts.signal });

/** The per-DaemonSet query timers and answers (this module's header). */
export class MetricGateRunner {
  private readonly entries = new Map<string, Entry>();
  private readonly query: MetricQueryFn;
  private readonly log: Logger;
  private stopped = false;
  /** Queries sent (for tests and stats). */
  queries = 0;

  constructor(private readonly opts: MetricRunnerOptions) {
    this.query = opts.query ?? realQuery;
    this.log = opts.logger ?? nullLogger;
  }

  /** The memory a sync of key reads (Snapshot.metric); undefined when nothing is kept. */
  memory(key: string): MetricMemory | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    return {
      revision: e.revision,
      ...(e.state !== undefined ? { state: e.state } : {}),
      ...(e.answer !== undefined ? { answer: e.answer } : {}),
    };
  }

  /**
   * After a sync of key: the state its plan carried and the query it wants next (undefined: none,
   * so everything about key is forgotten and an answer on its way is dropped).
   */
  afterSync(
    key: string,
    plan: { readonly state: MetricGateState | undefined; readonly query: MetricQuery | undefined },
  ): void {
    const want = plan.query;
    if (want === undefined || this.stopped) {
      this.forget(key);
      return;
    }
    let e = this.entries.get(key);
    if (e !== undefined && e.revision !== want.revision) {
      this.forget(key);
      e = undefined;
    }
    if (e === undefined) {
      e = {
        revision: want.revision,
        want,
        state: undefined,
        answer: undefined,
        timer: undefined,
        timerAt: undefined,
        inFlight: undefined,
      };
      this.entries.set(key, e);
    }
    e.want = want;
    if (plan.state !== undefined) e.state = plan.state;
    if (e.inFlight !== undefined) return; // one query in flight; its answer brings the next sync
    if (e.timer !== undefined && e.timerAt === want.dueAt) return;
    e.timer?.cancel();
    const delay = Math.max(0, want.dueAt - this.opts.clock.now());
    e.timerAt = want.dueAt;
    e.timer = this.opts.clock.setTimeout(() => {
      this.fire(key, e);
    }, delay);
  }

  /** Drops key's timer, its answer and memory, and aborts its query in flight. */
  forget(key: string): void {
    const e = this.entries.get(key);
    if (e === undefined) return;
    e.timer?.cancel();
    e.inFlight?.abort();
    this.entries.delete(key);
  }

  /** Stops every timer and aborts every query in flight; later plans start nothing. */
  stop(): void {
    this.stopped = true;
    for (const key of [...this.entries.keys()]) this.forget(key);
  }

  /** DaemonSets with a gate being asked (stats, tests). */
  size(): number {
    return this.entries.size;
  }

  /** True while a query is in flight (the controller is not idle: its answer will enqueue). */
  busy(): boolean {
    for (const e of this.entries.values()) if (e.inFlight !== undefined) return true;
    return false;
  }

  private fire(key: string, e: Entry): void {
    e.timer = undefined;
    e.timerAt = undefined;
    const want = e.want;
    if (this.stopped || this.entries.get(key) !== e || want === undefined) return;
    // Not rendered yet (the plan was made before it was due): a sync now renders it.
    const query = want.query;
    if (query === undefined) {
      this.opts.enqueue(key);
      return;
    }
    const abort = new AbortController();
    e.inFlight = abort;
    const at = this.opts.clock.now();
    this.queries++;
    const answered = (outcome: MetricOutcome): void => {
      if (e.inFlight === abort) e.inFlight = undefined;
      if (abort.signal.aborted || this.stopped || this.entries.get(key) !== e) return;
      e.answer = { at, outcome };
      this.opts.onAnswer?.(outcome, this.opts.clock.now() - at);
      this.log.debug(
        {
          ds: key,
          kind: outcome.kind,
          value: outcome.kind === 'value' ? outcome.value : undefined,
        },
        'prometheus gate answered',
      );
      this.opts.enqueue(key);
    };
    let pending: Promise<MetricOutcome>;
    try {
      pending = this.query(want.address, query, {
        timeoutMs: want.timeoutMs,
        signal: abort.signal,
        time: at,
      });
    } catch (err) {
      pending = Promise.resolve({
        kind: 'inconclusive',
        reason: 'Unreachable',
        message: `prometheus ${want.address}: ${String(err)}`,
      });
    }
    // queryPrometheus never rejects; a simulated or injected one might: an answer all the same.
    pending.then(answered, (err: unknown) => {
      answered({
        kind: 'inconclusive',
        reason: 'Unreachable',
        message: `prometheus ${want.address}: ${String(err)}`,
      });
    });
  }
}
