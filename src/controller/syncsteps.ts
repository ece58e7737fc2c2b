/**
 * What the steps stage (engine/rollout/stage.ts: canary, waves, health gates; issue 12) reads
 * from a DaemonSet's kept state, kept beside it (syncstate.ts creates one when the DaemonSet has
 * step fields). The sync state reports each node it recomputes; this keeps
 *
 * - the layout (engine/rollout/layout.ts stepsLayout), rebuilt only when an eligible node comes
 *   or goes or changes labels or impairment (layoutVersion) or the kept canaries give another one
 *   (layoutServes);
 * - the step counts and bakes (engine/rollout/stepcounts.ts), touched per recomputed node;
 * - the unsettled nodes: those with a live pod that is not podSettled, a superset of the nodes
 *   whose update pod the health gates must judge.
 *
 * It decides nothing: the rules are the engine's, the same the full reconcile applies.
 */
import type { Node, Pod } from '../api/types.js';
import { podSettled } from '../engine/rollout/healthgates.js';
import type { RolloutNode } from '../engine/rollout/inputs.js';
import {
  layoutInputsDiffer,
  layoutServes,
  previousCanaries,
  stepsLayout,
  type StepsLayout,
} from '../engine/rollout/layout.js';
import { KeptStepCounts } from '../engine/rollout/stepcounts.js';
import type { RolloutDecision } from '../engine/rolloutpolicy.js';

/** The steps stage's inputs kept between syncs for one DaemonSet (this module's header). */
export class KeptSteps {
  /** Node names with a live pod that is not podSettled (engine/rollout/healthgates.ts). */
  readonly unsettled = new Set<string>();
  /** The step counts and bakes, touched as nodes are recomputed. */
  readonly counts = new KeptStepCounts();
  private version = 0;
  private cache: { readonly version: number; readonly layout: StepsLayout } | undefined;

  /** Everything may have changed (the sync state was rebuilt). */
  reset(): void {
    this.unsettled.clear();
    this.version++;
    this.counts.reset();
  }

  /**
   * A node name's node object was `wasNode` (should run: `wasRun`) and is `node` (`isRun`) now:
   * the layout is read again when an eligible node came, went, or changed what it reads.
   */
  nodeSeen(
    wasNode: Node | undefined,
    wasRun: boolean,
    node: Node | undefined,
    isRun: boolean,
  ): void {
    if (wasNode !== node && (isRun !== wasRun || (isRun && layoutInputsDiffer(wasNode, node))))
      this.version++;
  }

  /** A recomputed node's pods in the node→pods map (its unsettled mark was cleared before). */
  classified(name: string, pods: readonly Pod[]): void {
    for (const p of pods)
      if (!p.metadata?.deletionTimestamp && !podSettled(p)) {
        this.unsettled.add(name);
        return;
      }
  }

  /** The layout for this decision over the eligible nodes, the kept one when it still serves. */
  layout(d: RolloutDecision, eligible: () => RolloutNode[]): StepsLayout {
    const previous = previousCanaries(d);
    const hit = this.cache;
    if (
      hit !== undefined &&
      hit.version === this.version &&
      layoutServes(hit.layout, d.spec.steps, previous)
    )
      return hit.layout;
    const layout = stepsLayout(d.spec.steps, eligible(), previous);
    this.cache = { version: this.version, layout };
    return layout;
  }
}
