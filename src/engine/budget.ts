/**
 * Rolling-update budget arithmetic (§6.1).
 * CONTRACT STUB: the engine-2 helper implements the bodies; signatures are fixed.
 */
import type { DaemonSet } from '../api/types.js';

/** maxSurge and maxUnavailable resolved against desiredNumberScheduled. */
export interface Budget {
  readonly desired: number;
  readonly maxSurge: number;
  readonly maxUnavailable: number;
}

/** Scales both values against desired, rounding up, with the fallback to maxUnavailable 1. Throws on malformed values. */
export declare function resolveBudget(ds: DaemonSet, desired: number): Budget;

/** AllowsSurge: maxSurge scaled against one node is greater than 0. */
export declare function allowsSurge(ds: DaemonSet): boolean;
