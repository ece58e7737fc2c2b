/**
 * Counts and candidate sets over per-node classes (nodeclass.ts): what the status counters and
 * the rolling update's modes read. A tally takes a node's class bits in and out one node at a
 * time, so the full reconcile fills one from a scan of every node and the incremental sync keeps
 * one between syncs from change logs; the rules that read them (status.ts, rolloutmodes.ts) are
 * the same for both.
 */
import type { DaemonSetStatus } from '../api/types.js';
import {
  R_AVAILABLE,
  R_NEW_AVAILABLE,
  R_NOT_LISTED_OLD,
  R_OLD_AVAILABLE,
  R_OLD_UNAVAILABLE,
  R_SURGE,
  R_UNAVAILABLE,
  S_AVAILABLE,
  S_CURRENT,
  S_DESIRED,
  S_IMPAIRED_OLD,
  S_NODE_CAUSED,
  S_MISSCHEDULED,
  S_READY,
  S_UPDATED,
} from './nodeclass.js';
import { OrderedNames } from './orderednames.js';

/** The status counters (§9.1) as sums of node shares; numberUnavailable is derived. */
export interface StatusTally {
  desired: number;
  current: number;
  misscheduled: number;
  ready: number;
  available: number;
  updated: number;
  /** Desired nodes impaired with no available pod (nodeclass.S_NODE_CAUSED). */
  nodeCaused: number;
  /** Desired nodes impaired whose oldest pod is not updated (nodeclass.S_IMPAIRED_OLD). */
  impairedOld: number;
}

/** A tally of no nodes. */
export function emptyStatusTally(): StatusTally {
  return {
    desired: 0,
    current: 0,
    misscheduled: 0,
    ready: 0,
    available: 0,
    updated: 0,
    nodeCaused: 0,
    impairedOld: 0,
  };
}

/** The impairment counts of a tally (status and the RolloutOnly completion read them). */
export interface ImpairmentCounts {
  readonly nodeCaused: number;
  readonly impairedOld: number;
}

/** Adds (sign 1) or removes (sign -1) one node's status share (nodeclass.statusShare). */
export function tallyStatus(into: StatusTally, share: number, sign: 1 | -1): void {
  if ((share & 63) === 0) return;
  if (share & S_DESIRED) into.desired += sign;
  if (share & S_CURRENT) into.current += sign;
  if (share & S_MISSCHEDULED) into.misscheduled += sign;
  if (share & S_READY) into.ready += sign;
  if (share & S_AVAILABLE) into.available += sign;
  if (share & S_UPDATED) into.updated += sign;
  if (share & S_NODE_CAUSED) into.nodeCaused += sign;
  if (share & S_IMPAIRED_OLD) into.impairedOld += sign;
}

/** The seven counters of §9.1 from a tally (numberUnavailable = desired − available). */
export function statusCounters(
  t: Readonly<StatusTally>,
): Required<
  Pick<
    DaemonSetStatus,
    | 'desiredNumberScheduled'
    | 'currentNumberScheduled'
    | 'numberMisscheduled'
    | 'numberReady'
    | 'numberAvailable'
    | 'numberUnavailable'
    | 'updatedNumberScheduled'
  >
> {
  return {
    desiredNumberScheduled: t.desired,
    currentNumberScheduled: t.current,
    numberMisscheduled: t.misscheduled,
    numberReady: t.ready,
    numberAvailable: t.available,
    numberUnavailable: t.desired - t.available,
    updatedNumberScheduled: t.updated,
  };
}

/**
 * The rolling update's counts over its node states (§6.3–6.4) and the nodes that act, kept node
 * by node from the R_* bits: numUnavailable of maxUnavailable mode, numSurge and numAvailable of
 * surge mode (both kept; the budget picks the mode when the update runs), and the node sets in
 * the orders the modes read them (candidates in the policy's order, the rest by name).
 */
export class RolloutTally {
  unavailable = 0;
  surge = 0;
  available = 0;
  /** Nodes not in the node list holding only an old pod (surge mode fails there). */
  notListedOld = 0;
  /** Should run a pod, hold only an old, available one: the candidates, in the policy's order. */
  readonly candidates = new OrderedNames();
  /** Should not run a pod (or are not listed), hold only an old, available one; by name. */
  readonly leaving = new OrderedNames();
  /** Hold only an old pod that is not available; by name. */
  readonly oldUnavailable = new OrderedNames();
  /** Hold an old pod beside an available new one; by name. */
  readonly newAvailable = new OrderedNames();

  clear(): void {
    this.unavailable = this.surge = this.available = this.notListedOld = 0;
    this.candidates.clear();
    this.leaving.clear();
    this.oldUnavailable.clear();
    this.newAvailable.clear();
  }

  /** Adds a node's class bits; shouldRun sorts an old available pod's node. */
  add(name: string, bits: number, shouldRun: boolean): void {
    if (bits < R_UNAVAILABLE) return;
    if (bits & R_UNAVAILABLE) this.unavailable++;
    if (bits & R_SURGE) this.surge++;
    if (bits & R_AVAILABLE) this.available++;
    if (bits & R_NOT_LISTED_OLD) this.notListedOld++;
    if (bits & R_OLD_AVAILABLE) {
      if (shouldRun) this.candidates.add(name);
      else this.leaving.add(name);
    }
    if (bits & R_OLD_UNAVAILABLE) this.oldUnavailable.add(name);
    if (bits & R_NEW_AVAILABLE) this.newAvailable.add(name);
  }

  /** Removes a node's share, given the bits it was added with (its eligibility may differ now). */
  drop(name: string, bits: number): void {
    if (bits < R_UNAVAILABLE) return;
    if (bits & R_UNAVAILABLE) this.unavailable--;
    if (bits & R_SURGE) this.surge--;
    if (bits & R_AVAILABLE) this.available--;
    if (bits & R_NOT_LISTED_OLD) this.notListedOld--;
    if (bits & R_OLD_AVAILABLE) {
      this.candidates.delete(name);
      this.leaving.delete(name);
    }
    if (bits & R_OLD_UNAVAILABLE) this.oldUnavailable.delete(name);
    if (bits & R_NEW_AVAILABLE) this.newAvailable.delete(name);
  }
}
