/**
 * The rolling update's two modes (§6.3 maxUnavailable, §6.4 surge) as functions of a tally of
 * node classes (tallies.ts), a budget and the update policy. The full reconcile fills the tally
 * by scanning every node (rollingupdate.ts); the incremental sync keeps the same tally between
 * syncs (controller/syncstate.ts); both call runRollingUpdate, so a rule changed here changes both.
 */
import { CONTROLLER_REVISION_HASH_LABEL, type DaemonSet, type Pod } from '../api/types.js';
import type { Budget } from './budget.js';
import type { RolloutClass } from './nodeclass.js';
import type { OrderedNames } from './orderednames.js';
import type { RolloutTally } from './tallies.js';
import type { ActionSource } from './types.js';
import {
  applySelect,
  compareNodeNames,
  type UpdateCandidate,
  type UpdateMode,
  type UpdatePolicy,
} from './updatepolicy.js';

/** A node to get a new pod, or a pod to delete, each with its reason. */
export interface RollingUpdateResult {
  readonly createOnNodes: readonly { readonly node: string; readonly reason: string }[];
  readonly deletePods: readonly {
    readonly pod: Pod;
    readonly node: string;
    readonly reason: string;
    readonly source: ActionSource;
  }[];
  /** Earliest time (epoch ms) a new pod becomes available and the update can move on, if any. */
  readonly requeueAt: number | null;
}

type Create = RollingUpdateResult['createOnNodes'][number];
type Delete = RollingUpdateResult['deletePods'][number];

function revisionOf(pod: Pod): string {
  return pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '<none>';
}

/** The rolling update's reasons, one function per kind of action. */
export const RU_REASON = {
  /** maxUnavailable mode: an unavailable old pod goes at once. */
  oldUnavailable: (old: Pod): string =>
    `old revision ${revisionOf(old)}, pod unavailable: replaced without budget`,
  /** maxUnavailable mode: an available old pod chosen within the budget. */
  withinUnavailable: (old: Pod, max: number): string =>
    `old revision ${revisionOf(old)}; within the maxUnavailable budget of ${max}`,
  /** Surge mode: an unavailable old pod on a node that should no longer run it. */
  oldUnavailableLeaving: (old: Pod): string =>
    `old revision ${revisionOf(old)}, pod unavailable on a node that should no longer run it`,
  /** Surge mode: a new pod beside an unavailable old one, without budget. */
  surgeUnavailable: (maxSurge: number): string =>
    `surge: old pod unavailable, new pod created without waiting for the maxSurge budget of ${maxSurge}`,
  /** Surge mode: the new pod is available, the old one goes. */
  newAvailable: (newPod: Pod, old: Pod): string =>
    `surge: new pod ${newPod.metadata?.name ?? ''} is available, old revision ${revisionOf(old)} goes`,
  /** Surge mode: an available old pod on a node the DaemonSet is leaving. */
  leaving: (numAvailable: number, desired: number): string =>
    `node no longer eligible and more pods available (${numAvailable}) than desired (${desired})`,
  /** Surge mode: a new pod beside an available old one, within the budget. */
  surgeCandidate: (maxSurge: number): string =>
    `surge: new pod beside the available old pod (maxSurge ${maxSurge})`,
} as const;

/** The kept state did not hold what the tally says (never expected; the incremental sync declines). */
export class RolloutStateError extends Error {
  override name = 'RolloutStateError';
}

/** What the modes read besides the tally: per-node lookups the caller answers from its state. */
export interface RolloutView {
  readonly tally: RolloutTally;
  /** The class of a node the tally names (its old and new pod). */
  readonly classOf: (node: string) => RolloutClass;
  /** NodeShouldRunDaemonPod's shouldRun (false for nodes not in the node list). */
  readonly shouldRun: (node: string) => boolean;
  /** True for nodes in the node list. */
  readonly listed: (node: string) => boolean;
  /** Membership of the policy's release set (releaseTest). */
  readonly released: (node: string) => boolean;
  /** The earliest time a Ready new pod becomes available (nodeclass.newPodRequeueAt), or null. */
  readonly requeueAt: number | null;
}

/** What the policy's select may read. */
export interface RolloutContext {
  readonly ds: DaemonSet;
  readonly hash: string;
  readonly now: number;
}

const ALL = (): boolean => true;

