/**
 * The Prometheus gate inside a sync (docs/dev/issue-12-integration.md, "metric gate"): the query
 * itself runs outside the sync (controller/metricrunner.ts: a timer per DaemonSet, one query in
 * flight); its answer is handed to the next sync, which folds it here with metricgate.ts's
 * metricStep. This module is pure: the same kept state, memory and answer give the same result on
 * either planning path.
 *
 * - The kept state is the rollout record's `metric` (CRD status.rollout.metric, apps/v1 record key
 *   `metric`); the controller also remembers the state its last plan carried, because the write
 *   that stores it can reach the cache after the next answer does. The newer of the two (by the
 *   time of its last query) is the base, so an answer is never counted twice.
 * - An answer is folded once: only when it was asked after the base's last query.
 * - The query is wanted while the gate judges: the rollout is in progress, nothing has tripped,
 *   and, when it is due, at least one update-revision pod stands on an unimpaired node. {{nodes}}
 *   are those nodes. It is rendered only by a sync at or after its due time (the controller
 *   enqueues one then), so the syncs between two queries do not pay for {{nodes}}.
 * - Counts already at failureLimit while the gate judges mean a trip was cleared by the retry
 *   control: counting starts again (the time of the last query is kept).
 * - A trip becomes the rollout's failure (reason MetricFailed or MetricInconclusive, no node or
 *   pod: the metric is about the whole release) and pauses or aborts as metricStep says.
 */
import type { RolloutFailure } from '../../api/types.js';
import { formatTime } from '../../api/types.js';
import type { OnFailure } from './healthgates.js';
import {
  INITIAL_METRIC_STATE,
  metricStep,
  nextQueryAt,
  PROMETHEUS_GATE_DEFAULTS,
  renderQuery,
  type MetricGateState,
  type MetricOutcome,
  type PrometheusGateSpec,
  type QueryVars,
} from './metricgate.js';

/** One answer the controller received, not yet folded: when it was asked, and what it said. */
export interface MetricAnswer {
  readonly at: number;
  readonly outcome: MetricOutcome;
}

/** What the controller remembers for one DaemonSet's gate (memory only; see the header). */
export interface MetricMemory {
  /** The update revision (name) the memory is about; another revision's memory is ignored. */
  readonly revision: string;
  /** The state its last plan carried. */
  readonly state?: MetricGateState;
  /** The last answer, once received (folded by the first sync that sees it as new). */
  readonly answer?: MetricAnswer;
}

/** The query the controller should run next for this DaemonSet. */
export interface MetricQuery {
  /** The update revision it is for (the controller drops answers of another). */
  readonly revision: string;
  readonly address: string;
  /**
   * The query with its variables replaced; only when it is due (rendering {{nodes}} costs a pass
   * over the release set). Undefined: not due yet; the controller syncs the DaemonSet at dueAt.
   */
  readonly query?: string;
  /** When it is due, epoch ms (now or earlier: at once). */
  readonly dueAt: number;
  /** The request's deadline: below the interval, at most 10 s. */
  readonly timeoutMs: number;
}

/** The gate after a sync. */
export interface MetricFold {
  /** The state to keep (undefined: no Prometheus gate). */
  readonly state: MetricGateState | undefined;
  /** A trip, as the rollout's failure. */
  readonly failure: RolloutFailure | undefined;
  /** The trip aborts (onFailure Abort on MetricFailed). */
  readonly abort: boolean;
  /** The query wanted next (undefined: none; the controller stops asking). */
  readonly query: MetricQuery | undefined;
  /** An answer folded in this sync that said nothing (a Warning Event naming what is wrong). */
  readonly inconclusive: string | undefined;
}

