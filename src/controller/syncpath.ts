/**
 * Which way each sync went: planned incrementally (fastplan.ts), or by the full reconcile and
 * why. Every reason the incremental planner declines is one of DECLINE_REASONS, so the counts in
 * the controller's stats, in /metrics (`everynode_sync_path_total{path,reason}`) and in the
 * benchmark reports name the same cases.
 */

/** Why a sync went to the full reconcile; each is a case the incremental planner does not prove. */
export const DECLINE_REASONS = [
  /** The controller was built with incrementalSync false. */
  'disabled',
  /** The selector is `{}`: reconcile's early exit with its Warning event. */
  'selectingAll',
  /** The DaemonSet has a deletionTimestamp: reconcile's early exit. */
  'beingDeleted',
  /** The selector does not parse: reconcile raises the error. */
  'invalidSelector',
  /** History plans a write: a new revision, a dedup, a rollback raise, a label repair, a cleanup. */
  'historyWrite',
  /** A node holds a failed or succeeded pod (manage deletes it, with events and backoff). */
  'terminalPod',
  /** An unbound pod pinned to a node that does not exist (manage deletes it). */
  'unboundOnMissingNode',
  /** Surge manage would create beside two or more terminating pods (its reason names one). */
  'terminatingPods',
  /** An owned pod the selector no longer matches: the full claim releases it. */
  'releasePod',
  /** An orphan in the namespace matches the selector: the full claim adopts it. */
  'adoptOrphan',
  /** maxSurge / maxUnavailable do not resolve: the full reconcile reports plan.error. */
  'invalidBudget',
  /** Surge mode with an old pod on a node that left the node list (fails or deletes there). */
  'oldPodOnMissingNode',
  /** The update policy cannot be honoured from the kept state. */
  'policy',
  /**
   * A rollout that needs a stable revision none recorded. No longer counted: the incremental
   * planner infers it from its kept pods as the full reconcile does from its claimed ones; kept
   * so the metric's label set stays the same.
   */
  'stableUnknown',
  /**
   * spec.removalBudget is set (issue 12): the budget's memory (when each node became ineligible)
   * and its window are read by the full reconcile only (engine/removals.ts).
   */
  'removalBudget',
  /**
   * unavailableAccounting RolloutOnly (issue 12). No longer counted: the kept state leaves the
   * impaired nodes out of the rolling update's tally as the full reconcile does (syncstate.ts
   * `skipped`); kept so the metric's label set stays the same.
   */
  'unavailableAccounting',
  /** The kept state did not have what the engine function needed (a bug if it is ever counted). */
  'stateMismatch',
  /** An engine function threw in the incremental planner; the full reconcile reports the error. */
  'plannerError',
] as const;

/** One of DECLINE_REASONS. */
export type DeclineReason = (typeof DECLINE_REASONS)[number];

/** Syncs by path and, for the full path, by reason. */
export interface SyncPathStats {
  incremental: number;
  full: Record<DeclineReason, number>;
}

/** Zero counts for every path and reason. */
export function emptySyncPathStats(): SyncPathStats {
  const full = {} as Record<DeclineReason, number>;
  for (const r of DECLINE_REASONS) full[r] = 0;
  return { incremental: 0, full };
}

/** The total of the full path over its reasons. */
export function fullSyncs(s: Readonly<SyncPathStats>): number {
  let n = 0;
  for (const r of DECLINE_REASONS) n += s.full[r];
  return n;
}

/**
 * This process's syncs by path, over every controller in it (the test suite's record of what
 * verification covered; the benchmarks' reports). `verified`: incremental syncs checked against
 * the full reconcile.
 */
export const syncPathCounts = {
  incremental: 0,
  full: 0,
  verified: 0,
  byReason: emptySyncPathStats().full,
};
