/**
 * The removal budget (shared/spec/rollout-features.md §2 `spec.removalBudget`, §3.10): how fast
 * pods leave nodes that stopped being eligible (a narrowed nodeSelector, a label removed from a
 * pool, ScaleToZero), where upstream deletes them all in one sync (kubernetes #54565).
 *
 * - The limit is maxRemovals, an int or a percent of (desired + misscheduled) rounded up, at
 *   least 1, per sliding window of periodSeconds: a removal at time r holds one of the limit's
 *   slots until r + periodSeconds.
 * - A node's pod may go only once the node has been ineligible for delaySeconds without a break
 *   (hysteresis against labels that flap); a node that turns eligible again starts over.
 * - Removals go oldest-ineligible first, then in natural node-name order, so the same state gives
 *   the same plan on either planning path.
 * - Exempt, going at once and holding no slot: pods of deleted nodes and terminal pods (the
 *   caller marks them); they cost no availability.
 *
 * State across syncs (RemovalState): when each node became ineligible (kept in memory; after a
 * restart a node counts from when it is first seen again, which can only delay a removal) and the
 * recent removal times (persisted, or a restart would allow a burst; see
 * docs/adr/2026-12-07-rollout-state-issue-12.md).
 */
import { getScaledValue } from '../../api/intstr.js';
import type { IntOrString } from '../../api/types.js';
import { compareNodeNames } from '../updatepolicy.js';

/** The `spec.removalBudget` block. */
export interface RemovalBudgetSpec {
  readonly maxRemovals: IntOrString;
  readonly periodSeconds: number;
  readonly delaySeconds?: number;
}

/** A pod that should leave its node: the node's name, and why it is exempt if it is. */
export interface RemovalCandidate {
  readonly node: string;
  readonly exempt?: 'NodeDeleted' | 'PodTerminal';
}

/** What the budget keeps between syncs (this module's header). */
export interface RemovalState {
  /** Node name -> epoch ms since when it has been ineligible (with a pod to remove). */
  readonly ineligibleSince: ReadonlyMap<string, number>;
  /** Epoch ms of the budgeted removals still inside the window, oldest first. */
  readonly recentRemovals: readonly number[];
}

/** No history: nothing ineligible, no removal. */
export const EMPTY_REMOVAL_STATE: RemovalState = Object.freeze({
  ineligibleSince: new Map<string, number>(),
  recentRemovals: Object.freeze([]),
});

/** A removal that must wait, with the earliest time it may go if nothing else changes. */
export interface DeferredRemoval {
  readonly node: string;
  /** Epoch ms; the caller requeues at the earliest of these. */
  readonly notBefore: number;
  /**
   * What holds it longest: Delay (the node has not been ineligible for delaySeconds yet) or
   * Budget (the window is full until then).
   */
  readonly why: 'Delay' | 'Budget';
}

/** The budget's plan for one sync. */
export interface RemovalPlan {
  /** Nodes whose pods are removed now (exempt ones included), in removal order. */
  readonly now: readonly string[];
  /** Removals that wait, in the order they will go. */
  readonly deferred: readonly DeferredRemoval[];
  /** status.pendingRemovals: deferred.length. */
  readonly pendingRemovals: number;
  /** The resolved maxRemovals. */
  readonly limit: number;
  /** The state after this sync's removals (removal times recorded, stale ones dropped). */
  readonly state: RemovalState;
  /** The earliest notBefore, if anything waits. */
  readonly requeueAt?: number;
}

/**
 * maxRemovals scaled against desired + misscheduled, rounded up, at least 1; a malformed value
 * (which validation refuses) counts as 1, the most careful reading.
 */
export function removalLimit(
  maxRemovals: IntOrString,
  desired: number,
  misscheduled: number,
): number {
  try {
    return Math.max(1, getScaledValue(maxRemovals, desired + misscheduled, true));
  } catch {
    return 1;
  }
}

/** Inserts into an ascending array, keeping it ascending. */
function insertSorted(xs: number[], v: number): void {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  xs.splice(lo, 0, v);
}

/**
 * Plans the removals of one sync (this module's header): which candidates go now and which wait
 * (and until when), given the state kept from the last sync. Pure; the returned state is what to
 * keep, and `now` is exactly what the caller must delete (the window counts them as done).
 */
export function planRemovals(input: {
  readonly spec: RemovalBudgetSpec;
  readonly desired: number;
  readonly misscheduled: number;
  readonly candidates: readonly RemovalCandidate[];
  readonly state: RemovalState;
  readonly now: number;
}): RemovalPlan {
  const { spec, now } = input;
  const period = Math.max(0, spec.periodSeconds) * 1000;
  const delay = Math.max(0, spec.delaySeconds ?? 0) * 1000;
  const limit = removalLimit(spec.maxRemovals, input.desired, input.misscheduled);

  const out: string[] = [];
  const since = new Map<string, number>();
  const budgeted: { node: string; readyAt: number }[] = [];
  for (const c of input.candidates) {
    if (c.exempt !== undefined) {
      out.push(c.node);
      continue;
    }
    if (since.has(c.node)) continue;
    const t = input.state.ineligibleSince.get(c.node) ?? now;
    since.set(c.node, t);
    budgeted.push({ node: c.node, readyAt: t + delay });
  }
  budgeted.sort((a, b) => a.readyAt - b.readyAt || compareNodeNames(a.node, b.node));

  // Each of the limit's slots is free from some time on: a recent removal's slot at r + period.
  const recent = input.state.recentRemovals.filter((r) => r + period > now).sort((a, b) => a - b);
  const freeAt: number[] = recent.slice(-limit).map((r) => r + period);
  while (freeAt.length < limit) insertSorted(freeAt, -Infinity);
  freeAt.sort((a, b) => a - b);

  const removedNow: number[] = [];
  const deferred: DeferredRemoval[] = [];
  for (const b of budgeted) {
    const slot = freeAt.shift()!;
    const at = Math.max(now, b.readyAt, slot);
    insertSorted(freeAt, at + period);
    if (at <= now) {
      out.push(b.node);
      removedNow.push(now);
      since.delete(b.node);
    } else {
      // The reason is whichever holds it longest: its delay, or the full window.
      deferred.push({ node: b.node, notBefore: at, why: slot > b.readyAt ? 'Budget' : 'Delay' });
    }
  }
  const state: RemovalState = {
    ineligibleSince: since,
    recentRemovals: [...recent, ...removedNow],
  };
  const requeueAt = deferred.reduce((m, d) => Math.min(m, d.notBefore), Infinity);
  return {
    now: out,
    deferred,
    pendingRemovals: deferred.length,
    limit,
    state,
    ...(deferred.length > 0 ? { requeueAt } : {}),
  };
}
