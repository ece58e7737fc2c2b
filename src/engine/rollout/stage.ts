/**
 * The steps stage (docs/dev/issue-12-integration.md "One sync, in order"): a pure second step
 * after decideRollout (engine/rolloutpolicy.ts), which reads no nodes or pods, for DaemonSets with
 * a canary, waves or health gates (shared/spec/rollout-features.md §3.4–§3.6). From the eligible
 * nodes and the claimed pods it
 *
 * 1. chooses the canary nodes when the rollout starts (canary.ts) and keeps them (the record);
 * 2. assigns the other nodes to waves (waves.ts) and builds the steps: canary, then each wave;
 * 3. walks the steps (steps.ts): the open step, whether it is updating, baking or awaiting a
 *    promote (the promote control), and the release set: the nodes of the steps opened so far;
 * 4. judges the update revision's pods with the health gates (healthgates.ts); a trip records
 *    status.rollout.failure and pauses (the release set frozen) or aborts (issue 11's abort path:
 *    the record says aborted, and the next decideRollout drives nodes back to the stable revision);
 * 5. returns the decision with the steps' order and release set as its update policy, the open
 *    wave's maxUnavailable as the policy's cap, and a hold, so a node outside the release set that
 *    needs a pod (a node that joined during the canary) gets the stable revision (pinning).
 *
 * It acts only while a rollout is in progress from a stable revision to another one: the first
 * rollout of a DaemonSet (nothing stable to protect) and going back to the stable revision (an
 * abort) skip canary, waves and bakes, as the spec says. While paused or suspended the kept values
 * are carried over unchanged.
 *
 * Both planning paths run it, in two parts: stepsLayout (layout.ts, 1–2: O(eligible nodes); it
 * reads only the eligible nodes' names, labels and impairment and the kept canaries, so the
 * incremental planner keeps its result while those are unchanged) and applySteps (3–5: the steps
 * walked, whose counts a caller may keep between syncs (stepcounts.ts), and the update pods the
 * gates must see). decideSteps is both over a snapshot (the full reconcile);
 * controller/fastplan.ts calls the two over its kept state.
 */
import { isPodAvailable } from '../../api/pod.js';
import { REASON } from '../../api/rolloutconditions.js';
import { hasStepFields } from '../../api/rolloutsteps.js';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  formatTime,
  type DaemonSet,
  type Node,
  type Pod,
  type RolloutFailure,
} from '../../api/types.js';
import { resolveBudget } from '../budget.js';
import type { HoldReason, RolloutDecision } from '../rolloutpolicy.js';
import type { UpdatePolicy } from '../updatepolicy.js';
import {
  evaluateHealthGates,
  podHealthySince,
  podSettled,
  resolveHealthGates,
  type GatedPod,
} from './healthgates.js';
import type { RolloutNode } from './inputs.js';
import { layoutNode, previousCanaries, stepsLayout, type StepsLayout } from './layout.js';
import { foldMetricGate, judgedNodes, type MetricFold, type MetricMemory } from './metricfold.js';
import type { StepsOutcome } from './outcome.js';
import type { PrometheusGateSpec } from './metricgate.js';
import type { KeptStepCounts } from './stepcounts.js';
import { stepMaxUnavailable, stepProgress, stepShare, type StepNodeState } from './steps.js';

/** What the stage reads besides the decision: the sync's nodes, eligibility and pods. */
export interface StepsView {
  readonly ds: DaemonSet;
  readonly nodes: readonly Node[];
  /** NodeShouldRunDaemonPod's shouldRun of nodes[i]. */
  readonly shouldRun: (i: number) => boolean;
  /** The claimed pods on a node. */
  readonly podsOn: (node: string) => readonly Pod[] | undefined;
  readonly now: number;
  /** The Prometheus gate's memory and last answer (controller/metricrunner.ts), if any. */
  readonly metric?: MetricMemory | undefined;
}

/** Failure reasons that are not a health gate's (issue 11's). */
const NOT_GATE = new Set<string>(['AbortRequested', REASON.progressDeadlineExceeded]);

/** True for a recorded failure a health gate wrote. */
export function isGateFailure(f: RolloutFailure | undefined): boolean {
  return f !== undefined && !NOT_GATE.has(f.reason);
}

