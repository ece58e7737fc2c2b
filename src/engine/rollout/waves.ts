/**
 * Waves and the step order of a rollout (shared/spec/rollout-features.md §1, §2
 * `rollingUpdate.waves`, §3.5).
 *
 * A rollout with a canary or waves is a list of steps: the canary nodes (if any), then each wave.
 * The node order of the rollout is that list flattened, natural name order inside a step; the
 * release set is the steps opened so far. Waves are either
 *
 * - by `topologyKey`: one wave per value of that node label, the values of `order` first (in that
 *   order), then the other values in natural order, then the nodes without the label; or
 * - by cumulative `steps` ("5%", "25%"; 100% implied): wave k ends at step k of desired, rounded
 *   up, over the rollout order (canaries first, then the other nodes in natural name order).
 *
 * Canary nodes belong to the canary step, not to a wave; a wave left empty is dropped. Wave k+1
 * opens when every node of wave k is updated and available (impaired nodes skipped under
 * RolloutOnly), the wave has baked (its newest healthy-since plus bakeSeconds), and, with Manual
 * promotion, a promote control released it. Opening is monotonic: the caller keeps the highest
 * step opened (status) and passes it back, so a later regression never shrinks the release set.
 */
import { getScaledValue } from '../../api/intstr.js';
import type { IntOrString } from '../../api/types.js';
import { compareNodeNames, sortNodeNames } from '../updatepolicy.js';
import type { RolloutNode, RolloutProblem } from './inputs.js';

/** Auto opens the next step once this one has baked; Manual waits for the promote control. */
export type Promotion = 'Auto' | 'Manual';

/** The waves part of the rollout spec this module reads. */
export interface WavesSpec {
  readonly topologyKey?: string;
  readonly order?: readonly string[];
  readonly steps?: readonly IntOrString[];
  readonly maxUnavailable?: IntOrString;
  readonly bakeSeconds?: number;
  readonly promotion?: Promotion;
}

/** One wave: its name (the label value, "(no KEY)", or the step such as "25%") and its nodes. */
export interface Wave {
  readonly name: string;
  readonly nodes: readonly string[];
}

/** The waves of a rollout, and what the integration must say about the spec. */
export interface WaveAssignment {
  readonly waves: readonly Wave[];
  readonly problems: readonly RolloutProblem[];
}

/** One step of the rollout: the canary or a wave, with its gate. */
export interface RolloutStep {
  readonly kind: 'canary' | 'wave';
  readonly name: string;
  /** Natural name order. */
  readonly nodes: readonly string[];
  readonly bakeSeconds: number;
  readonly promotion: Promotion;
  /** The wave's own maxUnavailable (of the wave's size); absent for the canary. */
  readonly maxUnavailable?: IntOrString;
}

function problem(reason: string, field: string, message: string, blocking: boolean) {
  return { reason, field: `waves.${field}`, message, blocking };
}

/**
 * Assigns the nodes that should run the pod (minus the canary nodes) to waves as this module's
 * header says; every such node is in exactly one wave. A spec with both or neither of
 * topologyKey and steps, or a malformed step, gives no waves and a blocking problem; an order
 * naming a value no node has gives a blocking problem too (a typo would otherwise move that
 * zone's nodes silently), with the waves still computed for display.
 */
export function assignWaves(
  spec: WavesSpec,
  nodes: readonly RolloutNode[],
  canaries: readonly string[] = [],
): WaveAssignment {
  const key = spec.topologyKey ?? '';
  const steps = spec.steps ?? [];
  if ((key !== '') === steps.length > 0) {
    const m = 'waves: exactly one of topologyKey and steps must be set';
    return { waves: [], problems: [problem('WavesInvalid', 'topologyKey', m, true)] };
  }
  const canary = new Set(canaries);
  const rest = nodes.filter((n) => !canary.has(n.name));
  return key !== '' ? byTopology(spec, key, rest) : bySteps(steps, nodes, canary);
}

