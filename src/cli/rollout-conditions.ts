/**
 * How `everynode rollout status` reads everynode's rollout controls (design sections 3-5) from a
 * DaemonSet: the Progressing and Suspended conditions, status.rollout, pause from the spec or
 * the annotation. On top of kubectl's DaemonSet status (engine/rolloutstatus.ts) it fails the
 * way kubectl fails a Deployment past its deadline, and ends at a partition.
 */
import type { DaemonSet, DaemonSetCondition } from '../api/types.js';
import { rolloutStatus, type RolloutStatus } from '../engine/rolloutstatus.js';
import { RolloutError } from './rollout-target.js';

/** Pauses the rollout while "true" (as spec.paused does). */
export const PAUSED_ANNOTATION = 'rollout.everynode.dev/paused';
/** `<revision-hash>[/<token>]`: go back to the stable revision, once per distinct value. */
export const ABORT_ANNOTATION = 'rollout.everynode.dev/abort';
/** `<revision-hash>[/<token>]`: start the update revision's rollout again after a failure. */
export const RETRY_ANNOTATION = 'rollout.everynode.dev/retry';
/** Freeze | ScaleToZero, as spec.suspend. */
export const SUSPEND_ANNOTATION = 'rollout.everynode.dev/suspend';
/** JSON of the CRD's extra fields, for native apps/v1 DaemonSets. */
export const STRATEGY_ANNOTATION = 'rollout.everynode.dev/strategy';

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
  return conditionOf(ds, 'Progressing');
}

/** The strategy annotation's fields, or undefined when absent or not a JSON object. */
export function strategyAnnotation(ds: DaemonSet): Record<string, unknown> | undefined {
  const text = ds.metadata?.annotations?.[STRATEGY_ANNOTATION];
  if (text === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Which spec field pauses the rollout (spec.paused, OpenKruise's rollingUpdate.paused, or the
 * native strategy annotation's), undefined when none does. The annotation control is separate.
 */
export function specPaused(ds: DaemonSet): string | undefined {
  const spec = ds.spec as
    { paused?: unknown; updateStrategy?: { rollingUpdate?: { paused?: unknown } } } | undefined;
  if (spec?.paused === true) return 'spec.paused';
  if (spec?.updateStrategy?.rollingUpdate?.paused === true)
    return 'spec.updateStrategy.rollingUpdate.paused';
  const s = strategyAnnotation(ds) as
    { paused?: unknown; updateStrategy?: { rollingUpdate?: { paused?: unknown } } } | undefined;
  if (s?.paused === true || s?.updateStrategy?.rollingUpdate?.paused === true)
    return `the ${STRATEGY_ANNOTATION} annotation`;
  return undefined;
}

/** True when a spec field or the paused annotation pauses the rollout. */
export function isPaused(ds: DaemonSet): boolean {
  return specPaused(ds) !== undefined || ds.metadata?.annotations?.[PAUSED_ANNOTATION] === 'true';
}

/** The suspend mode in force (annotation or spec), or undefined. */
export function suspendMode(ds: DaemonSet): string | undefined {
  const a = ds.metadata?.annotations?.[SUSPEND_ANNOTATION];
  if (a !== undefined && a !== '') return a;
  const s = (ds.spec as { suspend?: unknown } | undefined)?.suspend;
  if (typeof s === 'string' && s !== '') return s;
  const n = strategyAnnotation(ds)?.suspend;
  return typeof n === 'string' && n !== '' ? n : undefined;
}

/** Progressing reasons that end `rollout status` with exit 1, and how the error says it. */
const FAILED: Readonly<Record<string, (name: string, message: string) => string>> = {
  // kubectl's words for a Deployment past its deadline.
  ProgressDeadlineExceeded: (name) => `daemon set "${name}" exceeded its progress deadline`,
  HealthGateFailed: (name, m) => `daemon set "${name}" failed a health gate${m ? `: ${m}` : ''}`,
  RolloutAborted: (name, m) => `daemon set "${name}" rollout was aborted${m ? `: ${m}` : ''}`,
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
  if (base.done) return base;
  const suspended = conditionOf(ds, 'Suspended');
  const mode = suspendMode(ds);
  if (suspended?.status === 'True' || mode !== undefined) {
    return {
      done: false,
      message: `${base.message} (suspended: ${mode ?? suspended?.reason ?? 'yes'})`,
    };
  }
  if (isPaused(ds) || (p?.status === 'Unknown' && p.reason === 'RolloutPaused')) {
    return { done: false, message: `${base.message} (paused)` };
  }
  return base;
}
