/**
 * The names of everynode's rollout status (shared/spec/rollout-features.md §4): condition types,
 * their reasons, and status.rollout.phase's values. The engine writes them
 * (engine/rolloutstatus.ts); the CLI, the metrics and the simulator read them by these names.
 *
 * Conditions are written on the CRD and, for apps/v1 DaemonSets that use a rollout feature, in
 * apps/v1 status.conditions; lastTransitionTime moves only when a condition's status changes.
 */

/** Available: True while at least desired − maxUnavailable pods are available. */
export const AVAILABLE_CONDITION = 'Available';
/** Progressing: the rollout's state (reasons below), as Deployment's condition. */
export const PROGRESSING_CONDITION = 'Progressing';
/** Suspended: True while spec.suspend or the suspend annotation is set. */
export const SUSPENDED_CONDITION = 'Suspended';
/**
 * InvalidStrategy: True while an annotation (the strategy annotation on apps/v1, a control's
 * value) does not parse; its fields are ignored (message: the field errors).
 */
export const INVALID_STRATEGY_CONDITION = 'InvalidStrategy';

/** The reasons of each condition. */
export const REASON = {
  /** Available True. */
  minimumPodsAvailable: 'MinimumPodsAvailable',
  /** Available False. */
  minimumPodsUnavailable: 'MinimumPodsUnavailable',
  /** Progressing True: a new update revision, nothing rolled yet. */
  newRevisionCreated: 'NewRevisionCreated',
  /** Progressing True: the rollout made progress. */
  revisionUpdated: 'RevisionUpdated',
  /** Progressing True: every node outside the partition is updated and all are available. */
  partitionRolledOut: 'PartitionRolledOut',
  /** Progressing True: the update revision finished rolling out (it is the stable one now). */
  rolloutComplete: 'RolloutComplete',
  /** Progressing Unknown: paused (or suspended; the message says which). */
  rolloutPaused: 'RolloutPaused',
  /** Progressing False: no progress for progressDeadlineSeconds. */
  progressDeadlineExceeded: 'ProgressDeadlineExceeded',
  /** Progressing False: going back to the stable revision, until the template changes or a retry. */
  rolloutAborted: 'RolloutAborted',
  /** Progressing False (issue 12). */
  healthGateFailed: 'HealthGateFailed',
  /** Progressing True (issue 12): the canary's nodes are being updated. */
  canary: 'Canary',
  /** Progressing True (issue 12): the canary / a wave is updated and bakes. */
  canaryBaking: 'CanaryBaking',
  waveBaking: 'WaveBaking',
  /** Progressing True (issue 12): baked; a promote control releases the next step. */
  awaitingPromotion: 'AwaitingPromotion',

  /** Suspended True/False. */
  freeze: 'Freeze',
  scaleToZero: 'ScaleToZero',
  notSuspended: 'NotSuspended',
  /** InvalidStrategy True. */
  invalidAnnotation: 'InvalidAnnotation',
} as const;

/** status.rollout.phase's values (issue 12 adds Canary, Baking, AwaitingPromotion). */
export const PHASE = {
  rolling: 'Rolling',
  paused: 'Paused',
  partitioned: 'Partitioned',
  complete: 'Complete',
  failed: 'Failed',
  aborted: 'Aborted',
  frozen: 'Frozen',
  scaledToZero: 'ScaledToZero',
  canary: 'Canary',
  baking: 'Baking',
  awaitingPromotion: 'AwaitingPromotion',
} as const;

/** One of PHASE's values. */
export type RolloutPhase = (typeof PHASE)[keyof typeof PHASE];