function byTopology(spec: WavesSpec, key: string, nodes: readonly RolloutNode[]): WaveAssignment {
  const problems: RolloutProblem[] = [];
  const byValue = new Map<string, string[]>();
  const unlabelled: string[] = [];
  for (const n of nodes) {
    const v = n.labels?.[key];
    if (v === undefined) unlabelled.push(n.name);
    else {
      const list = byValue.get(v);
      if (list) list.push(n.name);
      else byValue.set(v, [n.name]);
    }
  }
  const values: string[] = [];
  const seen = new Set<string>();
  (spec.order ?? []).forEach((v, i) => {
    if (seen.has(v)) {
      const m = `waves.order[${i}]: "${v}" is listed twice; the first place counts`;
      problems.push(problem('WaveOrderDuplicate', `order[${i}]`, m, false));
      return;
    }
    seen.add(v);
    if (byValue.has(v)) values.push(v);
    else {
      const m = `waves.order[${i}]: no node that should run the pod has ${key}=${v}`;
      problems.push(problem('WaveOrderUnknownValue', `order[${i}]`, m, true));
    }
  });
  values.push(...[...byValue.keys()].filter((v) => !seen.has(v)).sort(compareNodeNames));
  const waves = values.map((v) => ({ name: v, nodes: sortNodeNames(byValue.get(v)!) }));
  if (unlabelled.length > 0) waves.push({ name: `(no ${key})`, nodes: sortNodeNames(unlabelled) });
  return { waves, problems };
}

function bySteps(
  steps: readonly IntOrString[],
  nodes: readonly RolloutNode[],
  canary: ReadonlySet<string>,
): WaveAssignment {
  const desired = nodes.length;
  const problems: RolloutProblem[] = [];
  const bounds: number[] = [];
  for (const [i, s] of steps.entries()) {
    try {
      bounds.push(Math.min(desired, getScaledValue(s, desired, true)));
    } catch (err) {
      const m = `waves.steps[${i}]: ${JSON.stringify(s)}: ${(err as Error).message}`;
      return { waves: [], problems: [problem('WavesInvalid', `steps[${i}]`, m, true)] };
    }
    if (i > 0 && bounds[i]! < bounds[i - 1]!) {
      const m = `waves.steps[${i}]: ${JSON.stringify(s)} is below the step before it; steps are cumulative`;
      problems.push(problem('WaveStepsDecreasing', `steps[${i}]`, m, false));
    }
  }
  const names = steps.map(String);
  if (bounds[bounds.length - 1] !== desired) {
    bounds.push(desired);
    names.push('100%');
  }
  const order = [
    ...sortNodeNames(nodes.filter((n) => canary.has(n.name)).map((n) => n.name)),
    ...sortNodeNames(nodes.filter((n) => !canary.has(n.name)).map((n) => n.name)),
  ];
  const waves: Wave[] = [];
  let from = order.length - nodes.filter((n) => !canary.has(n.name)).length;
  bounds.forEach((to, i) => {
    if (to > from) waves.push({ name: names[i]!, nodes: sortNodeNames(order.slice(from, to)) });
    from = Math.max(from, to);
  });
  return { waves, problems };
}

/**
 * The steps of a rollout: the canary (when it has nodes), then the waves; with a canary and no
 * waves, one wave "rest" of every other node (no bake, Auto). Empty when there is neither.
 */
export function rolloutSteps(
  nodes: readonly RolloutNode[],
  canary:
    | {
        readonly nodes: readonly string[];
        readonly bakeSeconds?: number;
        readonly promotion?: Promotion;
      }
    | undefined,
  waves: { readonly spec: WavesSpec; readonly assignment: WaveAssignment } | undefined,
): RolloutStep[] {
  const steps: RolloutStep[] = [];
  const canaryNodes = canary?.nodes ?? [];
  if (canaryNodes.length > 0) {
    steps.push({
      kind: 'canary',
      name: 'canary',
      nodes: sortNodeNames([...canaryNodes]),
      bakeSeconds: canary?.bakeSeconds ?? 0,
      promotion: canary?.promotion ?? 'Auto',
    });
  }
  if (waves !== undefined) {
    for (const w of waves.assignment.waves) {
      steps.push({
        kind: 'wave',
        name: w.name,
        nodes: w.nodes,
        bakeSeconds: waves.spec.bakeSeconds ?? 0,
        promotion: waves.spec.promotion ?? 'Auto',
        ...(waves.spec.maxUnavailable !== undefined
          ? { maxUnavailable: waves.spec.maxUnavailable }
          : {}),
      });
    }
  } else if (canary !== undefined) {
    const inCanary = new Set(canaryNodes);
    const rest = nodes.filter((n) => !inCanary.has(n.name)).map((n) => n.name);
    if (rest.length > 0)
      steps.push({
        kind: 'wave',
        name: 'rest',
        nodes: sortNodeNames(rest),
        bakeSeconds: 0,
        promotion: 'Auto',
      });
  }
  return steps;
}
