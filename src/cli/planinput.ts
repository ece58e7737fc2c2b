/**
 * What `everynode plan` hands to its views: apart from plan.ts so that the views (plan-view.ts,
 * plan-rollout.ts) and the command, which imports them, do not import each other.
 */
import type { Snapshot } from '../engine/types.js';

/** The DaemonSet and its surroundings, ready for the engine, and what the loader assumed. */
export interface PlanInput {
  readonly snapshot: Snapshot;
  /** Things filled in that a reader should know about (a uid made up, pods skipped, ...). */
  readonly notes: readonly string[];
}
