/**
 * The Prometheus health gate's judgement (shared/spec/rollout-features.md §2
 * `healthGates.prometheus`, §3.6); the query itself is I/O and lives in
 * src/controller/prometheus.ts, which returns a MetricOutcome this module judges.
 *
 * - The query is a template: {{namespace}}, {{name}} and {{revision}} become their values
 *   escaped for a PromQL "..." or '...' string (backslash as \\, quotes and control characters
 *   as \xHH, which both quote styles accept); {{nodes}} becomes an anchored-regex alternation of
 *   the node names (each regex-escaped, then string-escaped), for `node=~"{{nodes}}"`.
 * - A value passes when min <= value <= max (either bound may be absent).
 * - failureLimit consecutive failures trip the gate (reason MetricFailed, onFailure's action). A
 *   pass resets the count; an inconclusive answer leaves it as it is.
 * - Inconclusive answers (no data, several series, NaN, an error, no answer, ...): with
 *   onInconclusive Pause, failureLimit of them in a row trip the gate with reason
 *   MetricInconclusive, and the action is always Pause (nothing is known, so never an abort);
 *   with Ignore they are recorded and change nothing. Any conclusive answer resets that count.
 * - A query is due intervalSeconds after the last one.
 */
import type { PrometheusGateFields } from '../../api/rolloutsteps.js';
import type { OnFailure } from './healthgates.js';

/** The `healthGates.prometheus` block, as the rollout spec parses it. */
export type PrometheusGateSpec = PrometheusGateFields;

/** Defaults of the optional fields (the spec's example values). */
export const PROMETHEUS_GATE_DEFAULTS = Object.freeze({
  intervalSeconds: 60,
  failureLimit: 3,
  onInconclusive: 'Pause' as const,
});

/** Why an answer says nothing about the rollout; each has its own exact message. */
export type InconclusiveReason =
  | 'NoData'
  | 'SeveralSeries'
  | 'NaN'
  | 'UnsupportedResultType'
  | 'QueryError'
  | 'HTTPError'
  | 'BadResponse'
  | 'Unreachable'
  | 'Timeout'
  | 'BadAddress';

/** What one query gave: a number, or an inconclusive answer with its reason and message. */
export type MetricOutcome =
  | { readonly kind: 'value'; readonly value: number }
  | {
      readonly kind: 'inconclusive';
      readonly reason: InconclusiveReason;
      readonly message: string;
    };

/** What the gate keeps between queries (status.rollout.metric; see the ADR). */
export interface MetricGateState {
  readonly consecutiveFailures: number;
  readonly consecutiveInconclusive: number;
  /** Epoch ms of the last query. */
  readonly lastQueryAt?: number;
  /** The last answer, as shown in status and Events: "0.7" or "NoData: ...". */
  readonly lastResult?: string;
}

/** The state before the first query. */
export const INITIAL_METRIC_STATE: MetricGateState = Object.freeze({
  consecutiveFailures: 0,
  consecutiveInconclusive: 0,
});

/** The variables a query template may use. */
export interface QueryVars {
  readonly namespace: string;
  readonly name: string;
  readonly revision: string;
  readonly nodes: readonly string[];
}

/**
 * `text` escaped so that, inside a PromQL "..." or '...' string, it reads back as itself:
 * backslash doubled, quotes, backticks and control characters as \xHH.
 */
export function escapePromQLString(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"' || ch === "'" || ch === '`' || c < 0x20 || c === 0x7f)
      out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/** RE2 metacharacters, escaped so each name matches only itself. */
function escapeRegex(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** The query with its variables replaced (this module's header); unknown {{x}} stay as written. */
export function renderQuery(template: string, vars: QueryVars): string {
  const values: Record<string, string> = {
    namespace: escapePromQLString(vars.namespace),
    name: escapePromQLString(vars.name),
    revision: escapePromQLString(vars.revision),
    nodes: escapePromQLString(vars.nodes.map(escapeRegex).join('|')),
  };
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) => values[key] ?? whole);
}

/** True when the value is within [min, max] (an absent bound does not limit). */
export function metricPasses(
  spec: Pick<PrometheusGateSpec, 'min' | 'max'>,
  value: number,
): boolean {
  return (
    (spec.min === undefined || value >= spec.min) && (spec.max === undefined || value <= spec.max)
  );
}

/** When the next query is due (epoch ms): now for the first, else intervalSeconds after the last. */
export function nextQueryAt(spec: PrometheusGateSpec, state: MetricGateState, now: number): number {
  if (state.lastQueryAt === undefined) return now;
  const interval = spec.intervalSeconds ?? PROMETHEUS_GATE_DEFAULTS.intervalSeconds;
  return state.lastQueryAt + interval * 1000;
}

/** The gate after one answer: its new state, and a trip when one happened. */
export interface MetricStep {
  readonly state: MetricGateState;
  readonly verdict: 'pass' | 'fail' | 'inconclusive';
  readonly trip?: {
    readonly reason: 'MetricFailed' | 'MetricInconclusive';
    readonly message: string;
    readonly action: OnFailure;
  };
}

function bounds(spec: PrometheusGateSpec): string {
  if (spec.min !== undefined && spec.max !== undefined) return `[${spec.min}, ${spec.max}]`;
  if (spec.min !== undefined) return `>= ${spec.min}`;
  if (spec.max !== undefined) return `<= ${spec.max}`;
  return 'any value';
}

/**
 * Folds one answer into the gate's state (this module's header); `onFailure` is the gates'
 * action for MetricFailed. Pure: the same state and answer always give the same step.
 */
export function metricStep(
  spec: PrometheusGateSpec,
  state: MetricGateState,
  outcome: MetricOutcome,
  now: number,
  onFailure: OnFailure,
): MetricStep {
  const limit = Math.max(1, spec.failureLimit ?? PROMETHEUS_GATE_DEFAULTS.failureLimit);
  const mode = spec.onInconclusive ?? PROMETHEUS_GATE_DEFAULTS.onInconclusive;
  if (outcome.kind === 'inconclusive') {
    const lastResult = `${outcome.reason}: ${outcome.message}`;
    if (mode === 'Ignore') {
      return { state: { ...state, lastQueryAt: now, lastResult }, verdict: 'inconclusive' };
    }
    const n = state.consecutiveInconclusive + 1;
    const next = { ...state, consecutiveInconclusive: n, lastQueryAt: now, lastResult };
    if (n < limit) return { state: next, verdict: 'inconclusive' };
    const message = `${n} inconclusive answer${n === 1 ? '' : 's'} in a row (failureLimit ${limit}); last: ${lastResult}`;
    return {
      state: next,
      verdict: 'inconclusive',
      trip: { reason: 'MetricInconclusive', message, action: 'Pause' },
    };
  }
  const value = outcome.value;
  const lastResult = String(value);
  if (metricPasses(spec, value)) {
    return {
      state: { consecutiveFailures: 0, consecutiveInconclusive: 0, lastQueryAt: now, lastResult },
      verdict: 'pass',
    };
  }
  const n = state.consecutiveFailures + 1;
  const next = { consecutiveFailures: n, consecutiveInconclusive: 0, lastQueryAt: now, lastResult };
  if (n < limit) return { state: next, verdict: 'fail' };
  const message = `query returned ${value}, outside ${bounds(spec)}, ${n} time${n === 1 ? '' : 's'} in a row (failureLimit ${limit})`;
  return {
    state: next,
    verdict: 'fail',
    trip: { reason: 'MetricFailed', message, action: onFailure },
  };
}
