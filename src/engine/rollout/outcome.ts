/**
 * What the steps stage (stage.ts) adds to a sync's rollout decision: where a rollout with a
 * canary, waves or health gates stands, for the status (stepstatus.ts), the record and plans. A
 * separate module so engine/rolloutpolicy.ts can name the type without importing the stage.
 */
import type { RolloutFailure } from '../../api/types.js';
import type { MetricGateState } from './metricgate.js';
import type { MetricQuery } from './metricfold.js';

/**
 * Pauses the open step's bake does not count (spec §3.1: a pause stops the bake clock), kept in
 * the record: `since` while paused or suspended, when that began; `until` when the last pause
 * ended and `seconds` the held time the bake skips (for a bake begun before `until`).
 */
export interface BakeHeld {
  /** The index of the step whose bake it is. */
  readonly step: number;
  readonly since?: number | undefined;
  readonly until?: number | undefined;
  readonly seconds: number;
}

/** A canary's or wave's state, or Held (paused, a blocking problem, a gate's pause). */
export type StepState = 'Updating' | 'Baking' | 'AwaitingPromotion' | 'Complete' | 'Held';

/** The steps stage's findings for one sync. */
export interface StepsOutcome {
  /** The canary nodes (kept: status.rollout.canaryNodes / record `canary`). */
  readonly canaryNodes: readonly string[];
  /** The open step's index (kept: status.rollout.wave.index / record `step`); -1: no steps. */
  readonly step: number;
  /** The highest step a promote released (kept: promotedStep / record `promoted`); -1: none. */
  readonly promoted: number;
  /** How many steps the rollout has (canary first, then waves). */
  readonly steps: number;
  /** The open step: canary or wave, its name, size and how many of its nodes are updated. */
  readonly kind: 'canary' | 'wave' | undefined;
  readonly name: string | undefined;
  readonly size: number;
  readonly updated: number;
  readonly state: StepState;
  /** While baking: when the bake ends (epoch ms). */
  readonly bakeUntil: number | undefined;
  /** A blocking problem (a canary selector matching nothing, a wave order naming no zone). */
  readonly problem: { readonly reason: string; readonly message: string } | undefined;
  /** Non-blocking problems: a Warning Event each, when they first appear. */
  readonly warnings: readonly { readonly reason: string; readonly message: string }[];
  /** A health gate tripped (now or before, while the failure is recorded): the rollout is held. */
  readonly gateFailure: RolloutFailure | undefined;
  /** When to look again (a bake's end, a pod crossing maxNotReadySeconds), epoch ms, or null. */
  readonly requeueAt: number | null;
  /** The Prometheus gate's state to keep (record `metric`); undefined: no Prometheus gate. */
  readonly metric?: MetricGateState | undefined;
  /** The query the controller should run next (metricfold.ts); undefined: none. */
  readonly metricQuery?: MetricQuery | undefined;
  /** An answer folded now that said nothing: what is wrong (a Warning Event). */
  readonly metricInconclusive?: string | undefined;
  /** Pauses the open step's bake skips (record `bakeHeld`); undefined: none. */
  readonly bakeHeld?: BakeHeld | undefined;
}
