/**
 * Canary selection (shared/spec/rollout-features.md §2 `rollingUpdate.canary`, §3.4): which nodes
 * take the update revision first.
 *
 * - Candidates are the nodes that should run the pod (the caller's `nodes`, `desired` of them)
 *   that match `nodeSelector` (every one when it is absent).
 * - The count is `count` scaled against desired, rounded up (an int as it is); with only a
 *   nodeSelector, every candidate; with neither, 1 (the spec's default).
 * - New picks skip impaired nodes: a canary tests the new version, and an impaired node would
 *   fail it for reasons of its own.
 * - With `spreadByKey`, picks go round-robin over that label's values (values in natural order,
 *   nodes without the label as a last group): each pick takes the first unpicked node of the
 *   group with the fewest canaries so far, ties to the earlier group. Without it, natural name
 *   order (compareNodeNames).
 * - Sticky: the list kept in `status.rollout.canaryNodes` is fixed when the rollout starts. Given
 *   it back (`previous`), canaries that are still candidates stay (impaired or not), and each one
 *   that left is replaced by the next pick; the list never grows, so nodes that join meanwhile
 *   stay out (they get stable pods). An empty `previous` means the rollout had no canaries yet.
 *
 * OpenKruise Advanced DaemonSet's `rollingUpdate.selector` is a canary nodeSelector without a
 * count (kruiseSelectorAsCanary).
 */
import { getScaledValue } from '../../api/intstr.js';
import { labelSelectorAsSelector, type Selector } from '../../api/labels.js';
import type { IntOrString, LabelSelector } from '../../api/types.js';
import { compareNodeNames, sortNodeNames } from '../updatepolicy.js';
import type { RolloutNode, RolloutProblem } from './inputs.js';

/** The canary part of the rollout spec this module reads. */
export interface CanarySpec {
  readonly count?: IntOrString;
  readonly nodeSelector?: LabelSelector;
  readonly spreadByKey?: string;
}

/** The canary nodes of a rollout and what the integration must say about them. */
export interface CanarySelection {
  /** The canary nodes, in natural name order (the order status and the rollout order use). */
  readonly nodes: readonly string[];
  /** The count asked for, after scaling (before capping at the candidates). */
  readonly wanted: number;
  /** How many nodes should run the pod and match the selector. */
  readonly candidates: number;
  /** Previous canaries that left (no longer candidates), each with its replacement if any. */
  readonly replaced: readonly { readonly left: string; readonly by?: string }[];
  /** At most one problem; a blocking one means `nodes` is empty and the rollout must wait. */
  readonly problem?: RolloutProblem;
}

/** The canary spec OpenKruise's `rollingUpdate.selector` stands for: that selector, no count. */
export function kruiseSelectorAsCanary(selector: LabelSelector): CanarySpec {
  return { nodeSelector: selector };
}

function problem(reason: string, field: string, message: string, blocking: boolean) {
  return { reason, field: `canary.${field}`, message, blocking };
}

function empty(wanted: number, candidates: number, p: RolloutProblem): CanarySelection {
  return { nodes: [], wanted, candidates, replaced: [], problem: p };
}

/** Picks nodes one at a time, round-robin over the spread groups (this module's header). */
class Picker {
  private readonly groups: { nodes: string[]; next: number; picked: number }[];
  private readonly groupOf = new Map<string, number>();

  constructor(candidates: readonly RolloutNode[], spreadByKey: string | undefined) {
    const byValue = new Map<string, string[]>();
    const unlabelled: string[] = [];
    for (const n of candidates) {
      const v = spreadByKey === undefined ? '' : n.labels?.[spreadByKey];
      if (v === undefined) unlabelled.push(n.name);
      else {
        const list = byValue.get(v);
        if (list) list.push(n.name);
        else byValue.set(v, [n.name]);
      }
    }
    const values = [...byValue.keys()].sort(compareNodeNames);
    const lists = values.map((v) => byValue.get(v)!);
    if (unlabelled.length > 0) lists.push(unlabelled);
    this.groups = lists.map((l) => ({ nodes: sortNodeNames(l), next: 0, picked: 0 }));
    this.groups.forEach((g, i) => {
      for (const name of g.nodes) this.groupOf.set(name, i);
    });
  }

  /** Counts an already chosen node towards its group's share. */
  count(name: string): void {
    const i = this.groupOf.get(name);
    if (i !== undefined) this.groups[i]!.picked++;
  }

