/**
 * What the steps stage (stage.ts) means for the rollout status (engine/rolloutprogress.ts): the
 * phase and Progressing condition of a canary or wave (Canary, CanaryBaking, WaveBaking,
 * AwaitingPromotion, HealthGateFailed, a blocking problem's reason), the clocks it stops, when
 * the rollout may complete, the values kept in the record and in the CRD's status.rollout
 * (canaryNodes, wave, promotedStep, bakeUntil), its events and when to look again.
 */
import { PHASE, REASON, type RolloutPhase } from '../../api/rolloutconditions.js';
import { PROMOTE_ANNOTATION } from '../../api/rolloutkeys.js';
import { formatTime, type DaemonSetStatus, type Mutable } from '../../api/types.js';
import type { RolloutDecision } from '../rolloutpolicy.js';
import { encodeBakeHeld, encodeMetric, type RolloutRecord } from '../rolloutrecord.js';
import type { PlanEvent } from '../types.js';

/** The Progressing condition and phase a step implies. */
export interface StepProgressing {
  readonly phase: RolloutPhase;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

/**
 * The phase and Progressing condition while a canary or wave holds or waits; undefined when the
 * ordinary rolling state says it (no steps, a wave updating, complete).
 */
export function stepsProgressing(d: RolloutDecision): StepProgressing | undefined {
  const s = d.steps;
  if (s === undefined) return undefined;
  const rev = d.update.name;
  if (s.gateFailure !== undefined)
    return {
      phase: PHASE.failed,
      status: 'False',
      reason: REASON.healthGateFailed,
      message: `the rollout of revision ${rev} is paused by a health gate: ${s.gateFailure.reason}${s.gateFailure.node !== undefined ? ` on node ${s.gateFailure.node}` : ''}: ${s.gateFailure.message} (retry with the rollout.everynode.dev/retry control)`,
    };
  if (s.problem !== undefined)
    return {
      phase: PHASE.paused,
      status: 'Unknown',
      reason: s.problem.reason,
      message: s.problem.message,
    };
  const what = s.kind === 'canary' ? 'the canary' : `wave ${s.name ?? ''}`;
  if (s.state === 'Baking')
    return {
      phase: PHASE.baking,
      status: 'True',
      reason: s.kind === 'canary' ? REASON.canaryBaking : REASON.waveBaking,
      message: `${what} (${s.size} node${s.size === 1 ? '' : 's'}) is updated and bakes until ${formatTime(s.bakeUntil ?? 0)}`,
    };
  if (s.state === 'AwaitingPromotion')
    return {
      phase: PHASE.awaitingPromotion,
      status: 'True',
      reason: REASON.awaitingPromotion,
      message: `${what} has baked; promote it with \`everynode rollout promote\` or the annotation ${PROMOTE_ANNOTATION}: "${d.update.hash}"`,
    };
  if (s.kind === 'canary' && s.state === 'Updating')
    return {
      phase: PHASE.canary,
      status: 'True',
      reason: REASON.canary,
      message: `revision ${rev} is rolling out to the canary: ${s.updated} of ${s.size} node${s.size === 1 ? '' : 's'} updated (${s.canaryNodes.join(', ')})`,
    };
  return undefined;
}

/** True while the steps hold the rollout still: the progress deadline's clock stops. */
export function stepsWaiting(d: RolloutDecision): boolean {
  const s = d.steps;
  return (
    s !== undefined &&
    (s.state === 'Baking' || s.state === 'AwaitingPromotion' || s.state === 'Held')
  );
}

/** False while the steps keep the rollout from completing (a bake, a gate, a problem). */
export function stepsComplete(d: RolloutDecision): boolean {
  const s = d.steps;
  return s === undefined || (s.state === 'Complete' && s.gateFailure === undefined);
}

/** The kept values for the record (the values a rollout starts with when no steps acted). */
export function stepsRecord(
  d: RolloutDecision,
): Pick<RolloutRecord, 'canaryNodes' | 'step' | 'promoted' | 'metric' | 'bakeHeld'> {
  const s = d.steps;
  return s === undefined
    ? { canaryNodes: [], step: 0, promoted: -1, metric: abortedMetric(d) }
    : {
        canaryNodes: s.canaryNodes,
        step: s.step,
        promoted: s.promoted,
        metric: s.metric,
        bakeHeld: s.bakeHeld,
      };
}

/** While aborted, the Prometheus gate's counters that tripped it stay shown (until a retry). */
function abortedMetric(d: RolloutDecision): RolloutRecord['metric'] {
  return d.aborted && !d.newRollout ? d.record.metric : undefined;
}

/** The CRD's status.rollout fields of the steps (§4). */
export function setStepsStatus(
  rollout: Mutable<NonNullable<DaemonSetStatus['rollout']>>,
  d: RolloutDecision,
): void {
  const s = d.steps;
  if (s === undefined) {
    const m = abortedMetric(d);
    if (m !== undefined) rollout.metric = encodeMetric(m);
    return;
  }
  if (s.canaryNodes.length > 0) rollout.canaryNodes = [...s.canaryNodes];
  if (s.steps > 0)
    rollout.wave = {
      index: s.step,
      ...(s.name !== undefined ? { name: s.name } : {}),
      nodes: s.size,
      updated: s.updated,
    };
  if (s.promoted >= 0) rollout.promotedStep = s.promoted;
  if (s.bakeUntil !== undefined) rollout.bakeUntil = formatTime(s.bakeUntil);
  if (s.metric !== undefined) rollout.metric = encodeMetric(s.metric);
  if (s.bakeHeld !== undefined) rollout.bakeHeld = encodeBakeHeld(s.bakeHeld);
}

/**
 * Events at a Progressing transition: HealthGateFailed and a blocking problem (Warning), the
 * non-blocking problems (Warning), a promote acted on (Normal).
 */
export function stepsEvents(
  d: RolloutDecision,
  p: StepProgressing,
  transition: boolean,
): PlanEvent[] {
  const s = d.steps;
  const out: PlanEvent[] = [];
  if (d.acted.promote !== undefined)
    out.push({
      type: 'Normal',
      reason: 'RolloutPromoted',
      message: `promote ${d.acted.promote}: ${s === undefined ? 'nothing awaits promotion' : `released through step ${s.promoted}`}`,
    });
  // Each answer that said nothing, once (the sync that folds it): what is wrong, naming the server.
  if (s?.metricInconclusive !== undefined)
    out.push({
      type: 'Warning',
      reason: 'MetricInconclusive',
      message: `prometheus gate: inconclusive answer: ${s.metricInconclusive}`,
    });
  if (s === undefined || !transition) return out;
  if (
    p.reason === REASON.healthGateFailed ||
    (s.problem !== undefined && p.reason === s.problem.reason)
  )
    out.push({ type: 'Warning', reason: p.reason, message: p.message });
  for (const w of s.warnings) out.push({ type: 'Warning', reason: w.reason, message: w.message });
  return out;
}
