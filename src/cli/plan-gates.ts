/**
 * The `Gates` line of `plan` and `plan --rollout` (issue 12): the health gates in force for a
 * DaemonSet (the pod gates with their defaults when canary or waves are set, and the Prometheus
 * gate), and the Prometheus gate's last answer when the plan carries one.
 */
import type { StepFields } from '../api/rolloutsteps.js';
import { resolveHealthGates } from '../engine/rollout/healthgates.js';
import { PROMETHEUS_GATE_DEFAULTS, type MetricGateState } from '../engine/rollout/metricgate.js';
import { formatTime } from '../api/types.js';

/** The Prometheus gate's last answer, e.g. `last answer 0.9 at 2026-12-08T01:12:00Z (1 failing in a row)`. */
export function metricLastText(m: {
  readonly lastResult?: string | undefined;
  readonly lastTime?: string | undefined;
  readonly failures?: number | undefined;
  readonly inconclusive?: number | undefined;
}): string | undefined {
  if (m.lastResult === undefined) return undefined;
  const counts = [
    (m.failures ?? 0) > 0 ? `${m.failures} failing` : undefined,
    (m.inconclusive ?? 0) > 0 ? `${m.inconclusive} inconclusive` : undefined,
  ].filter((x) => x !== undefined);
  return `last answer ${m.lastResult}${m.lastTime !== undefined ? ` at ${m.lastTime}` : ''}${counts.length > 0 ? ` (${counts.join(', ')} in a row)` : ''}`;
}

/** The line, or undefined when no gate is in force. */
export function gatesText(
  steps: StepFields,
  metric: MetricGateState | undefined,
): string | undefined {
  const gates = resolveHealthGates(
    steps.healthGates,
    steps.canary !== undefined || steps.waves !== undefined,
  );
  if (gates === undefined) return undefined;
  const parts = [
    `pods fail on ${gates.failOnReasons.join('/')}, > ${gates.maxRestarts} restarts or ${gates.maxNotReadySeconds}s not ready; trip at ${String(gates.maxFailedNodes)} failed node${gates.maxFailedNodes === 1 ? '' : 's'}`,
  ];
  const p = steps.healthGates?.prometheus;
  if (p !== undefined) {
    const bounds =
      p.min !== undefined && p.max !== undefined
        ? `${p.min} <= value <= ${p.max}`
        : p.min !== undefined
          ? `value >= ${p.min}`
          : `value <= ${String(p.max)}`;
    const limit = p.failureLimit ?? PROMETHEUS_GATE_DEFAULTS.failureLimit;
    const every = p.intervalSeconds ?? PROMETHEUS_GATE_DEFAULTS.intervalSeconds;
    const inconclusive = p.onInconclusive ?? PROMETHEUS_GATE_DEFAULTS.onInconclusive;
    let text = `prometheus ${p.address}: ${bounds}, every ${every}s, ${limit} failing in a row trip, inconclusive: ${inconclusive}`;
    const last =
      metric === undefined
        ? undefined
        : metricLastText({
            lastResult: metric.lastResult,
            lastTime: metric.lastQueryAt === undefined ? undefined : formatTime(metric.lastQueryAt),
            failures: metric.consecutiveFailures,
            inconclusive: metric.consecutiveInconclusive,
          });
    if (last !== undefined) text += `; ${last}`;
    parts.push(text);
  }
  return `${parts.join(' · ')} · on failure ${gates.onFailure}`;
}
