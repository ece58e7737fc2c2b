/**
 * The incremental sync's rolling update (§6, issue 6 B2): the creates, deletes and requeue that
 * rollingUpdate() returns in live mode, built from the counts and node sets that syncstate.ts
 * keeps, in time proportional to the nodes that act plus the candidates chosen. The reasons are
 * the engine's own (RU_REASON) and the order is the engine's: the states in compareNodeNames
 * order, then the default policy's choice (shouldRun false first, then natural name order).
 */
import type { Pod } from '../api/types.js';
import type { Budget } from '../engine/budget.js';
import { minDelay } from '../engine/reconcile.js';
import { RU_REASON } from '../engine/rollingupdate.js';
import type { PodDelete } from '../engine/types.js';
import { compareNodeNames, sortNodeNames } from '../engine/updatepolicy.js';
import type { DeclineReason } from './syncpath.js';
import type { DaemonSetSyncState } from './syncstate.js';

/**
 * A set of node names that yields its members in compareNodeNames order without sorting them
 * on every read: names are sorted once when many arrive (the start of a rollout) and inserted by
 * binary search when few do; removed names stay in the array until it is compacted.
 */
export class NameOrder {
  private readonly members = new Set<string>();
  /** Sorted by compareNodeNames, without duplicates; may hold names no longer members. */
  private sorted: string[] = [];
  /** Members added since the last read, not yet in `sorted` (or already there, stale). */
  private added: string[] = [];

  get size(): number {
    return this.members.size;
  }

  has(name: string): boolean {
    return this.members.has(name);
  }

  add(name: string): void {
    if (this.members.has(name)) return;
    this.members.add(name);
    this.added.push(name);
  }

  delete(name: string): void {
    this.members.delete(name);
    if (this.members.size === 0) this.clear();
  }

  clear(): void {
    this.members.clear();
    this.sorted = [];
    this.added = [];
  }

  /** The first n members in compareNodeNames order. */
  first(n: number): string[] {
    const out: string[] = [];
    if (n <= 0 || this.members.size === 0) return out;
    this.settle();
    for (const name of this.sorted) {
      if (out.length >= n) break;
      if (this.members.has(name)) out.push(name);
    }
    return out;
  }

  /** Merges the added names into the sorted array and drops stale names when they dominate. */
  private settle(): void {
    const added = this.added;
    if (added.length > 0) {
      this.added = [];
      if (added.length * 8 > this.sorted.length) {
        this.sorted = sortNodeNames([...this.members]);
        return;
      }
      for (const name of added) {
        if (!this.members.has(name)) continue;
        const at = this.lowerBound(name);
        if (this.sorted[at] !== name) this.sorted.splice(at, 0, name);
      }
    }
    if (this.sorted.length > 2 * this.members.size + 64)
      this.sorted = this.sorted.filter((n) => this.members.has(n));
  }

