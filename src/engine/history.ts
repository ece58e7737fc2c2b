/**
 * ControllerRevision history (§8.3–8.6).
 * CONTRACT STUB: the engine-2 helper implements the bodies; signatures are fixed.
 */
import type { ControllerRevision, DaemonSet, Pod } from '../api/types.js';
import type { HistoryPlan, RevisionRef } from './types.js';

/** constructHistory on claimed revisions: current revision (existing or to create), dedup, repairs. */
export interface ConstructedHistory {
  readonly current: RevisionRef;
  readonly createRevision: ControllerRevision | null;
  readonly updateRevisions: HistoryPlan['updateRevisions'];
  readonly labelRevisions: readonly string[];
  readonly relabelPods: HistoryPlan['relabelPods'];
  /** Duplicate current revisions to delete. */
  readonly deleteDuplicates: readonly string[];
  /** Old revisions (not current), by revision ascending. */
  readonly old: readonly ControllerRevision[];
}

/** Builds the history plan from the revisions this DaemonSet claims and the pods it claims. */
export declare function constructHistory(
  ds: DaemonSet,
  claimedRevisions: readonly ControllerRevision[],
  claimedPods: readonly Pod[],
): ConstructedHistory;

/**
 * cleanupHistory: old revisions to delete beyond revisionHistoryLimit, skipping those whose hash
 * is on a live pod (claimedPodsInclTerminal includes terminal pods being deleted).
 */
export declare function cleanupHistory(
  ds: DaemonSet,
  old: readonly ControllerRevision[],
  claimedPodsInclTerminal: readonly Pod[],
): string[];
