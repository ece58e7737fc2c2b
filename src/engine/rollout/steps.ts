/**
 * What the steps of a rollout (waves.ts) mean for the update policy (engine/updatepolicy.ts):
 * the node order, its key, the release set, and the budget of the step open now.
 *
 * Progress is derived, not stored, except for two integers the caller keeps in status (see
 * docs/adr/2026-12-07-rollout-state-issue-12.md): the highest step opened so far (opening is
 * monotonic) and the highest step a promote control released.
 */
import { getScaledValue } from '../../api/intstr.js';
import type { IntOrString } from '../../api/types.js';
import { compareNodeNames } from '../updatepolicy.js';
import type { RolloutStep } from './waves.js';

/** The rollout order of a list of steps, in the shape UpdatePolicy wants. */
export interface StepOrder {
  /** Step index of each node named in a step. */
  readonly stepOf: ReadonlyMap<string, number>;
  /**
   * A total order over any node names: by step, then natural name order; names in no step (a
   * node that joined after the steps were built) after every named one, in natural order.
   */
  readonly compare: (a: string, b: string) => number;
  /** Changes whenever the assignment of names to steps does (a 64-bit FNV-1a of it). */
  readonly orderKey: string;
  /** How many nodes steps 0..index hold: the release set when step `index` is open. */
  readonly releasedThrough: (index: number) => number;
}