/**
 * True when the stage has something to do: rollout features, a canary, waves or gates, and an
 * update revision that is not (yet) the stable one.
 */
export function stepsInPlay(d: RolloutDecision): boolean {
  return d.features && hasStepFields(d.spec.steps) && d.stable?.ref.name !== d.update.name;
}

const floorSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;

/**
 * The kept values carried over unchanged (paused, suspended); the bake clock stops: when the
 * hold began is kept (bakeHeld.since) so the resumed bake can skip it.
 */
function carried(d: RolloutDecision, now: number): StepsOutcome {
  const r = d.record;
  const held = d.newRollout ? undefined : r.bakeHeld;
  return {
    bakeHeld: {
      ...held,
      step: held?.step ?? (d.newRollout ? 0 : r.step),
      since: held?.since ?? floorSecond(now),
      seconds: held?.seconds ?? 0,
    },
    canaryNodes: d.newRollout ? [] : r.canaryNodes,
    step: d.newRollout ? 0 : r.step,
    promoted: d.newRollout ? -1 : r.promoted,
    steps: 0,
    kind: undefined,
    name: undefined,
    size: 0,
    updated: 0,
    state: 'Held',
    bakeUntil: undefined,
    problem: undefined,
    warnings: [],
    gateFailure: isGateFailure(d.failure) ? d.failure : undefined,
    requeueAt: null,
    metric: d.newRollout ? undefined : d.record.metric,
  };
}

/** The update revision's live pod on a node (the first in the node's pods), if any. */
export function updatePod(pods: readonly Pod[] | undefined, hash: string): Pod | undefined {
  for (const p of pods ?? [])
    if (
      !p.metadata?.deletionTimestamp &&
      p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash
    )
      return p;
  return undefined;
}

export { layoutServes, previousCanaries, stepsLayout, type StepsLayout } from './layout.js';

/**
 * True when decideSteps returns the decision as it is (no steps, no stable revision, aborted).
 */
function passesThrough(d: RolloutDecision): boolean {
  return !stepsInPlay(d) || d.stable === undefined || d.aborted;
}

/** True when decideSteps only carries the kept values over (paused, suspended). */
function isHeld(d: RolloutDecision): boolean {
  return d.spec.pausedBy !== undefined || d.suspend !== undefined;
}

/** The rollout's `healthGates.prometheus` block, if any. */
export function prometheusGateOf(d: RolloutDecision): PrometheusGateSpec | undefined {
  return d.spec.steps.healthGates?.prometheus;
}

/** What applySteps reads besides the decision and the layout. */
export interface StepsPods {
  readonly ds: DaemonSet;
  /** The claimed pods on a node, as the node→pods map holds them (node-list order of the pods). */
  readonly podsOn: (node: string) => readonly Pod[] | undefined;
  /**
   * Nodes whose update pod the health gates must see: at least every eligible node that has a
   * pod which is not podSettled (healthgates.ts); more (even every node) is fine.
   */
  readonly unsettled: () => Iterable<string>;
  readonly now: number;
  /** The Prometheus gate's memory and last answer (controller/metricrunner.ts), if any. */
  readonly metric?: MetricMemory | undefined;
  /** Step counts kept between syncs (the incremental planner), touched as nodes change. */
  readonly counts?: KeptStepCounts;
}

/**
 * Parts 3–5 of the stage over a layout: per sync, the open step's nodes and the unsettled pods.
 * `layoutOf` is called only when the stage acts (not passed through, paused or suspended).
 */
