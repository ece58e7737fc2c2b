/**
 * "Which nodes may change next": the update policy, an input of the rolling update that both the
 * full reconcile and the incremental sync pass on (docs/adr/2026-12-07-rollout-rules-in-the-engine.md).
 *
 * Upstream visits nodes in Go map order, which is random, so which nodes a rollout touches first
 * is undefined (only the counts are). everynode replaces that with a stable, documented order, so
 * that `everynode plan`, simulations and real rollouts all agree, and so that features to come
 * (partition, canary nodes, waves, pause) have one seam: a policy is
 *
 * - an order over the nodes (`compare`, over node names: canary nodes first, wave by wave, ...),
 * - a release set: how many nodes at the front of that order, counted over the nodes that should
 *   run the pod, may be updated now (`released`; a partition holds back the tail; a pause
 *   releases none and holds old pods on leaving nodes too, `holdAll`),
 * - optionally a free choice among the released candidates (`select`), which only the full
 *   reconcile can run: the incremental sync declines such a policy ('policy').
 *
 * The default policy (defaultUpdatePolicy) releases every node, in this order:
 *
 * 1. Old pods that are not available are not candidates: both modes replace them at once,
 *    without budget, because replacing them costs no availability. In effect they go first.
 * 2. Nodes where the DaemonSet should no longer run (shouldRun false) come next. Their old pod is
 *    leaving anyway, and removing it leaves no eligible node without a pod. They are outside the
 *    rollout order and never held back.
 * 3. Then nodes by name in natural order (node-2 before node-10), the order a person reading
 *    `kubectl get nodes` expects; equal natural keys fall back to plain code-unit order.
 */
import type { DaemonSet, Pod } from '../api/types.js';
import type { Budget } from './budget.js';

/** Which arithmetic the rolling update runs: maxSurge 0, or maxSurge > 0. */
export type UpdateMode = 'maxUnavailable' | 'surge';

/** A node whose old, available pod the rolling update could replace now, if the budget allows. */
export interface UpdateCandidate {
  readonly node: string;
  /** The old-revision pod that would be replaced (deleted, or joined by a surge pod). */
  readonly oldPod: Pod;
  /** NodeShouldRunDaemonPod's shouldRun for the node (false also for nodes not in the node list). */
  readonly shouldRun: boolean;
}

/** What a policy's select may look at besides the candidates. */
export interface UpdatePolicyContext {
  readonly ds: DaemonSet;
  readonly mode: UpdateMode;
  readonly hash: string;
  readonly now: number;
  readonly budget: Budget;
}

/** The update policy: the rollout's node order and release set (this module's header). */
export interface UpdatePolicy {
  /** Names the policy in plans, logs and tests. */
  readonly name: string;
  /**
   * The rollout order over node names, negative when a goes first: a total order that depends
   * on the names (and the policy's own data) only, so a kept ordered set stays sorted.
   */
  readonly compare: (a: string, b: string) => number;
  /** Names `compare`: two policies with the same key order nodes the same way. */
  readonly orderKey: string;
  /**
   * The size of the release set: how many nodes at the front of the order, over the nodes that
   * should run the pod (`desired` of them), may be updated now. desired or more releases all.
   */
  readonly released: (desired: number) => number;
  /**
   * Hold everything (a pause): besides the nodes outside the release set, old pods on nodes
   * that should no longer run the DaemonSet but may keep their pod (shouldContinueRunning) are
   * left alone too, since only the update would remove them. Pods manage removes (nodes that may
   * not keep a pod) still go.
   */
  readonly holdAll?: boolean;
  /**
   * A cap on maxUnavailable for this sync (the open wave's, engine/rollout/stage.ts): the rolling
   * update uses the smaller of it and the DaemonSet's resolved maxUnavailable.
   */
  readonly maxUnavailableCap?: number;
  /**
   * A free choice among the candidates (leaving nodes first, then released ones in order) for
   * policies that are not an order and a release set; at most `budget` are kept, only real
   * candidates, no repeats. The incremental sync declines a policy that has one.
   */
  readonly select?: (
    candidates: readonly UpdateCandidate[],
    budget: number,
    ctx: UpdatePolicyContext,
  ) => readonly UpdateCandidate[];
}

