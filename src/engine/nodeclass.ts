/**
 * Per-node classes: what one node's pods are with respect to the update revision, as the status
 * counters (§9.1) and the rolling update (§6.2–6.4) see them. Each is a small integer of bits, a
 * function of the node's eligibility and its own pods only (and the clock), so the full reconcile
 * computes it for every node of a snapshot and the incremental sync keeps it per node from change
 * logs (controller/syncstate.ts). The counts and candidate sets built from the classes are
 * tallies.ts; the rules that read them are status.ts and rolloutmodes.ts.
 */
import {
  compareOldestFirst,
  isPodAvailable,
  isPodReady,
  isPodUpdated,
  podReadySince,
} from '../api/pod.js';
import { isNodeImpaired } from '../api/nodeimpairment.js';
import type { Node, Pod } from '../api/types.js';

/** What a node's class depends on besides its eligibility and pods. */
export interface ClassContext {
  readonly hash: string;
  /** The template generation (IsPodUpdated's fallback), templateGenerationOf(ds). */
  readonly generation: string | undefined;
  readonly minReadySeconds: number;
  readonly now: number;
  /**
   * The update revision's hash, when the rolling update drives nodes elsewhere (`hash` is then
   * the stable revision's: an aborted rollout going back). The status counters (statusShare)
   * count pods at the update revision; the rolling-update classes count pods at `hash`.
   */
  readonly statusHash?: string;
  /** The template generation for statusShare when statusHash is set. */
  readonly statusGeneration?: string | undefined;
}

// Status shares (§9.1): each counter is 0 or 1 per node.
/** The node should run a pod: counted in desiredNumberScheduled. */
export const S_DESIRED = 1;
/** ...and has one: currentNumberScheduled. */
export const S_CURRENT = 2;
/** The node should not run a pod but has one: numberMisscheduled. */
export const S_MISSCHEDULED = 4;
/** The oldest pod of a desired node is Ready: numberReady. */
export const S_READY = 8;
/** ...and available (minReadySeconds): numberAvailable. */
export const S_AVAILABLE = 16;
/** The oldest pod of a desired node is on the update revision: updatedNumberScheduled. */
export const S_UPDATED = 32;

/**
 * A node's share of the status counters (§9.1): only nodes in the node list count (elig given),
 * and only their oldest pod. `pods`: the node's entry of the node→pods map.
 */
export function statusShare(
  shouldRun: boolean,
  pods: readonly Pod[] | undefined,
  cx: ClassContext,
): number {
  const hasPods = pods !== undefined && pods.length > 0;
  if (!shouldRun) return hasPods ? S_MISSCHEDULED : 0;
  if (!hasPods) return S_DESIRED;
  let p = pods[0]!;
  for (let i = 1; i < pods.length; i++) if (compareOldestFirst(pods[i]!, p) < 0) p = pods[i]!;
  let bits = S_DESIRED | S_CURRENT;
  if (isPodReady(p)) {
    bits |= S_READY;
    if (cx.minReadySeconds <= 0 || isPodAvailable(p, cx.minReadySeconds, cx.now))
      bits |= S_AVAILABLE;
  }
  const updated =
    cx.statusHash === undefined
      ? isPodUpdated(p, cx.hash, cx.generation)
      : isPodUpdated(p, cx.statusHash, cx.statusGeneration);
  if (updated) bits |= S_UPDATED;
  return bits;
}

// Impairment shares (shared/spec/rollout-features.md §3.8), above the rolling-update bits.
/** A desired node that is impaired and has no available pod: numberUnavailableNodeCaused. */
export const S_NODE_CAUSED = 8192;
/** A desired node that is impaired and whose oldest pod is not updated (RolloutOnly completion). */
export const S_IMPAIRED_OLD = 16384;

/**
 * The impairment bits of a node with status share `share`: looked at only for a desired node
 * that is not both updated and available, so a settled fleet costs nothing.
 */
export function impairmentShare(share: number, node: Node | undefined): number {
  if ((share & S_DESIRED) === 0 || node === undefined) return 0;
  const available = (share & S_AVAILABLE) !== 0;
  const updated = (share & S_UPDATED) !== 0;
  if ((available && updated) || !isNodeImpaired(node).impaired) return 0;
  return (available ? 0 : S_NODE_CAUSED) | (updated ? 0 : S_IMPAIRED_OLD);
}

// Rolling-update classes (§6.2 findUpdatedPodsOnNode, then each mode's per-node test).
/** maxUnavailable mode counts the node in numUnavailable. */
export const R_UNAVAILABLE = 64;
/** Surge mode counts the node in numSurge. */
export const R_SURGE = 128;
/** Surge mode counts the node in numAvailable. */
export const R_AVAILABLE = 256;
/** Only an old pod, available: a candidate (or, where the pod should not run, leaving). */
export const R_OLD_AVAILABLE = 512;
/** Only an old pod, not available: replaced without budget. */
export const R_OLD_UNAVAILABLE = 1024;
/** An old pod and an available new one: surge mode deletes the old pod. */
export const R_NEW_AVAILABLE = 2048;
/** The node is not in the node list and holds only an old pod: surge mode fails there. */
export const R_NOT_LISTED_OLD = 4096;
/** All rolling-update bits (above the status shares). */
export const R_MASK = 8191 & ~63;

