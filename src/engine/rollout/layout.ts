/**
 * The steps stage's layout (stage.ts parts 1–2): the canary nodes (canary.ts), the waves
 * (waves.ts), the steps and their order (steps.ts), and the problems found on the way. O(eligible
 * nodes), and a function of the rollout spec's steps, the eligible nodes' names, labels and
 * impairment, and the kept canaries only: the incremental planner keeps one while those are
 * unchanged (controller/fastplan.ts), the full reconcile builds one per sync.
 */
import { sameLabels } from '../../api/labels.js';
import { isNodeImpaired } from '../../api/nodeimpairment.js';
import type { Node } from '../../api/types.js';
import type { RolloutDecision } from '../rolloutpolicy.js';
import { selectCanaryNodes } from './canary.js';
import type { RolloutNode, RolloutProblem } from './inputs.js';
import { stepOrder, type StepOrder } from './steps.js';
import { assignWaves, rolloutSteps, type RolloutStep } from './waves.js';

/** The canaries the layout starts from: the kept ones, or none for a new rollout. */
export function previousCanaries(d: RolloutDecision): readonly string[] {
  return d.newRollout ? [] : d.record.canaryNodes;
}

/**
 * Parts 1–2 of the stage: the canary, the waves, the steps and their order. A function of the
 * rollout spec's steps, the eligible nodes (names, labels, impairment; any order) and the kept
 * canaries only, so a caller may keep it while those are unchanged.
 */
export interface StepsLayout {
  /** The eligible nodes (desiredNumberScheduled). */
  readonly names: ReadonlySet<string>;
  readonly impaired: ReadonlySet<string>;
  readonly canaryNodes: readonly string[] | undefined;
  readonly steps: readonly RolloutStep[];
  readonly order: StepOrder;
  /** The first blocking problem, and the others as warnings, in the order they were found. */
  readonly problem: RolloutProblem | undefined;
  readonly warnings: readonly { readonly reason: string; readonly message: string }[];
  /** The kept canaries it was built from, and whether the canary selection found no problem. */
  readonly previous: readonly string[];
  readonly canaryClean: boolean;
}

/**
 * True when stepsLayout over the same spec and nodes with `previous` gives this layout: built
 * from them; or no canary to read them; or they are its own canaries and their selection found
 * no problem (kept canaries that are all still candidates are kept as they are, with no problem,
 * and the waves are assigned around the same nodes). Saves the rebuild after the first sync of a
 * rollout records its canaries.
 */
export function layoutServes(
  layout: StepsLayout,
  spec: RolloutDecision['spec']['steps'],
  previous: readonly string[],
): boolean {
  if (spec.canary === undefined || sameNames(layout.previous, previous)) return true;
  return layout.canaryClean && sameNames(layout.canaryNodes ?? [], previous);
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/**
 * The layouts built last, each with the nodes it was built from, by the spec's canary and waves:
 * a few DaemonSets' worth. The full reconcile and the incremental planner each ask for the
 * layout when a rollout starts (and verify mode asks on every sync); over the same nodes the
 * second gets the first's instead of building it again (B6: 15-20 ms on 5k nodes).
 */
const recent: { key: string; nodes: ReadonlyMap<string, RolloutNode>; layout: StepsLayout }[] = [];
const RECENT = 4;

/**
 * Builds the layout (parts 1–2 of this module's header) from the eligible nodes, or gives back
 * one built from the same spec and nodes (names, labels, impairment) that serves `previous`.
 */
export function stepsLayout(
  spec: RolloutDecision['spec']['steps'],
  nodes: readonly RolloutNode[],
  previous: readonly string[],
): StepsLayout {
  const key = JSON.stringify([spec.canary ?? null, spec.waves ?? null]);
  for (const r of recent)
    if (r.key === key && layoutServes(r.layout, spec, previous) && sameNodes(r.nodes, nodes))
      return r.layout;
  const layout = buildLayout(spec, nodes, previous);
  recent.unshift({ key, nodes: new Map(nodes.map((n) => [n.name, n])), layout });
  if (recent.length > RECENT) recent.pop();
  return layout;
}

/** True when `nodes` are the kept ones (any order): the same names, labels and impairment. */
function sameNodes(kept: ReadonlyMap<string, RolloutNode>, nodes: readonly RolloutNode[]): boolean {
  if (kept.size !== nodes.length) return false;
  for (const n of nodes) {
    const k = kept.get(n.name);
    if (k === undefined || (k.impaired === true) !== (n.impaired === true)) return false;
    if (!sameLabels(k.labels, n.labels)) return false;
  }
  return true;
}

function buildLayout(
  spec: RolloutDecision['spec']['steps'],
  nodes: readonly RolloutNode[],
  previous: readonly string[],
): StepsLayout {
  const warnings: { reason: string; message: string }[] = [];
  let problem: RolloutProblem | undefined;
  const note = (p: RolloutProblem | undefined): void => {
    if (p === undefined) return;
    if (p.blocking) problem ??= p;
    else warnings.push({ reason: p.reason, message: p.message });
  };
  const canary = spec.canary ? selectCanaryNodes(spec.canary, nodes, previous) : undefined;
  note(canary?.problem);
  const assignment = spec.waves ? assignWaves(spec.waves, nodes, canary?.nodes ?? []) : undefined;
  for (const p of assignment?.problems ?? []) note(p);
  const steps = rolloutSteps(
    nodes,
    canary && spec.canary
      ? {
          nodes: canary.nodes,
          ...(spec.canary.bakeSeconds !== undefined
            ? { bakeSeconds: spec.canary.bakeSeconds }
            : {}),
          ...(spec.canary.promotion !== undefined ? { promotion: spec.canary.promotion } : {}),
        }
      : undefined,
    spec.waves && assignment ? { spec: spec.waves, assignment } : undefined,
  );
  return {
    names: new Set(nodes.map((n) => n.name)),
    impaired: new Set(nodes.filter((n) => n.impaired === true).map((n) => n.name)),
    canaryNodes: canary?.nodes,
    steps,
    order: stepOrder(steps),
    problem,
    warnings,
    previous,
    canaryClean: canary?.problem === undefined,
  };
}

/** A node as the layout reads it: its name, labels and impairment (nothing else of it). */
export function layoutNode(name: string, node: Node): RolloutNode {
  return { name, labels: node.metadata?.labels ?? {}, impaired: isNodeImpaired(node).impaired };
}

/**
 * True when what the layout reads of a node (layoutNode: labels, impairment) may differ between
 * two versions of it; a caller keeping a layout builds it again then.
 */
export function layoutInputsDiffer(a: Node | undefined, b: Node | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  if (!sameLabels(a.metadata?.labels, b.metadata?.labels)) return true;
  return isNodeImpaired(a).impaired !== isNodeImpaired(b).impaired;
}
