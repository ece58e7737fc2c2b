/**
 * The rolling update (§6): maxUnavailable mode and surge mode, with the node-order policy seam.
 * CONTRACT STUB: the engine-2 helper implements the bodies; signatures are fixed.
 */
import type { DaemonSet, Node, Pod } from '../api/types.js';
import type { Eligibility } from './eligibility.js';
import type { NodePodsMap } from './nodepods.js';
import type { ActionSource } from './types.js';

/** What the rolling update sees. */
export interface RollingUpdateInput {
  readonly ds: DaemonSet;
  /** All nodes, and their eligibility for this DaemonSet. */
  readonly nodes: readonly Node[];
  readonly eligibility: ReadonlyMap<string, Eligibility>;
  /** The node→pods map after manage's writes (without terminal pods being deleted). */
  readonly nodeToPods: NodePodsMap;
  readonly hash: string;
  readonly now: number;
}

/** A node to get a new pod, or a pod to delete, each with its reason. */
export interface RollingUpdateResult {
  readonly createOnNodes: readonly { readonly node: string; readonly reason: string }[];
  readonly deletePods: readonly { readonly pod: Pod; readonly node: string; readonly reason: string; readonly source: ActionSource }[];
  /** Earliest time (epoch ms) a new pod becomes available and the update can move on, if any. */
  readonly requeueAt: number | null;
}

/** Runs the rolling update. Throws Error with a message on malformed budgets or (surge) a missing node. */
export declare function rollingUpdate(input: RollingUpdateInput): RollingUpdateResult;
