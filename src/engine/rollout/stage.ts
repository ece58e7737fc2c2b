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
 * are carried over unchanged. The full reconcile calls it; the incremental planner declines
 * ('policy') whenever stepsInPlay holds, so only one path computes it and the two cannot differ.
 */
import { isNodeImpaired } from '../../api/nodeimpairment.js';
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
import { selectCanaryNodes } from './canary.js';
import { evaluateHealthGates, podHealthySince, resolveHealthGates } from './healthgates.js';
import type { RolloutNode, RolloutProblem } from './inputs.js';
import type { StepsOutcome } from './outcome.js';
import { stepMaxUnavailable, stepOrder, stepProgress, type StepNodeState } from './steps.js';
import { assignWaves, rolloutSteps } from './waves.js';

/** What the stage reads besides the decision: the sync's nodes, eligibility and pods. */
export interface StepsView {
  readonly ds: DaemonSet;
  readonly nodes: readonly Node[];
  /** NodeShouldRunDaemonPod's shouldRun of nodes[i]. */
  readonly shouldRun: (i: number) => boolean;
  /** The claimed pods on a node. */
  readonly podsOn: (node: string) => readonly Pod[] | undefined;
  readonly now: number;
}

/** Failure reasons that are not a health gate's (issue 11's). */
const NOT_GATE = new Set<string>(['AbortRequested', REASON.progressDeadlineExceeded]);

/** True for a recorded failure a health gate wrote. */
export function isGateFailure(f: RolloutFailure | undefined): boolean {
  return f !== undefined && !NOT_GATE.has(f.reason);
}

/**
 * True when the stage has something to do: rollout features, a canary, waves or gates, and an
 * update revision that is not (yet) the stable one. The incremental planner declines then.
 */
export function stepsInPlay(d: RolloutDecision): boolean {
  return d.features && hasStepFields(d.spec.steps) && d.stable?.ref.name !== d.update.name;
}

/** The kept values carried over unchanged (paused, suspended). */
function carried(d: RolloutDecision): StepsOutcome {
  const r = d.record;
  return {
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
  };
}

/** The update revision's live pod on a node, if any. */
function updatePod(pods: readonly Pod[] | undefined, hash: string): Pod | undefined {
  for (const p of pods ?? [])
    if (
      !p.metadata?.deletionTimestamp &&
      p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash
    )
      return p;
  return undefined;
}

/** The decision with the steps applied (this module's header). */
export function decideSteps(d: RolloutDecision, view: StepsView): RolloutDecision {
  if (!stepsInPlay(d) || d.stable === undefined || d.aborted) return d;
  if (d.spec.pausedBy !== undefined || d.suspend !== undefined) return { ...d, steps: carried(d) };
  const { ds, now } = view;
  const spec = d.spec.steps;
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const nodes: RolloutNode[] = [];
  view.nodes.forEach((n, i) => {
    if (!view.shouldRun(i)) return;
    const name = n.metadata?.name ?? '';
    nodes.push({ name, labels: n.metadata?.labels ?? {}, impaired: isNodeImpaired(n).impaired });
  });
  const impaired = new Set(nodes.filter((n) => n.impaired === true).map((n) => n.name));
  const warnings: { reason: string; message: string }[] = [];
  let problem: RolloutProblem | undefined;
  const note = (p: RolloutProblem | undefined): void => {
    if (p === undefined) return;
    if (p.blocking) problem ??= p;
    else warnings.push({ reason: p.reason, message: p.message });
  };
  const previous = d.newRollout ? [] : d.record.canaryNodes;
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
  const order = stepOrder(steps);
  const state = (node: string): StepNodeState => {
    const pod = updatePod(view.podsOn(node), d.update.hash);
    if (pod === undefined) return { updated: false, available: false, skip: false };
    const available = isPodAvailable(pod, minReady, now);
    const since = available ? podHealthySince(pod, minReady) : undefined;
    return {
      updated: true,
      available,
      ...(since !== undefined ? { healthySince: since } : {}),
      skip: impaired.has(node) && d.spec.unavailableAccounting === 'RolloutOnly',
    };
  };
  const opened = d.newRollout ? 0 : d.record.step;
  let promoted = d.newRollout ? -1 : d.record.promoted;
  const input = { steps, state, openedThrough: opened, promotedThrough: promoted, now };
  let p = stepProgress(input);
  if (d.acted.promote !== undefined && p.index > promoted) {
    // A promote releases the step open now once it has baked (given early, it is kept).
    promoted = p.index;
    p = stepProgress({ ...input, promotedThrough: promoted });
  }
  const open = p.index >= 0 ? steps[p.index] : undefined;

  // Health gates over the update revision's pods (until the rollout completes).
  let gateFailure = isGateFailure(d.failure) ? d.failure : undefined;
  let aborted = false;
  let recheckAt: number | undefined;
  const gates = resolveHealthGates(
    spec.healthGates,
    spec.canary !== undefined || spec.waves !== undefined,
  );
  if (gates !== undefined && gateFailure === undefined) {
    const pods = [];
    for (const n of nodes) {
      const pod = updatePod(view.podsOn(n.name), d.update.hash);
      if (pod !== undefined) pods.push({ node: n.name, pod, impaired: n.impaired === true });
    }
    const released = steps.length > 0 ? p.released : nodes.length;
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

  let released = steps.length > 0 ? p.released : nodes.length;
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
  } else if (released < nodes.length) {
    hold = open?.kind === 'canary' ? 'canary' : 'waves';
  }
  let cap: number | undefined;
  if (open?.maxUnavailable !== undefined) {
    try {
      const b = resolveBudget(ds, nodes.length);
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
    released: (desired: number) => Math.min(base.released(desired), frozen),
    ...(cap !== undefined ? { maxUnavailableCap: cap } : {}),
  });
  const requeue = [p.state === 'Baking' ? p.bakeUntil : undefined, recheckAt].filter(
    (t): t is number => t !== undefined,
  );
  const steps_: StepsOutcome = {
    canaryNodes: canary?.nodes ?? [],
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
    warnings,
    gateFailure,
    requeueAt: requeue.length > 0 ? Math.min(...requeue) : null,
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
