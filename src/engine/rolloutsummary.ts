/**
 * What a plan says about the rollout (Plan.rollout: plan, sim and logs show it), and the status
 * counters as the rollout status reads them; shared by both planning paths.
 */
import type { DaemonSetStatus } from '../api/types.js';
import type { RolloutDecision } from './rolloutpolicy.js';
import type { StatusCounters } from './status.js';
import type { RolloutSummary } from './types.js';

/** The seven counters of a computed status. */
export function countersOf(s: DaemonSetStatus): StatusCounters {
  return {
    desiredNumberScheduled: s.desiredNumberScheduled ?? 0,
    currentNumberScheduled: s.currentNumberScheduled ?? 0,
    numberMisscheduled: s.numberMisscheduled ?? 0,
    numberReady: s.numberReady ?? 0,
    numberAvailable: s.numberAvailable ?? 0,
    numberUnavailable: s.numberUnavailable ?? 0,
    updatedNumberScheduled: s.updatedNumberScheduled ?? 0,
  };
}

/** What a plan says about the rollout (plan, sim and logs show it); null without features. */
export function rolloutSummary(
  d: RolloutDecision,
  phase: RolloutSummary['phase'] | undefined,
): RolloutSummary | null {
  if (!d.features) return null;
  return {
    phase: phase ?? 'Rolling',
    updateRevision: d.update.name,
    stableRevision: d.stable?.ref.name,
    targetRevision: d.target.name,
    hold: d.hold,
    suspend: d.suspend,
    aborted: d.aborted,
    policy: d.policy.name,
    ...(d.steps === undefined
      ? {}
      : {
          steps: {
            canaryNodes: d.steps.canaryNodes,
            step: d.steps.step,
            count: d.steps.steps,
            kind: d.steps.kind,
            name: d.steps.name,
            state: d.steps.state,
            bakeUntil: d.steps.bakeUntil,
            gateFailure:
              d.steps.gateFailure === undefined
                ? undefined
                : d.steps.gateFailure.node === undefined
                  ? d.steps.gateFailure.reason
                  : `${d.steps.gateFailure.reason} on ${d.steps.gateFailure.node}`,
            ...(d.steps.metric === undefined && d.steps.metricQuery === undefined
              ? {}
              : { metric: { state: d.steps.metric, query: d.steps.metricQuery } }),
          },
        }),
  };
}