/** A node's rolling-update class: its bits, and the pods they are about. */
export interface RolloutClass {
  readonly bits: number;
  /** The live old-revision pod, when there is exactly one (and at most one new one). */
  readonly oldPod: Pod | undefined;
  /** The live update-revision pod, likewise. */
  readonly newPod: Pod | undefined;
}

const NONE: RolloutClass = Object.freeze({ bits: 0, oldPod: undefined, newPod: undefined });
const UNAVAILABLE: RolloutClass = Object.freeze({
  bits: R_UNAVAILABLE,
  oldPod: undefined,
  newPod: undefined,
});

// Not ok (§6.2): the node's pods are not looked at further, none is waited on.
const DUPLICATES: RolloutClass = Object.freeze({
  bits: R_UNAVAILABLE | R_SURGE,
  oldPod: undefined,
  newPod: undefined,
});

/**
 * The rolling update's view of one node of the map (§6.2): at most one live new and one live old
 * pod, or not ok (duplicates: counted unavailable and as surging, manage acts there first), and
 * for each mode what the node counts as and what may happen there. `pods`: the node's map entry
 * (terminating pods are skipped here); `listed`: the node is in the node list. A node that should
 * run a pod and has no entry is classed with `pods` empty.
 */
export function rolloutClass(
  pods: readonly Pod[],
  listed: boolean,
  cx: ClassContext,
): RolloutClass {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    if (isPodUpdated(pod, cx.hash, cx.generation)) {
      if (newPod !== undefined) return DUPLICATES;
      newPod = pod;
    } else {
      if (oldPod !== undefined) return DUPLICATES;
      oldPod = pod;
    }
  }
  if (oldPod === undefined && newPod === undefined) return UNAVAILABLE;
  const min = cx.minReadySeconds;
  const newAvailable = newPod !== undefined && isPodAvailable(newPod, min, cx.now);
  if (oldPod === undefined) {
    return { bits: newAvailable ? R_AVAILABLE : R_UNAVAILABLE, oldPod, newPod };
  }
  const oldAvailable = isPodAvailable(oldPod, min, cx.now);
  let bits = oldAvailable ? R_AVAILABLE : 0;
  if (newPod === undefined) {
    bits |= oldAvailable ? R_OLD_AVAILABLE : R_OLD_UNAVAILABLE | R_UNAVAILABLE;
    if (!listed) bits |= R_NOT_LISTED_OLD;
  } else {
    // Mid-replacement: maxUnavailable mode counts it unavailable; surge mode waits or deletes.
    bits |= R_UNAVAILABLE | (newAvailable ? R_NEW_AVAILABLE : R_SURGE);
  }
  return { bits, oldPod, newPod };
}

/** The class of a node with no pods in the map (only nodes that should run one are visited). */
export const EMPTY_NODE_CLASS: RolloutClass = UNAVAILABLE;

/** The class of a node the rolling update does not visit. */
export const UNVISITED_NODE_CLASS: RolloutClass = NONE;

/**
 * The rolling-update class of any node: the rolling update visits every node of the node→pods
 * map (`pods` non-empty) and every node that should run a pod but has none (EMPTY_NODE_CLASS);
 * any other node is UNVISITED_NODE_CLASS. `elig` undefined: the node is not in the node list.
 */
export function nodeRolloutClass(
  pods: readonly Pod[],
  elig: { readonly shouldRun: boolean } | undefined,
  cx: ClassContext,
): RolloutClass {
  if (pods.length > 0) return rolloutClass(pods, elig !== undefined, cx);
  return elig?.shouldRun ? EMPTY_NODE_CLASS : UNVISITED_NODE_CLASS;
}

/**
 * When a live new pod that is Ready but not yet available becomes available, so that the rolling
 * update can move on (strictly after ready + minReadySeconds), or null when it is not waiting.
 */
export function newPodRequeueAt(pod: Pod | undefined, cx: ClassContext): number | null {
  if (pod === undefined || cx.minReadySeconds <= 0 || !isPodReady(pod)) return null;
  if (isPodAvailable(pod, cx.minReadySeconds, cx.now)) return null;
  const since = podReadySince(pod);
  if (since === undefined) return null;
  const at = since + cx.minReadySeconds * 1000 + 1;
  return at > cx.now ? at : null;
}

/**
 * The earliest newPodRequeueAt over the new pods of some nodes' classes (the rolling update's
 * requeueAt), or null.
 */
export function earliestRequeueAt(
  classes: Iterable<RolloutClass>,
  cx: ClassContext,
): number | null {
  let best: number | null = null;
  for (const cls of classes) {
    const at = newPodRequeueAt(cls.newPod, cx);
    if (at !== null && (best === null || at < best)) best = at;
  }
  return best;
}

/** The delay a plan asks to be requeued after for a rolling update's requeueAt (at least 1 ms). */
export function requeueDelay(requeueAt: number | null, now: number): number | null {
  return requeueAt === null ? null : Math.max(1, requeueAt - now);
}

/** True when some pod of the node is Ready but not yet available: its classes change with time. */
export function changesWithTime(pods: readonly Pod[], cx: ClassContext): boolean {
  if (cx.minReadySeconds <= 0) return false;
  for (const p of pods)
    if (isPodReady(p) && !isPodAvailable(p, cx.minReadySeconds, cx.now)) return true;
  return false;
}