export function applySteps(
  d: RolloutDecision,
  layoutOf: () => StepsLayout,
  view: StepsPods,
): RolloutDecision {
  if (passesThrough(d)) return d;
  if (isHeld(d)) return { ...d, steps: carried(d, view.now) };
  const layout = layoutOf();
  const { ds, now } = view;
  const spec = d.spec.steps;
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const { steps, order, problem } = layout;
  const desired = layout.names.size;
  const skipsImpaired = d.spec.unavailableAccounting === 'RolloutOnly';
  // A node's state; the healthy-since time only when `forBake` (only a bake reads it, and the
  // kept counts ask for every node when a rollout starts and for each changed node after).
  const nodeState = (node: string, forBake: boolean): StepNodeState => {
    const pod = updatePod(view.podsOn(node), d.update.hash);
    if (pod === undefined) return { updated: false, available: false, skip: false };
    const available = isPodAvailable(pod, minReady, now);
    const since = forBake && available ? podHealthySince(pod, minReady) : undefined;
    return {
      updated: true,
      available,
      ...(since !== undefined ? { healthySince: since } : {}),
      skip: skipsImpaired && layout.impaired.has(node),
    };
  };
  const state = (node: string): StepNodeState => nodeState(node, true);
  const opened = d.newRollout ? 0 : d.record.step;
  let promoted = d.newRollout ? -1 : d.record.promoted;
  const kept = d.newRollout ? undefined : d.record.bakeHeld;
  const input = {
    steps,
    state,
    openedThrough: opened,
    promotedThrough: promoted,
    now,
    bakeHeld:
      kept === undefined
        ? undefined
        : {
            step: kept.step,
            ms: kept.seconds * 1000,
            until: kept.until,
            pausedFrom: kept.since,
          },
  };
  const share = (node: string): number => stepShare(nodeState(node, false));
  const counts = view.counts?.countsFor(
    { steps, stepOf: order.stepOf, hash: d.update.hash, minReadySeconds: minReady, skipsImpaired },
    state,
    share,
  );
  let p = stepProgress(input, counts?.counts, counts?.bake);
  if (d.acted.promote !== undefined && p.index > promoted) {
    // A promote releases the step open now once it has baked (given early, it is kept).
    promoted = p.index;
    p = stepProgress({ ...input, promotedThrough: promoted }, counts?.counts, counts?.bake);
  }
  const open = p.index >= 0 ? steps[p.index] : undefined;

  // Health gates over the update revision's pods (until the rollout completes). A settled pod
  // fails no gate now or later (maxRestarts >= 0, as validation requires), so only the others
  // are judged; a negative maxRestarts judges every eligible node's.
  let gateFailure = isGateFailure(d.failure) ? d.failure : undefined;
  let aborted = false;
  let recheckAt: number | undefined;
  const gates = resolveHealthGates(
    spec.healthGates,
    spec.canary !== undefined || spec.waves !== undefined,
  );
  if (gates !== undefined && gateFailure === undefined) {
    const every = !(gates.maxRestarts >= 0);
    const pods: GatedPod[] = [];
    const seen = new Set<string>();
    for (const name of every ? layout.names : view.unsettled()) {
      if (seen.has(name) || !layout.names.has(name)) continue;
      seen.add(name);
      const pod = updatePod(view.podsOn(name), d.update.hash);
      if (pod !== undefined && (every || !podSettled(pod)))
        pods.push({ node: name, pod, impaired: layout.impaired.has(name) });
    }
    const released = steps.length > 0 ? p.released : desired;
    const verdict = evaluateHealthGates(gates, pods, released, now);
    recheckAt = verdict.recheckAt;
    if (verdict.tripped && verdict.failure !== undefined) {
      const f = verdict.failure;
      const more = verdict.failedNodes > 1 ? ` (${verdict.failedNodes} nodes failing)` : '';
      gateFailure = {
        reason: f.reason,
        message: `health gate: ${f.message}${more}`,
        node: f.node,
        pod: f.pod,
        time: formatTime(now),
      };
      aborted = verdict.action === 'Abort';
    }
  }

  // The Prometheus gate (metricfold.ts): fold the last answer, name the next query. Only with
  // the gate: its {{nodes}} read every released node.
  const prometheus = prometheusGateOf(d);
  const metric: MetricFold =
    prometheus === undefined
      ? NO_METRIC
      : foldMetricGate({
          spec: prometheus,
          stored: d.newRollout ? undefined : d.record.metric,
          memory: view.metric,
          revision: d.update.name,
          vars: {
            namespace: ds.metadata?.namespace ?? '',
            name: ds.metadata?.name ?? '',
            revision: d.update.hash,
            nodes: () =>
              judgedNodes(
                steps.length > 0
                  ? steps.slice(0, p.index + 1).flatMap((s) => s.nodes)
                  : layout.names,
                layout.impaired,
                (n) => updatePod(view.podsOn(n), d.update.hash) !== undefined,
              ),
          },
          active: gateFailure === undefined && (steps.length === 0 || p.state !== 'Complete'),
          onFailure: gates?.onFailure ?? 'Pause',
          now,
        });
  if (gateFailure === undefined && metric.failure !== undefined) {
    gateFailure = metric.failure;
    aborted = metric.abort;
  }

  let released = steps.length > 0 ? p.released : desired;
  let hold: HoldReason | undefined;
  let stepState: StepsOutcome['state'] = p.state;
  if (gateFailure !== undefined || problem !== undefined) {
    // Frozen: updated nodes stay released (counted first), nothing more.
    released = 0;
    hold =
      gateFailure !== undefined
        ? 'healthGate'
        : problem!.field.startsWith('canary')
          ? 'canary'
          : 'waves';
    stepState = 'Held';
  } else if (released < desired) {
    hold = open?.kind === 'canary' ? 'canary' : 'waves';
  }
  let cap: number | undefined;
  if (open?.maxUnavailable !== undefined) {
    try {
      const b = resolveBudget(ds, desired);
      cap = stepMaxUnavailable(
        b.maxUnavailable,
        b.maxSurge,
        open.maxUnavailable,
        open.nodes.length,
      );
    } catch {
      // A malformed DaemonSet budget is reported by the rolling update itself.
    }
  }
  const base = d.policy;
  const frozen = released;
  const policy: UpdatePolicy = Object.freeze({
    name: steps.length > 0 ? `steps(${open?.name ?? ''})` : base.name,
    compare: steps.length > 0 ? order.compare : base.compare,
    orderKey: steps.length > 0 ? order.orderKey : base.orderKey,
    released: (n: number) => Math.min(base.released(n), frozen),
    ...(cap !== undefined ? { maxUnavailableCap: cap } : {}),
  });
  const requeue = [p.state === 'Baking' ? p.bakeUntil : undefined, recheckAt].filter(
    (t): t is number => t !== undefined,
  );
  const steps_: StepsOutcome = {
    canaryNodes: layout.canaryNodes ?? [],
    step: Math.max(0, p.index),
    promoted,
    steps: steps.length,
    kind: open?.kind,
    name: open?.name,
    size: p.size,
    updated: p.updated,
    state: stepState,
    bakeUntil: p.state === 'Baking' ? p.bakeUntil : undefined,
    problem:
      problem === undefined ? undefined : { reason: problem.reason, message: problem.message },
    warnings: layout.warnings,
    gateFailure,
    requeueAt: requeue.length > 0 ? Math.min(...requeue) : null,
    metric: metric.state,
    metricQuery: metric.query,
    metricInconclusive: metric.inconclusive,
    bakeHeld:
      p.bakeHeld === undefined
        ? undefined
        : { step: p.index, until: floorSecond(p.bakeHeld.until), seconds: p.bakeHeld.ms / 1000 },
  };
  return {
    ...d,
    policy,
    hold: hold ?? d.hold,
    ...(aborted
      ? { aborted: true, failure: gateFailure }
      : gateFailure
        ? { failure: gateFailure }
        : {}),
    steps: steps_,
  };
}

/** The decision with the steps applied (this module's header), over one sync's snapshot. */
export function decideSteps(d: RolloutDecision, view: StepsView): RolloutDecision {
  let layout: StepsLayout | undefined;
  const build = (): StepsLayout => {
    const nodes: RolloutNode[] = [];
    view.nodes.forEach((n, i) => {
      if (!view.shouldRun(i)) return;
      nodes.push(layoutNode(n.metadata?.name ?? '', n));
    });
    return (layout = stepsLayout(d.spec.steps, nodes, previousCanaries(d)));
  };
  return applySteps(d, build, {
    ds: view.ds,
    podsOn: view.podsOn,
    unsettled: () => layout?.names ?? [],
    now: view.now,
    metric: view.metric,
  });
}

/** foldMetricGate's answer without a Prometheus gate. */
const NO_METRIC: MetricFold = foldMetricGate({
  spec: undefined,
  stored: undefined,
  memory: undefined,
  revision: '',
  vars: { namespace: '', name: '', revision: '', nodes: [] },
  active: false,
  onFailure: 'Pause',
  now: 0,
});