  /** The next usable node not in `taken`, from the group with the fewest picks; or undefined. */
  pick(taken: ReadonlySet<string>, usable: (name: string) => boolean): string | undefined {
    let best: (typeof this.groups)[number] | undefined;
    for (const g of this.groups) {
      while (g.next < g.nodes.length) {
        const name = g.nodes[g.next]!;
        if (!taken.has(name) && usable(name)) break;
        g.next++;
      }
      if (g.next < g.nodes.length && (best === undefined || g.picked < best.picked)) best = g;
    }
    if (best === undefined) return undefined;
    best.picked++;
    return best.nodes[best.next++]!;
  }
}

/**
 * Chooses the canary nodes among `nodes` (the nodes that should run the pod) as this module's
 * header says; never more than the candidates, so never more than desired. A bad count or
 * selector, or a selector that matches nothing, gives no nodes and a blocking problem, never a
 * silent pass; fewer candidates than the count gives them all and a non-blocking problem.
 */
export function selectCanaryNodes(
  spec: CanarySpec,
  nodes: readonly RolloutNode[],
  previous: readonly string[] = [],
): CanarySelection {
  const desired = nodes.length;
  let selector: Selector | undefined;
  if (spec.nodeSelector != null) {
    try {
      selector = labelSelectorAsSelector(spec.nodeSelector);
    } catch (err) {
      const m = `canary.nodeSelector: ${(err as Error).message}`;
      return empty(0, 0, problem('CanaryInvalid', 'nodeSelector', m, true));
    }
  }
  const candidates = selector ? nodes.filter((n) => selector.matches(n.labels)) : nodes;
  let wanted: number;
  try {
    wanted =
      spec.count === undefined
        ? selector
          ? candidates.length
          : 1
        : getScaledValue(spec.count, desired, true);
  } catch (err) {
    const m = `canary.count: ${JSON.stringify(spec.count)}: ${(err as Error).message}`;
    return empty(0, 0, problem('CanaryInvalid', 'count', m, true));
  }
  if (desired === 0) return { nodes: [], wanted, candidates: 0, replaced: [] };
  if (candidates.length === 0) {
    const m =
      `canary.nodeSelector "${selector!.toString()}" matches none of the ${desired} ` +
      `node${desired === 1 ? '' : 's'} that should run the pod`;
    return empty(0, 0, problem('CanarySelectorMatchesNothing', 'nodeSelector', m, true));
  }
  if (wanted === 0) {
    const m = `canary.count ${JSON.stringify(spec.count)} of ${desired} nodes is 0: no canary`;
    return empty(0, candidates.length, problem('CanaryCountZero', 'count', m, true));
  }

  const byName = new Map(candidates.map((n) => [n.name, n]));
  const picker = new Picker(candidates, spec.spreadByKey);
  const healthy = (name: string) => byName.get(name)?.impaired !== true;
  const chosen = new Set<string>();
  const replaced: { left: string; by?: string }[] = [];

  if (previous.length > 0) {
    const left: string[] = [];
    for (const name of previous) {
      if (chosen.has(name)) continue;
      if (byName.has(name)) {
        chosen.add(name);
        picker.count(name);
      } else left.push(name);
    }
    for (const name of left) {
      const by = picker.pick(chosen, healthy);
      if (by !== undefined) chosen.add(by);
      replaced.push(by === undefined ? { left: name } : { left: name, by });
    }
  } else {
    for (let i = 0; i < wanted; i++) {
      const by = picker.pick(chosen, healthy);
      if (by === undefined) break;
      chosen.add(by);
    }
  }

  const out = sortNodeNames([...chosen]);
  const base = { nodes: out, wanted, candidates: candidates.length, replaced };
  if (out.length === 0) {
    const m = `all ${candidates.length} canary candidate node${candidates.length === 1 ? ' is' : 's are'} impaired`;
    return { ...base, problem: problem('CanaryNoHealthyNode', 'nodeSelector', m, true) };
  }
  if (previous.length === 0 && out.length < wanted) {
    const short = candidates.length < wanted ? 'match' : 'are healthy';
    const m = `canary.count asks for ${wanted} nodes but only ${out.length} ${short}: the canary runs on ${out.length}`;
    return { ...base, problem: problem('CanaryShort', 'count', m, false) };
  }
  const unreplaced = replaced.filter((r) => r.by === undefined).map((r) => r.left);
  if (unreplaced.length > 0) {
    const m = `canary node${unreplaced.length === 1 ? '' : 's'} ${unreplaced.join(', ')} left and no healthy candidate is left to replace ${unreplaced.length === 1 ? 'it' : 'them'}: the canary runs on ${out.length}`;
    return { ...base, problem: problem('CanaryShort', 'count', m, false) };
  }
  return base;
}
