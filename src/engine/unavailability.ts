/**
 * Issue 12's status parts that rolloutprogress.ts reads (shared/spec/rollout-features.md §3.8,
 * §3.10, §4): whether the update revision has finished rolling out when impaired nodes do not
 * count (`unavailableAccounting: RolloutOnly`), and the CRD's node-/rollout-caused counts,
 * pendingRemovals and removal times. Pure; both planning paths reach them through rolloutStatus.
 */
import { isNodeImpaired } from '../api/nodeimpairment.js';
import { skipsImpaired, type RolloutSpec } from '../api/rolloutspec.js';
import { formatTime, type DaemonSetStatus, type Mutable, type Node } from '../api/types.js';
import type { StatusCounters } from './status.js';
import type { ImpairmentCounts } from './tallies.js';

/**
 * RolloutOnly (§3.8): the rolling update leaves an impaired node alone (its unavailable pod uses
 * no budget and it is not updated until it recovers). `skipImpaired`: the rollout runs with
 * features and skipsImpaired(spec). The full reconcile's skip set and the incremental planner's
 * kept tally both ask this.
 */
export function rollingUpdateLeavesAlone(skipImpaired: boolean, node: Node | undefined): boolean {
  return skipImpaired && node !== undefined && isNodeImpaired(node).impaired;
}

/** What the removal budget decided in a sync, for status and the record. */
export interface RemovalStatus {
  /** Removals that wait (status.pendingRemovals). */
  readonly pending: number;
  /** The budgeted removal times inside the window, this sync's included (epoch ms ascending). */
  readonly recent: readonly number[];
}

/**
 * Every desired node is updated and available, except (RolloutOnly) impaired ones: an impaired
 * node neither blocks completion nor counts against it. With All this is apps/v1's test.
 */
export function rolloutConverged(
  spec: RolloutSpec,
  c: StatusCounters,
  impairment: ImpairmentCounts | undefined,
): boolean {
  const imp = skipsImpaired(spec) ? impairment : undefined;
  const desired = c.desiredNumberScheduled;
  return (
    c.updatedNumberScheduled + (imp?.impairedOld ?? 0) === desired &&
    c.numberAvailable + (imp?.nodeCaused ?? 0) === desired
  );
}

/**
 * The CRD's node-/rollout-caused counts (always) and, with a removal budget, pendingRemovals and
 * the recent removal times (docs/adr/2026-12-07-rollout-state-issue-12.md). `removals`
 * undefined: no pod write was planned this sync, so the stored pendingRemovals stands.
 */
export function setUnavailabilityStatus(
  s: Mutable<DaemonSetStatus>,
  x: {
    readonly spec: RolloutSpec;
    readonly counters: StatusCounters;
    readonly stored: DaemonSetStatus | undefined;
    readonly impairment: ImpairmentCounts | undefined;
    readonly removals: RemovalStatus | undefined;
    /** The removal times to keep (the record's). */
    readonly recent: readonly number[];
  },
): void {
  const unavailable = x.counters.numberUnavailable;
  const nodeCaused = Math.min(x.impairment?.nodeCaused ?? 0, unavailable);
  s.numberUnavailableNodeCaused = nodeCaused;
  s.numberUnavailableRolloutCaused = unavailable - nodeCaused;
  if (x.spec.removalBudget === undefined) {
    delete s.pendingRemovals;
    delete s.removals;
    return;
  }
  s.pendingRemovals = x.removals?.pending ?? x.stored?.pendingRemovals ?? 0;
  if (x.recent.length > 0) s.removals = x.recent.map(formatTime);
  else delete s.removals;
}