  private lowerBound(name: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareNodeNames(this.sorted[mid]!, name) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * A node's part in the rolling update, as bits above the status counter bits of the sync state's
 * per-node integer (syncstate.ts C_*): one integer per node, no field more (B4).
 */
/** The node is a rolling-update state counted in numUnavailable (maxUnavailable mode). */
export const R_UNAVAILABLE = 64;
/** Counted in numSurge (surge mode). */
export const R_SURGE = 128;
/** Counted in numAvailable (surge mode). */
export const R_AVAILABLE = 256;
/** Only an old pod, available: in oldAvailable (shouldRun) or oldAvailableLeaving. */
export const R_OLD_AVAILABLE = 512;
/** Only an old pod, not available: in oldUnavailable. */
export const R_OLD_UNAVAILABLE = 1024;
/** Surge manage deletes the old pod beside the new one: in manageDeletes. */
export const R_MANAGE_DELETE = 2048;
/** Surge manage creates beside the node's one terminating pod (§5.2): in manageCreates. */
export const R_MANAGE_CREATE = 8192;
/**
 * An old pod on a node that left the node list, alone (surge mode fails there: plan.error) or
 * beside an available new pod (surge mode deletes it, where manage would have on a listed node).
 */
export const R_LEFT_OLD = 4096;

/**
 * The rolling update's counts over its node states (§6) and the nodes that act, kept node by node
 * from the R_* bits: numUnavailable of maxUnavailable mode, numSurge and numAvailable of surge mode
 * (both kept; the budget picks the mode at plan time).
 */
export class RolloutIndex {
  unavailable = 0;
  surge = 0;
  available = 0;
  /** Nodes that left the node list with an old pod surge mode acts on (R_LEFT_OLD). */
  leftOld = 0;
  /** Nodes that should run a pod and hold only an old, available one: candidates, by name. */
  readonly oldAvailable = new NameOrder();
  /** Nodes that should not run a pod (but may continue) holding only an old, available one. */
  readonly oldAvailableLeaving = new Set<string>();
  /** Nodes holding only an old pod that is not available. */
  readonly oldUnavailable = new Set<string>();
  /** Nodes where manage in surge mode deletes the old pod beside the new one (§5.2). */
  readonly manageDeletes = new Set<string>();
  /** Nodes where manage in surge mode creates beside a terminating pod (§5.2, scenario 76). */
  readonly manageCreates = new Set<string>();

  clear(): void {
    this.unavailable = this.surge = this.available = this.leftOld = 0;
    this.oldAvailable.clear();
    this.oldAvailableLeaving.clear();
    this.oldUnavailable.clear();
    this.manageDeletes.clear();
    this.manageCreates.clear();
  }

  /** Removes a node's share, given the bits it was added with (its eligibility may differ now). */
  drop(name: string, bits: number): void {
    if (bits < R_UNAVAILABLE) return;
    if (bits & R_UNAVAILABLE) this.unavailable--;
    if (bits & R_SURGE) this.surge--;
    if (bits & R_AVAILABLE) this.available--;
    if (bits & R_LEFT_OLD) this.leftOld--;
    if (bits & R_OLD_AVAILABLE) {
      this.oldAvailable.delete(name);
      this.oldAvailableLeaving.delete(name);
    }
    if (bits & R_OLD_UNAVAILABLE) this.oldUnavailable.delete(name);
    if (bits & R_MANAGE_DELETE) this.manageDeletes.delete(name);
    if (bits & R_MANAGE_CREATE) this.manageCreates.delete(name);
  }

  /** Adds a node's share from its bits; shouldRun sorts an old available pod's node. */
  add(name: string, bits: number, shouldRun: boolean): void {
    if (bits < R_UNAVAILABLE) return;
    if (bits & R_UNAVAILABLE) this.unavailable++;
    if (bits & R_SURGE) this.surge++;
    if (bits & R_AVAILABLE) this.available++;
    if (bits & R_LEFT_OLD) this.leftOld++;
    if (bits & R_OLD_AVAILABLE) {
      if (shouldRun) this.oldAvailable.add(name);
      else this.oldAvailableLeaving.add(name);
    }
    if (bits & R_OLD_UNAVAILABLE) this.oldUnavailable.add(name);
    if (bits & R_MANAGE_DELETE) this.manageDeletes.add(name);
    if (bits & R_MANAGE_CREATE) this.manageCreates.add(name);
  }
}

/** The rolling update's writes, as planPodWrites in reconcile.ts turns them into a Plan. */
export interface RolloutWrites {
  readonly creates: { readonly node: string; readonly reason: string }[];
  readonly deletes: PodDelete[];
  /** Delay in ms until a new pod becomes available (rollingUpdate's requeueAt − now), or null. */
  readonly requeueAfterMs: number | null;
}

function deleteOf(pod: Pod, node: string, reason: string): PodDelete {
  const meta = pod.metadata;
  return {
    namespace: meta?.namespace ?? '',
    name: meta?.name ?? '',
    uid: meta?.uid ?? '',
    node,
    source: 'rollingUpdate',
    reason,
  };
}

/**
 * rollingUpdate() of the live sync, from the state: valid only when the state has no complex or
 * mismatched node, manage planned no write (so no node is missing a pod and no surge delete is
 * due) and the budget is the one resolveBudget gives for the state's desired count. Returns
 * undefined for surge mode with an old pod on a node that left (R_LEFT_OLD) or when a
 * node it needs is not where the state says (never expected).
 */
export function planRollout(
  state: DaemonSetSyncState,
  budget: Budget,
  now: number,
): RolloutWrites | DeclineReason {
  const creates: { node: string; reason: string }[] = [];
  const deletes: PodDelete[] = [];
  const oldOf = (node: string): Pod | undefined => state.oldPodOn(node);
  const ro = state.rollout;
  const unavailable = sortNodeNames([...ro.oldUnavailable]);
  const leaving = sortNodeNames([...ro.oldAvailableLeaving]);
  if (budget.maxSurge === 0) {
    // maxUnavailableMode: unavailable old pods go at once; then the policy's choice.
    for (const node of unavailable) {
      const old = oldOf(node);
      if (old === undefined) return 'stateMismatch';
      deletes.push(deleteOf(old, node, RU_REASON.oldUnavailable(old)));
    }
    const max = budget.maxUnavailable;
    let n = max - ro.unavailable;
    const chosen = leaving.slice(0, Math.max(0, n));
    n -= chosen.length;
    chosen.push(...ro.oldAvailable.first(n));
    for (const node of chosen) {
      const old = oldOf(node);
      if (old === undefined) return 'stateMismatch';
      deletes.push(deleteOf(old, node, RU_REASON.withinUnavailable(old, max)));
    }
  } else {
    // surgeMode. A node with an old and an available new pod is manage's (a surge delete), so
    // none reaches here; each node with only an unavailable old pod acts in name order.
    // Old pods on nodes that left: the engine fails or deletes there; the full reconcile's.
    if (ro.leftOld > 0) return 'oldPodOnMissingNode';
    const { maxSurge, desired } = budget;
    for (const node of unavailable) {
      const old = oldOf(node);
      const view = state.nodeView(node);
      if (old === undefined || view === undefined) return 'stateMismatch';
      if (view.elig.shouldRun) creates.push({ node, reason: RU_REASON.surgeUnavailable(maxSurge) });
      else deletes.push(deleteOf(old, node, RU_REASON.oldUnavailableLeaving(old)));
    }
    for (const node of leaving.slice(0, Math.max(0, ro.available - desired))) {
      const old = oldOf(node);
      if (old === undefined) return 'stateMismatch';
      deletes.push(deleteOf(old, node, RU_REASON.leaving(ro.available, desired)));
    }
    for (const node of ro.oldAvailable.first(maxSurge - ro.surge))
      creates.push({ node, reason: RU_REASON.surgeCandidate(maxSurge) });
  }
  let at: number | null = null;
  for (const p of state.pendingPods()) at = minDelay(at, state.requeueAtOf(p, now));
  return { creates, deletes, requeueAfterMs: at === null ? null : Math.max(1, at - now) };
}
