/**
 * How `everynode rollout status` reads everynode's rollout controls (design sections 3-5) from a
 * DaemonSet: the Progressing and Suspended conditions, status.rollout, pause from the spec or
 * the annotation. On top of kubectl's DaemonSet status (engine/rolloutstatus.ts) it fails the
 * way kubectl fails a Deployment past its deadline, and ends at a partition.
 */
import {
  ABORT_ANNOTATION,
  PAUSED_ANNOTATION,
  RETRY_ANNOTATION,
  STRATEGY_ANNOTATION,
  SUSPEND_ANNOTATION,
  rolloutSpecOf,
} from '../api/rolloutspec.js';
import { PROGRESSING_CONDITION, REASON, SUSPENDED_CONDITION } from '../api/rolloutconditions.js';
import type { DaemonSet, DaemonSetCondition } from '../api/types.js';
import { rolloutStatus, stepDetail, type RolloutStatus } from '../engine/rolloutstatus.js';
import { RolloutError } from './rollout-target.js';

export {
  ABORT_ANNOTATION,
  PAUSED_ANNOTATION,
  RETRY_ANNOTATION,
  STRATEGY_ANNOTATION,
  SUSPEND_ANNOTATION,
};

/** The part of everynode's status the CLI reads (design section 4); absent on plain apps/v1. */
export interface RolloutStatusFields {
  readonly updateRevision?: string;
  readonly stableRevision?: string;
  readonly rollout?: {
    readonly phase?: string;
    readonly partitioned?: number;
    readonly failure?: {
      readonly reason?: string;
      readonly message?: string;
      readonly node?: string;
    };
  };
}

/** status.updateRevision, stableRevision and status.rollout, when the controller wrote them. */
export function rolloutFields(ds: DaemonSet): RolloutStatusFields {
  const status: RolloutStatusFields = ds.status ?? {};
  return status;
}

/** The condition of this type, if the status has one. */
export function conditionOf(ds: DaemonSet, type: string): DaemonSetCondition | undefined {
  return ds.status?.conditions?.find((c) => c.type === type);
}

/** The Progressing condition, if the status has one. */
export function progressingCondition(ds: DaemonSet): DaemonSetCondition | undefined {
  return conditionOf(ds, PROGRESSING_CONDITION);
}

const PAUSED_BY: Readonly<Record<string, string>> = {
  'spec.paused': 'spec.paused',
  'rollingUpdate.paused': 'spec.updateStrategy.rollingUpdate.paused',
};

/**
 * Which spec field pauses the rollout (spec.paused, OpenKruise's rollingUpdate.paused, or the
 * native strategy annotation's), undefined when none does. The paused annotation, the control
 * `rollout pause` sets, is not a spec field and is not named here.
 */
export function specPaused(ds: DaemonSet): string | undefined {
  // rolloutSpecOf names the spec's field when both it and the annotation pause.
  return describePausedBy(rolloutSpecOf(ds).spec);
}

function describePausedBy(spec: ReturnType<typeof rolloutSpecOf>['spec']): string | undefined {
  const by = spec.pausedBy;
  if (by === undefined || by === 'annotation') return undefined;
  return spec.source === 'annotation'
    ? `the ${STRATEGY_ANNOTATION} annotation (${by})`
    : (PAUSED_BY[by] ?? by);
}

/** True when a spec field or the paused annotation pauses the rollout. */
export function isPaused(ds: DaemonSet): boolean {
  return rolloutSpecOf(ds).spec.pausedBy !== undefined;
}

/** The suspend mode in force (annotation or spec), or undefined. */
export function suspendMode(ds: DaemonSet): string | undefined {
  return rolloutSpecOf(ds).spec.suspend;
}

/** Progressing reasons that end `rollout status` with exit 1, and how the error says it. */
const FAILED: Readonly<Record<string, (name: string, message: string) => string>> = {
  // kubectl's words for a Deployment past its deadline.
  [REASON.progressDeadlineExceeded]: (name) =>
    `daemon set "${name}" exceeded its progress deadline`,
  [REASON.healthGateFailed]: (name, m) =>
    `daemon set "${name}" failed a health gate${m ? `: ${m}` : ''}`,
  [REASON.rolloutAborted]: (name, m) =>
    `daemon set "${name}" rollout was aborted${m ? `: ${m}` : ''}`,
};

/**
 * One look at a rollout with everynode's controls: kubectl's DaemonSet status, except that it
 * throws RolloutError (exit 1) when Progressing is False for a passed deadline, a failed health
 * gate or an abort, is done at a partition (PartitionRolledOut), and says paused or suspended
 * while it waits. With none of the controls in use, exactly kubectl's answer.
 */
export function controlledRolloutStatus(ds: DaemonSet): RolloutStatus {
  const base = rolloutStatus(ds);
  const name = ds.metadata?.name ?? '';
  // Conditions describe the generation the controller last saw; until it sees this one, wait.
  if ((ds.metadata?.generation ?? 0) > (ds.status?.observedGeneration ?? 0)) return base;
  const p = progressingCondition(ds);
  if (p?.status === 'False' && p.reason !== undefined && p.reason in FAILED) {
    throw new RolloutError(FAILED[p.reason]!(name, p.message ?? ''));
  }
  if (p?.status === 'True' && p.reason === 'PartitionRolledOut') {
    const held = rolloutFields(ds).rollout?.partitioned;
    const s = ds.status;
    const kept =
      held === undefined
        ? ''
        : `, ${held} ${held === 1 ? 'node keeps' : 'nodes keep'} the stable revision`;
    return {
      done: true,
      message: `daemon set "${name}" rolled out to its partition: ${s?.updatedNumberScheduled ?? 0} of ${s?.desiredNumberScheduled ?? 0} pods updated${kept}`,
    };
  }
  const suspended = conditionOf(ds, SUSPENDED_CONDITION);
  const mode = suspendMode(ds);
  if (base.done) {
    // Scaled to zero, "0 of 0 updated" is done in kubectl's words, but say why nothing runs.
    return mode === 'ScaleToZero'
      ? { done: true, message: `${base.message} (suspended: ScaleToZero, no pods run)` }
      : base;
  }
  if (suspended?.status === 'True' || mode !== undefined) {
    return {
      done: false,
      message: `${base.message} (suspended: ${mode ?? suspended?.reason ?? 'yes'})`,
    };
  }
  if (isPaused(ds) || (p?.status === 'Unknown' && p.reason === REASON.rolloutPaused)) {
    return { done: false, message: `${base.message} (paused)` };
  }
  const detail = stepDetail(ds);
  return detail === '' ? base : { done: false, message: `${base.message} (${detail})` };
}