function fnv1a(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Builds the order of `steps` (StepOrder); O(nodes) plus the hash of every name. */
export function stepOrder(steps: readonly RolloutStep[]): StepOrder {
  const stepOf = new Map<string, number>();
  const prefix: number[] = [];
  let total = 0;
  let key = '';
  steps.forEach((s, i) => {
    for (const n of s.nodes) if (!stepOf.has(n)) stepOf.set(n, i);
    total += s.nodes.length;
    prefix.push(total);
    key += `${s.name}\u0000${s.nodes.join('\u0000')}\u0001`;
  });
  const orderKey = `steps:${fnv1a(key, 0x811c9dc5).toString(16)}${fnv1a(key, 0x1b873593).toString(16)}`;
  // By step, then natural name order: a named node's place in the steps flattened (a step's
  // nodes are in natural order, RolloutStep.nodes) says both, so sorting the candidates
  // compares no names (B6); names in no step come after, in natural order.
  const place = new Map<string, number>();
  for (const s of steps) for (const n of s.nodes) if (!place.has(n)) place.set(n, place.size);
  return {
    stepOf,
    compare: (a, b) => {
      const pa = place.get(a);
      const pb = place.get(b);
      if (pa !== undefined && pb !== undefined) return pa - pb;
      if (pa !== undefined) return -1;
      if (pb !== undefined) return 1;
      return compareNodeNames(a, b);
    },
    orderKey,
    releasedThrough: (index) => (index < 0 ? 0 : (prefix[Math.min(index, prefix.length - 1)] ?? 0)),
  };
}

/**
 * The maxUnavailable of a step: the smaller of the DaemonSet's (already resolved) and the step's
 * own, scaled against the step's size and rounded up, at least 1 unless maxSurge > 0. A step
 * without its own value, or with a malformed one (reported by assignWaves' caller's validation),
 * uses the DaemonSet's.
 */
export function stepMaxUnavailable(
  dsMaxUnavailable: number,
  dsMaxSurge: number,
  own: IntOrString | undefined,
  stepSize: number,
): number {
  if (own === undefined) return dsMaxUnavailable;
  let scaled: number;
  try {
    scaled = getScaledValue(own, stepSize, true);
  } catch {
    return dsMaxUnavailable;
  }
  if (scaled === 0 && dsMaxSurge === 0) scaled = 1;
  return Math.min(dsMaxUnavailable, scaled);
}

/**
 * The rolling update's budget under the open step's cap (UpdatePolicy.maxUnavailableCap, set by
 * the steps stage): the smaller maxUnavailable counts. Both planning paths' rolling updates call it.
 */
export function cappedBudget<B extends { readonly maxUnavailable: number }>(
  budget: B,
  cap: number | undefined,
): B {
  return cap === undefined || cap >= budget.maxUnavailable
    ? budget
    : { ...budget, maxUnavailable: cap };
}

/** One node's state as step progress reads it. */
export interface StepNodeState {
  /** Runs an update-revision pod. */
  readonly updated: boolean;
  /** That pod is available (minReadySeconds). */
  readonly available: boolean;
  /**
   * Epoch ms since when that pod has been healthy: available, and no container restarted since
   * (healthgates.podHealthySince). Missing while available reads as now (the bake starts over).
   */
  readonly healthySince?: number;
  /** Not waited for (an impaired node under RolloutOnly); still in the release set. */
  readonly skip?: boolean;
}

/** What step progress needs: the steps, each node's state, the two kept integers, the clock. */
export interface StepProgressInput {
  readonly steps: readonly RolloutStep[];
  readonly state: (node: string) => StepNodeState;
  /** The highest step opened so far (status); 0 when the rollout starts. */
  readonly openedThrough: number;
  /** The highest step a promote control released (status); -1 when none. */
  readonly promotedThrough: number;
  readonly now: number;
  /**
   * Pauses that stopped the bake of the step open when the rollout was held (outcome.ts
   * BakeHeld, kept in the record): `step` is that step's index, `ms` the held time counted so
   * far, `until` the end of the last pause, `pausedFrom` the start of a pause ending now.
   */
  readonly bakeHeld?:
    | {
        readonly step: number;
        readonly ms: number;
        readonly until?: number | undefined;
        readonly pausedFrom?: number | undefined;
      }
    | undefined;
}

/** Where a rollout with steps stands. */
export interface StepProgress {
  /** The step open now; the release set is steps 0..index. -1 when there are no steps. */
  readonly index: number;
  /** Nodes in steps 0..index (UpdatePolicy.released). */
  readonly released: number;
  /**
   * Updating: the open step's nodes are not all updated and available. Baking: they are, and
   * bakeUntil is ahead. AwaitingPromotion: baked, Manual, not promoted. Complete: the last step
   * is updated, available and baked.
   */
  readonly state: 'Updating' | 'Baking' | 'AwaitingPromotion' | 'Complete';
  /** The open step's nodes that are updated, and its size (status.rollout.wave). */
  readonly updated: number;
  readonly size: number;
  /** While Baking: when the bake ends (epoch ms); the caller requeues then. */
  readonly bakeUntil?: number;
  /** While the step held before (bakeHeld.step) bakes: the held time its bake skips, to keep. */
  readonly bakeHeld?: { readonly ms: number; readonly until: number };
}

/** How many nodes of a step run an update pod, and how many it still waits for. */
export interface StepCounts {
  readonly updated: number;
  /** Nodes not skipped that are not updated, or whose update pod is not available. */
  readonly waiting: number;
}

/** One node's share of its step's counts: bit 1 updated, bit 2 waited for. */
export function stepShare(s: StepNodeState): number {
  return (s.updated ? 1 : 0) | (!s.skip && (!s.updated || !s.available) ? 2 : 0);
}

/** A step's counts, reading each node's state once. */
export function stepCounts(step: RolloutStep, state: (node: string) => StepNodeState): StepCounts {
  let updated = 0;
  let waiting = 0;
  for (const n of step.nodes) {
    const share = stepShare(state(n));
    updated += share & 1;
    waiting += share >> 1;
  }
  return { updated, waiting };
}

/**
 * What a step's bake start is made of: the newest known healthy-since of its nodes that are
 * updated, available and not skipped (-Infinity: none), and whether one of them has none.
 */
export interface StepBake {
  readonly newest: number;
  readonly unknown: boolean;
}

/** Reads a step's nodes for its bake (StepBake). */
export function stepBake(step: RolloutStep, state: (node: string) => StepNodeState): StepBake {
  let newest = -Infinity;
  let unknown = false;
  for (const n of step.nodes) {
    const s = state(n);
    if (s.skip || !s.updated || !s.available) continue;
    if (s.healthySince === undefined) unknown = true;
    else newest = Math.max(newest, s.healthySince);
  }
  return { newest, unknown };
}

/**
 * When a step none of whose nodes is waited for started baking: the newest healthy-since of its
 * nodes not skipped, an unknown one reading as now; -Infinity when every node is skipped.
 */
function bakeStart(b: StepBake, now: number): number {
  return b.unknown ? Math.max(b.newest, now) : b.newest;
}

/**
 * The time a bake that started at `start` skips because the rollout was paused or suspended
 * (spec §3.1: the bake clock stops): what was counted for it before, if the bake began before
 * the last pause ended (a bake that began later owes nothing), plus, when a pause ends now and
 * the bake had not ended when it began, the pause from the later of its start and the bake's
 * (whole seconds, rounded up). Undefined: none.
 */
function heldTime(
  h: NonNullable<StepProgressInput['bakeHeld']>,
  start: number,
  step: RolloutStep,
  now: number,
): { ms: number; until: number } | undefined {
  let ms = h.until !== undefined && start < h.until ? h.ms : 0;
  let until = h.until ?? now;
  if (h.pausedFrom !== undefined) {
    // A bake that had not ended when the pause began stood still until now.
    const end = start + step.bakeSeconds * 1000 + ms;
    const overlap = end > h.pausedFrom ? now - Math.max(h.pausedFrom, start) : 0;
    if (overlap > 0) ms += Math.ceil(overlap / 1000) * 1000;
    until = now;
  }
  return ms > 0 ? { ms, until } : undefined;
}

/**
 * Walks the steps from `openedThrough` as waves.ts's header says and returns the step open now;
 * never an index below `openedThrough` (clamped to the steps). A step's counts, and its bake once
 * nothing is waited for, come from `counts` and `bake` when given (kept between syncs:
 * KeptStepCounts), else from reading its nodes' states. A sync costs the steps it walks.
 */
export function stepProgress(
  input: StepProgressInput,
  counts?: (index: number) => StepCounts,
  bake?: (index: number) => StepBake,
): StepProgress {
  const { steps, now } = input;
  if (steps.length === 0) return { index: -1, released: 0, state: 'Complete', updated: 0, size: 0 };
  const from = Math.min(Math.max(0, input.openedThrough), steps.length - 1);
  let released = 0;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    released += step.nodes.length;
    if (i < from) continue;
    const c = counts?.(i) ?? stepCounts(step, input.state);
    const here = { index: i, released, updated: c.updated, size: step.nodes.length };
    if (c.waiting > 0) return { ...here, state: 'Updating' };
    const b = bake?.(i) ?? stepBake(step, input.state);
    const start = bakeStart(b, now);
    const held =
      input.bakeHeld?.step === i ? heldTime(input.bakeHeld, start, step, now) : undefined;
    const bakeUntil = start + step.bakeSeconds * 1000 + (held?.ms ?? 0);
    if (now < bakeUntil)
      return {
        ...here,
        state: 'Baking',
        bakeUntil,
        ...(held !== undefined ? { bakeHeld: held } : {}),
      };
    if (i === steps.length - 1) return { ...here, state: 'Complete' };
    if (step.promotion === 'Manual' && input.promotedThrough < i)
      return { ...here, state: 'AwaitingPromotion' };
  }
  // Unreachable: the last step returns above; kept for the type checker.
  return { index: steps.length - 1, released, state: 'Complete', updated: 0, size: 0 };
}