/** What the release test reads: the desired count, and (only when some are held) the rest. */
export interface ReleaseView {
  /** The nodes that should run a pod. */
  readonly desired: number;
  /**
   * Read only when the policy holds nodes back: how many desired nodes count as updated (their
   * oldest pod is at the update revision, statusShare's S_UPDATED), and the others, ordered.
   */
  readonly held: () => {
    readonly updated: number;
    readonly notUpdated: OrderedNames;
    /**
     * How many of the rolling update's candidates count as updated (outside notUpdated: a
     * candidate whose oldest pod, being deleted, is at the update revision), when the caller
     * counted them; 0 lets the candidate walk stop at the first unreleased one (choose).
     */
    readonly updatedCandidates?: number;
  };
}

/**
 * The release set's membership test over the nodes that should run a pod. The policy releases
 * `released(desired)` nodes at the front of its order, updated nodes counted first (so raising a
 * partition never rolls an updated node back and lowering it never churns one): every updated
 * node is released, then the first released − updated of the others in the policy's order.
 * Every node when all are released (nothing else is read); the order is read from whichever end
 * is shorter.
 */
export function releaseTest(policy: UpdatePolicy, view: ReleaseView): (node: string) => boolean {
  const r = policy.released(view.desired);
  if (r >= view.desired) return ALL;
  // Built on the first node asked about (a sync whose rolling update asks nothing reads no order).
  let test: ((node: string) => boolean) | undefined;
  let prefix = false;
  const lazy = (node: string): boolean => {
    if (test === undefined) {
      const held = view.held();
      test = heldTest(policy, held, r);
      prefix = held.updatedCandidates === 0;
    }
    return test(node);
  };
  PREFIX.set(lazy, () => prefix);
  return lazy;
}

/**
 * Whether a release test's released candidates come first in the policy's order (read after the
 * test answered once). releaseTest releases every updated node and the first released − updated
 * of `notUpdated` in that order (or all but its last); when no candidate counts as updated (the
 * caller counted them: updatedCandidates 0), every candidate is in `notUpdated`, so in the
 * policy's order the released candidates are a prefix, and choose() stops at the first
 * unreleased one instead of walking the rest (B6: a wave's release set walked past every node of
 * the later waves on each sync).
 */
const PREFIX = new WeakMap<(node: string) => boolean, () => boolean>();

function heldTest(
  policy: UpdatePolicy,
  held: ReturnType<ReleaseView['held']>,
  r: number,
): (node: string) => boolean {
  const { updated, notUpdated: order } = held;
  const rest = order.size;
  const k = Math.max(0, r - updated);
  if (k >= rest) return ALL;
  order.setOrder(policy.orderKey, policy.compare);
  if (k <= rest - k) {
    const front = new Set(order.first(k));
    return (node) => front.has(node) || !order.has(node);
  }
  const heldBack = new Set(order.last(rest - k));
  return (node) => !heldBack.has(node);
}

function oldPodOf(view: RolloutView, node: string): Pod {
  const old = view.classOf(node).oldPod;
  if (old === undefined) throw new RolloutStateError(`node ${node} holds no old pod`);
  return old;
}

/**
 * Up to n candidates that go now: nodes leaving first (by name; maxUnavailable mode only), then
 * released candidates in the policy's order, or the policy's own select over the same list.
 */
function choose(
  view: RolloutView,
  policy: UpdatePolicy,
  mode: UpdateMode,
  n: number,
  budget: Budget,
  cx: RolloutContext,
): string[] {
  if (n <= 0) return [];
  const { tally } = view;
  tally.candidates.setOrder(policy.orderKey, policy.compare);
  // A policy that holds everything (a pause) leaves old pods on leaving nodes alone too.
  const leaving = mode === 'maxUnavailable' && policy.holdAll !== true ? tally.leaving : undefined;
  if (policy.select !== undefined) {
    const list: UpdateCandidate[] = [];
    for (const node of leaving?.inOrder() ?? [])
      list.push({ node, oldPod: oldPodOf(view, node), shouldRun: false });
    for (const node of tally.candidates.inOrder())
      if (view.released(node)) list.push({ node, oldPod: oldPodOf(view, node), shouldRun: true });
    const ctx = { ds: cx.ds, mode, hash: cx.hash, now: cx.now, budget };
    return applySelect(policy.select, list, n, ctx).map((c) => c.node);
  }
  const out = leaving?.first(n) ?? [];
  if (out.length >= n) return out;
  const prefix = PREFIX.get(view.released);
  for (const node of tally.candidates.inOrder()) {
    if (!view.released(node)) {
      // Released candidates come first (PREFIX): none after this one.
      if (prefix?.() === true) break;
      continue;
    }
    out.push(node);
    if (out.length >= n) break;
  }
  return out;
}

