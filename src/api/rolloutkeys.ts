/**
 * The names of everynode's rollout API (shared/spec/rollout-features.md §2, §5): the annotation
 * keys, the suspend modes and controls, and how a control's value reads. api/rolloutspec.ts
 * re-exports all of it; this module exists so the field checks (rolloutfields.ts) and the spec
 * reader share the names without an import cycle.
 */
import type { DaemonSet } from './types.js';

/** The prefix of every rollout annotation. */
export const ROLLOUT_ANNOTATION_PREFIX = 'rollout.everynode.dev/';
/** `"true"` pauses the rollout, like spec.paused. */
export const PAUSED_ANNOTATION = 'rollout.everynode.dev/paused';
/** `Freeze` or `ScaleToZero`: suspends the DaemonSet, like spec.suspend (the annotation wins). */
export const SUSPEND_ANNOTATION = 'rollout.everynode.dev/suspend';
/** `"<revision-hash>[/<token>]"`: abort the rollout of that revision (back to the stable one). */
export const ABORT_ANNOTATION = 'rollout.everynode.dev/abort';
/** `"<revision-hash>[/<token>]"`: retry an aborted or failed rollout of that revision. */
export const RETRY_ANNOTATION = 'rollout.everynode.dev/retry';
/** `"<revision-hash>[/<token>]"`: promote a canary or wave (issue 12). */
export const PROMOTE_ANNOTATION = 'rollout.everynode.dev/promote';
/** The rollout fields as JSON, on apps/v1 DaemonSets. */
export const STRATEGY_ANNOTATION = 'rollout.everynode.dev/strategy';
/**
 * On a ControllerRevision of an apps/v1 DaemonSet: the rollout's durable record (stable revision,
 * last progress, observed controls, abort), since apps/v1 status has no field for them
 * (docs/adr/2026-12-08-rollout-state-of-native-daemonsets.md). Written by the controller only.
 */
export const ROLLOUT_STATE_ANNOTATION = 'rollout.everynode.dev/state';

/** The API group of everynode's CRD. */
export const EVERYNODE_GROUP = 'apps.everynode.dev';

/** True for everynode's CRD (apiVersion apps.everynode.dev/...), false for apps/v1. */
export function isEverynodeDaemonSet(ds: DaemonSet): boolean {
  return ds.apiVersion?.startsWith(`${EVERYNODE_GROUP}/`) ?? false;
}

/** spec.suspend's values (besides "" and absent: not suspended). */
export const SUSPEND_MODES = ['Freeze', 'ScaleToZero'] as const;
/** Freeze: no pod writes at all; ScaleToZero: every pod removed. */
export type SuspendMode = (typeof SUSPEND_MODES)[number];

/** The controls acted on once per distinct value. */
export const CONTROL_NAMES = ['abort', 'retry', 'promote'] as const;
/** One of CONTROL_NAMES. */
export type ControlName = (typeof CONTROL_NAMES)[number];

const CONTROL_ANNOTATIONS: Readonly<Record<ControlName, string>> = {
  abort: ABORT_ANNOTATION,
  retry: RETRY_ANNOTATION,
  promote: PROMOTE_ANNOTATION,
};

/** A control annotation's value, parsed. */
export interface RolloutControl {
  /** The annotation's whole value: acted on once per distinct value. */
  readonly value: string;
  /** The revision it is for: a controller-revision-hash (or the revision's name). */
  readonly revision: string;
  /** The part after '/', '' when absent: lets the same control be given again. */
  readonly token: string;
}

/** The control annotation of a name. */
export function controlAnnotation(name: ControlName): string {
  return CONTROL_ANNOTATIONS[name];
}
