/**
 * The node→pods map of claimed pods (§5.1, §2.6).
 * CONTRACT STUB: the engine-1 helper implements the bodies; signatures are fixed.
 */
import type { Pod } from '../api/types.js';

/** Node name → the DaemonSet's pods targeting it, in input order. */
export type NodePodsMap = Map<string, Pod[]>;

/**
 * Groups claimed pods by target node. Pods whose node cannot be determined are left out.
 * Unless includeDeletedTerminal, terminal pods with a deletionTimestamp are left out too.
 */
export declare function buildNodeToDaemonPods(claimed: readonly Pod[], includeDeletedTerminal: boolean): NodePodsMap;
