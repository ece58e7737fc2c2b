/**
 * "Which nodes may change next": the one policy function of the rolling update.
 *
 * Upstream visits nodes in Go map order, which is random, so which nodes a rollout touches first
 * is undefined (only the counts are). everynode replaces that with a stable, documented order, so
 * that `everynode plan`, simulations and real rollouts all agree, and so that features to come
 * (partition, canary nodes, waves, pause) have a single seam to wrap or replace: they receive the
 * same candidates and budget and return the ones that go now.
 *
 * The order of `selectUpdateCandidates`:
 *
 * 1. Old pods that are not available never reach this function: both modes replace them at once,
 *    without budget, because replacing them costs no availability. In effect they go first.
 * 2. Nodes where the DaemonSet should no longer run (shouldRun false) come next. Their old pod is
 *    leaving anyway, and removing it leaves no eligible node without a pod.
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

/** What a policy may look at besides the candidates. */
export interface UpdatePolicyContext {
  readonly ds: DaemonSet;
  readonly mode: UpdateMode;
  readonly hash: string;
  readonly now: number;
  readonly budget: Budget;
}

/**
 * A policy: given the candidates and how many may go now (`budget` ≥ 0), returns the ones that go,
 * in the order they go. The rolling update keeps only returned items that were candidates and at
 * most `budget` of them, so a faulty policy can never exceed the budget.
 */
export type UpdatePolicy = (
  candidates: readonly UpdateCandidate[],
  budget: number,
  ctx: UpdatePolicyContext,
) => readonly UpdateCandidate[];

const CHUNK = /(\d+)|(\D+)/g;

/**
 * Natural order of names: digit runs compare as numbers, other runs as text; a total order that is
 * consistent across runs and machines (no locale). Names equal under it compare by code units.
 */
export function compareNodeNames(a: string, b: string): number {
  return compareChunks(a.match(CHUNK) ?? [], b.match(CHUNK) ?? [], a, b);
}

/** compareNodeNames on names already split into digit and non-digit runs. */
function compareChunks(ca: readonly string[], cb: readonly string[], a: string, b: string): number {
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n; i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    const xd = x.charCodeAt(0) >= 48 && x.charCodeAt(0) <= 57;
    const yd = y.charCodeAt(0) >= 48 && y.charCodeAt(0) <= 57;
    if (xd && yd) {
      // Compare digit runs by value without Number overflow: strip zeros, then length, then text.
      const xs = x.replace(/^0+/, '');
      const ys = y.replace(/^0+/, '');
      if (xs.length !== ys.length) return xs.length - ys.length;
      if (xs !== ys) return xs < ys ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  if (ca.length !== cb.length) return ca.length - cb.length;
  return a === b ? 0 : a < b ? -1 : 1;
}

/**
 * Sorts names in place in compareNodeNames order (the same result), splitting each name once
 * rather than twice per comparison.
 */
export function sortNodeNames(names: string[]): string[] {
  if (names.length < 2) return names;
  const keyed = names.map((name) => ({ name, chunks: name.match(CHUNK) ?? [] }));
  keyed.sort((x, y) => compareChunks(x.chunks, y.chunks, x.name, y.name));
  for (let i = 0; i < keyed.length; i++) names[i] = keyed[i]!.name;
  return names;
}

/** The default policy: the order in this module's header, then the first `budget` candidates. */
export const selectUpdateCandidates: UpdatePolicy = (candidates, budget) => {
  if (budget <= 0) return [];
  const ordered = [...candidates].sort((x, y) => {
    if (x.shouldRun !== y.shouldRun) return x.shouldRun ? 1 : -1;
    return compareNodeNames(x.node, y.node);
  });
  return ordered.slice(0, budget);
};

/**
 * Applies a policy with its guarantees enforced: only real candidates, no duplicates, at most
 * `budget` of them.
 */
export function applyUpdatePolicy(
  policy: UpdatePolicy,
  candidates: readonly UpdateCandidate[],
  budget: number,
  ctx: UpdatePolicyContext,
): UpdateCandidate[] {
  const n = Math.max(0, Math.min(budget, candidates.length));
  if (n === 0) return [];
  const allowed = new Set(candidates);
  const chosen: UpdateCandidate[] = [];
  for (const c of policy(candidates, n, ctx)) {
    if (chosen.length >= n) break;
    if (allowed.delete(c)) chosen.push(c);
  }
  return chosen;
}