/** What foldMetricGate reads. */
export interface MetricFoldInput {
  readonly spec: PrometheusGateSpec | undefined;
  /** The state in the rollout record (undefined: none yet, or a new rollout). */
  readonly stored: MetricGateState | undefined;
  readonly memory: MetricMemory | undefined;
  /** The update revision's name. */
  readonly revision: string;
  /**
   * The query's variables; `nodes`: the judged nodes (update pods on unimpaired nodes), or a
   * function giving them, called only when the query is due.
   */
  readonly vars: Omit<QueryVars, 'nodes'> & {
    readonly nodes: readonly string[] | (() => readonly string[]);
  };
  /** False once a gate tripped or the steps are complete: fold nothing, ask nothing. */
  readonly active: boolean;
  readonly onFailure: OnFailure;
  readonly now: number;
}

const MAX_TIMEOUT_MS = 10_000;

/** The request deadline for an interval: four fifths of it, at most 10 s, at least 200 ms. */
export function queryTimeoutMs(intervalSeconds: number): number {
  return Math.max(200, Math.min(MAX_TIMEOUT_MS, Math.floor(intervalSeconds * 800)));
}

const NO_GATE: MetricFold = Object.freeze({
  state: undefined,
  failure: undefined,
  abort: false,
  query: undefined,
  inconclusive: undefined,
});

/** The gate's state after this sync, its trip and the next query (this module's header). */
export function foldMetricGate(input: MetricFoldInput): MetricFold {
  const { spec, memory, revision, now } = input;
  if (spec === undefined) return NO_GATE;
  const mine = memory?.revision === revision ? memory : undefined;
  let state = input.stored ?? INITIAL_METRIC_STATE;
  if (mine?.state !== undefined && (mine.state.lastQueryAt ?? -1) > (state.lastQueryAt ?? -1))
    state = mine.state;
  if (!input.active) return { ...NO_GATE, state };
  // Active with counts at the limit: the trip they made was cleared by a retry; count afresh.
  const limit = Math.max(1, spec.failureLimit ?? PROMETHEUS_GATE_DEFAULTS.failureLimit);
  const pauses = (spec.onInconclusive ?? PROMETHEUS_GATE_DEFAULTS.onInconclusive) === 'Pause';
  if (state.consecutiveFailures >= limit || (pauses && state.consecutiveInconclusive >= limit))
    state = { ...state, consecutiveFailures: 0, consecutiveInconclusive: 0 };
  let failure: RolloutFailure | undefined;
  let abort = false;
  let inconclusive: string | undefined;
  const answer = mine?.answer;
  if (answer !== undefined && answer.at > (state.lastQueryAt ?? -Infinity)) {
    const step = metricStep(spec, state, answer.outcome, answer.at, input.onFailure);
    state = step.state;
    if (answer.outcome.kind === 'inconclusive') inconclusive = state.lastResult;
    if (step.trip !== undefined) {
      failure = {
        reason: step.trip.reason,
        message: `prometheus gate: ${step.trip.message}`,
        time: formatTime(now),
      };
      abort = step.trip.action === 'Abort';
    }
  }
  let query: MetricQuery | undefined;
  if (failure === undefined) {
    const interval = spec.intervalSeconds ?? PROMETHEUS_GATE_DEFAULTS.intervalSeconds;
    const due: MetricQuery = {
      revision,
      address: spec.address,
      dueAt: nextQueryAt(spec, state, now),
      timeoutMs: queryTimeoutMs(interval),
    };
    if (due.dueAt > now) query = due;
    else {
      const v = input.vars;
      const nodes = typeof v.nodes === 'function' ? v.nodes() : v.nodes;
      if (nodes.length > 0) query = { ...due, query: renderQuery(spec.query, { ...v, nodes }) };
    }
  }
  return { state, failure, abort, query, inconclusive };
}

/**
 * {{nodes}}: the candidates (the release set's nodes) that have an update-revision pod and are not
 * impaired, sorted and without repeats, so both planning paths render the same query.
 */
export function judgedNodes(
  candidates: Iterable<string>,
  impaired: ReadonlySet<string>,
  hasUpdatePod: (node: string) => boolean,
): string[] {
  const out = new Set<string>();
  for (const n of candidates) if (!impaired.has(n) && hasUpdatePod(n)) out.add(n);
  return [...out].sort();
}
