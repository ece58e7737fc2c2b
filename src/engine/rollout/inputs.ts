/**
 * Minimal inputs shared by the issue-12 rollout modules (canary, waves, health gates, removal
 * budget). They are deliberately smaller than the parsed rollout spec of issue 11, so these
 * modules depend on nothing in progress: the integration maps its spec and caches onto them.
 */
import type { Labels } from '../../api/labels.js';

/** A node as the selection modules see it: its name, its labels, whether it is impaired. */
export interface RolloutNode {
  readonly name: string;
  readonly labels?: Labels;
  /** isNodeImpaired(node).impaired (src/api/nodeimpairment.ts); absent reads as false. */
  readonly impaired?: boolean;
}

/**
 * Something wrong with a rollout's input that the integration must surface: `blocking` ones pause
 * the rollout (an Event and a condition carrying `message`), the others are a Warning Event only.
 */
export interface RolloutProblem {
  /** A CamelCase reason for the Event and the condition, e.g. "CanarySelectorMatchesNothing". */
  readonly reason: string;
  /** The field of the rollout spec at fault, relative to spec.updateStrategy.rollingUpdate. */
  readonly field: string;
  /** One line naming the field, the value and what is wrong. */
  readonly message: string;
  readonly blocking: boolean;
}
