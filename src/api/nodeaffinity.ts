/**
 * Required node affinity and nodeSelector matching (component-helpers nodeaffinity semantics).
 * CONTRACT STUB: the api helper implements the bodies; signatures are fixed.
 */
import type { Node, NodeSelector } from './types.js';

/** The outcome of a match, with a human reason when it fails. */
export interface MatchResult {
  readonly matches: boolean;
  /** Empty when matches; otherwise e.g. `node label "color" is "red", term 0 wants color In [blue]`. */
  readonly reason: string;
}

/** Every key/value of nodeSelector present on the node (an empty or absent map matches). */
export declare function matchNodeSelectorLabels(
  node: Node,
  nodeSelector: Readonly<Record<string, string>> | undefined,
): MatchResult;

/** ORed nodeSelectorTerms; a term with a parse error or no requirements matches nothing. */
export declare function matchNodeSelectorTerms(node: Node, selector: NodeSelector): MatchResult;
