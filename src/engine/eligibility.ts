/**
 * Node eligibility (spec §2): NodeShouldRunDaemonPod with a reason a person can act on.
 * CONTRACT STUB: the engine-1 helper implements the bodies; signatures are fixed.
 */
import type { DaemonSet, Node } from '../api/types.js';

/** The eligibility of one node for one DaemonSet. */
export interface Eligibility {
  readonly shouldRun: boolean;
  readonly shouldContinueRunning: boolean;
  /** Empty when both are true; otherwise names the taint, selector term or nodeName at fault. */
  readonly reason: string;
}

/** NodeShouldRunDaemonPod (§2.1), in its order of checks. */
export declare function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): Eligibility;