/** True for a code unit '0'-'9'. */
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Natural order of names: digit runs compare as numbers, other runs as text; a total order that is
 * consistent across runs and machines (no locale). Names equal under it compare by code units.
 *
 * Walks both names run by run in place: it allocates nothing, since every sort of node names
 * (candidate orders, canary picks, status lists) calls it n log n times (B6). A name is split
 * into maximal digit and non-digit runs; the first pair of runs that differ decides: two digit
 * runs by value (leading zeros ignored, then length, then digits), otherwise as text by code
 * units (a run that is a prefix of the other comes first); then the name with fewer runs.
 */
export function compareNodeNames(a: string, b: string): number {
  if (a === b) return 0;
  const la = a.length;
  const lb = b.length;
  let i = 0;
  let j = 0;
  while (i < la && j < lb) {
    const ad = isDigit(a.charCodeAt(i));
    const bd = isDigit(b.charCodeAt(j));
    let ie = i + 1;
    while (ie < la && isDigit(a.charCodeAt(ie)) === ad) ie++;
    let je = j + 1;
    while (je < lb && isDigit(b.charCodeAt(je)) === bd) je++;
    if (ad && bd) {
      // By value without Number overflow: skip leading zeros, then length, then digits.
      let is = i;
      while (is < ie && a.charCodeAt(is) === 48) is++;
      let js = j;
      while (js < je && b.charCodeAt(js) === 48) js++;
      const xl = ie - is;
      const yl = je - js;
      if (xl !== yl) return xl < yl ? -1 : 1;
      for (let k = 0; k < xl; k++) {
        const d = a.charCodeAt(is + k) - b.charCodeAt(js + k);
        if (d !== 0) return d < 0 ? -1 : 1;
      }
    } else {
      const xl = ie - i;
      const yl = je - j;
      const m = xl < yl ? xl : yl;
      for (let k = 0; k < m; k++) {
        const d = a.charCodeAt(i + k) - b.charCodeAt(j + k);
        if (d !== 0) return d < 0 ? -1 : 1;
      }
      if (xl !== yl) return xl < yl ? -1 : 1;
    }
    i = ie;
    j = je;
  }
  // Equal so far: more runs left means more runs in all.
  if (i < la) return 1;
  if (j < lb) return -1;
  return a < b ? -1 : 1;
}

/** Sorts names in place in compareNodeNames order. */
export function sortNodeNames(names: string[]): string[] {
  if (names.length < 2) return names;
  return names.sort(compareNodeNames);
}

/** The default policy: every node released, natural name order (this module's header). */
export const defaultUpdatePolicy: UpdatePolicy = Object.freeze({
  name: 'default',
  compare: compareNodeNames,
  orderKey: 'natural',
  released: (desired: number) => desired,
});

/**
 * A partition-like policy: the last `n` nodes of the natural order (over the nodes that should
 * run the pod) are held back; the rest roll out as with the default. n = 0 is the default.
 */
export function holdBackLast(n: number): UpdatePolicy {
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`holdBackLast: expected an integer >= 0, got ${n}`);
  return Object.freeze({
    name: `holdBackLast(${n})`,
    compare: compareNodeNames,
    orderKey: 'natural',
    released: (desired: number) => Math.max(0, desired - n),
  });
}

/**
 * Applies a policy's select with its guarantees enforced: only real candidates, no duplicates,
 * at most `budget` of them.
 */
export function applySelect(
  select: NonNullable<UpdatePolicy['select']>,
  candidates: readonly UpdateCandidate[],
  budget: number,
  ctx: UpdatePolicyContext,
): UpdateCandidate[] {
  const n = Math.max(0, Math.min(budget, candidates.length));
  if (n === 0) return [];
  const allowed = new Set(candidates);
  const chosen: UpdateCandidate[] = [];
  for (const c of select(candidates, n, ctx)) {
    if (chosen.length >= n) break;
    if (allowed.delete(c)) chosen.push(c);
  }
  return chosen;
}