function maxUnavailableMode(
  view: RolloutView,
  budget: Budget,
  policy: UpdatePolicy,
  cx: RolloutContext,
): RollingUpdateResult {
  const max = budget.maxUnavailable;
  const deletes: Delete[] = [];
  for (const node of view.tally.oldUnavailable.inOrder()) {
    if (view.shouldRun(node) ? !view.released(node) : policy.holdAll === true) continue;
    const old = oldPodOf(view, node);
    deletes.push({
      pod: old,
      node,
      source: 'rollingUpdate',
      reason: RU_REASON.oldUnavailable(old),
    });
  }
  // The count is order-independent (upstream's in-loop "budget used up" check only ever drops
  // candidates that the final count would not reach); only the choice among them is the policy's.
  const n = max - view.tally.unavailable;
  for (const node of choose(view, policy, 'maxUnavailable', n, budget, cx)) {
    const old = oldPodOf(view, node);
    deletes.push({
      pod: old,
      node,
      source: 'rollingUpdate',
      reason: RU_REASON.withinUnavailable(old, max),
    });
  }
  return { createOnNodes: [], deletePods: deletes, requeueAt: view.requeueAt };
}

/** Two name-ordered sequences merged in name order. */
function* mergeByName(a: Iterable<string>, b: Iterable<string>): Generator<string> {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  let x = ia.next();
  let y = ib.next();
  while (!x.done || !y.done) {
    if (y.done || (!x.done && compareNodeNames(x.value, y.value) <= 0)) {
      yield x.value as string;
      x = ia.next();
    } else {
      yield y.value;
      y = ib.next();
    }
  }
}

function surgeMode(
  view: RolloutView,
  budget: Budget,
  policy: UpdatePolicy,
  cx: RolloutContext,
): RollingUpdateResult {
  const { tally } = view;
  const { maxSurge, desired } = budget;
  if (tally.notListedOld > 0) {
    // §6.4 reads a node of the node list for every node holding only an old pod.
    let first: string | undefined;
    for (const node of mergeByName(tally.oldUnavailable.inOrder(), tally.leaving.inOrder())) {
      if (!view.listed(node)) {
        first = node;
        break;
      }
    }
    const pod = first === undefined ? undefined : view.classOf(first).oldPod;
    throw new Error(
      `rolling update: node "${first ?? ''}" of pod ${pod?.metadata?.name ?? ''} is not in the node list`,
    );
  }
  const creates: Create[] = [];
  const deletes: Delete[] = [];
  const unavailableLeaving: string[] = [];
  for (const node of tally.oldUnavailable.inOrder()) {
    if (!view.shouldRun(node)) {
      if (policy.holdAll !== true) unavailableLeaving.push(node);
    } else if (view.released(node))
      creates.push({ node, reason: RU_REASON.surgeUnavailable(maxSurge) });
  }
  for (const node of mergeByName(unavailableLeaving, tally.newAvailable.inOrder())) {
    const cls = view.classOf(node);
    const old = oldPodOf(view, node);
    deletes.push({
      pod: old,
      node,
      source: 'rollingUpdate',
      reason:
        cls.newPod === undefined
          ? RU_REASON.oldUnavailableLeaving(old)
          : RU_REASON.newAvailable(cls.newPod, old),
    });
  }
  // Remove pods from nodes the DaemonSet is leaving only while more are available than desired,
  // so that availability holds when constraints move (upstream keeps list order; ours is by name).
  const numAvailable = tally.available;
  const leavingNow = policy.holdAll === true ? 0 : numAvailable - desired;
  for (const node of tally.leaving.first(leavingNow)) {
    deletes.push({
      pod: oldPodOf(view, node),
      node,
      source: 'rollingUpdate',
      reason: RU_REASON.leaving(numAvailable, desired),
    });
  }
  for (const node of choose(view, policy, 'surge', maxSurge - tally.surge, budget, cx))
    creates.push({ node, reason: RU_REASON.surgeCandidate(maxSurge) });
  return { createOnNodes: creates, deletePods: deletes, requeueAt: view.requeueAt };
}

/**
 * The rolling update over a tally: maxSurge 0 deletes unavailable old pods at once and available
 * ones within maxUnavailable, and creates nothing (manage refills); maxSurge > 0 creates new pods
 * beside old ones within maxSurge (at once where the old pod is unavailable) and deletes old pods
 * whose new pod is available. Only nodes in the policy's release set (and nodes that should not
 * run the pod) are updated. Throws Error in surge mode when a node holding only an old pod is not
 * in the node list, and RolloutStateError when a lookup does not match the tally.
 */
export function runRollingUpdate(
  view: RolloutView,
  budget: Budget,
  policy: UpdatePolicy,
  cx: RolloutContext,
): RollingUpdateResult {
  return budget.maxSurge === 0
    ? maxUnavailableMode(view, budget, policy, cx)
    : surgeMode(view, budget, policy, cx);
}
