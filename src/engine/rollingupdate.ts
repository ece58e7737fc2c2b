/**
 * The rolling update (§6) of the full reconcile: it classes every node of the node→pods map (and
 * every node that should run a pod but has no entry) as nodeclass.ts says, fills a tally, and
 * runs the modes of rolloutmodes.ts over it, with the update policy (updatepolicy.ts). The
 * incremental sync keeps the same tally between syncs and runs the same modes.
 */
import { templateGenerationOf } from '../api/pod.js';
import type { DaemonSet, Node } from '../api/types.js';
import { resolveBudget, type Budget } from './budget.js';
import type { Eligibility } from './eligibility.js';
import {
  earliestRequeueAt,
  EMPTY_NODE_CLASS,
  R_OLD_AVAILABLE,
  rolloutClass,
  S_UPDATED,
  statusShare,
  type ClassContext,
  type RolloutClass,
} from './nodeclass.js';
import type { NodePodsMap } from './nodepods.js';
import { OrderedNames } from './orderednames.js';
import { releaseTest, runRollingUpdate, type RollingUpdateResult } from './rolloutmodes.js';
import { cappedBudget } from './rollout/steps.js';
import { RolloutTally } from './tallies.js';
import { defaultUpdatePolicy, type UpdatePolicy } from './updatepolicy.js';

export { RU_REASON, type RollingUpdateResult } from './rolloutmodes.js';
export { compareNodeNames, defaultUpdatePolicy, holdBackLast } from './updatepolicy.js';
export type {
  UpdateCandidate,
  UpdatePolicy,
  UpdatePolicyContext,
  UpdateMode,
} from './updatepolicy.js';

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
  /** The node order and release set; defaultUpdatePolicy when absent. */
  readonly policy?: UpdatePolicy;
  /**
   * IsPodUpdated's template-generation fallback for `hash`; templateGenerationOf(ds) when absent.
   * Undefined when `hash` is not the template's (an aborted rollout going back to stable).
   */
  readonly generation?: string | undefined;
  /**
   * Nodes the rolling update leaves alone this sync, using no budget there: removals the removal
   * budget defers, and impaired nodes under `unavailableAccounting: RolloutOnly` (§3.8: skipped
   * until they recover). Absent: none (apps/v1).
   */
  readonly skip?: ReadonlySet<string>;
}

/**
 * updatedDesiredNodeCounts (§6.1): the budget against desiredNumberScheduled, and the nodes that
 * should run a pod but have no entry in the map (each gets an empty one, so it is visited).
 */
export function desiredNodeCounts(
  input: Pick<RollingUpdateInput, 'ds' | 'nodes' | 'eligibility' | 'nodeToPods'>,
): { budget: Budget; emptyNodesAdded: string[] } {
  const added: string[] = [];
  let desired = 0;
  for (const node of input.nodes) {
    const name = node.metadata?.name ?? '';
    if (!(input.eligibility.get(name)?.shouldRun ?? false)) continue;
    desired++;
    if (!input.nodeToPods.has(name)) added.push(name);
  }
  return { budget: resolveBudget(input.ds, desired), emptyNodesAdded: added };
}

/**
 * Runs the rolling update over every node of the map plus every node that should run a pod.
 * Throws Error on a malformed budget (InvalidBudgetError, naming the field) or, in surge mode, when
 * a node holding only an old pod is not in the node list.
 */
export function rollingUpdate(input: RollingUpdateInput): RollingUpdateResult {
  const counted = desiredNodeCounts(input);
  const { emptyNodesAdded } = counted;
  // The open wave's maxUnavailable (issue 12, engine/rollout/stage.ts): the smaller one counts.
  const budget = cappedBudget(counted.budget, input.policy?.maxUnavailableCap);
  const cx: ClassContext = {
    hash: input.hash,
    generation: 'generation' in input ? input.generation : templateGenerationOf(input.ds),
    minReadySeconds: input.ds.spec?.minReadySeconds ?? 0,
    now: input.now,
  };
  const classes = new Map<string, RolloutClass>();
  const tally = new RolloutTally();
  const shouldRun = (node: string): boolean => input.eligibility.get(node)?.shouldRun ?? false;
  const skip = input.skip;
  const visit = (node: string, cls: RolloutClass): void => {
    if (skip?.has(node)) return;
    classes.set(node, cls);
    tally.add(node, cls.bits, shouldRun(node));
  };
  for (const [node, pods] of input.nodeToPods)
    visit(node, rolloutClass(pods, input.eligibility.has(node), cx));
  for (const node of emptyNodesAdded) visit(node, EMPTY_NODE_CLASS);
  const policy = input.policy ?? defaultUpdatePolicy;
  const released = releaseTest(policy, {
    desired: budget.desired,
    held: () =>
      heldScan(input, cx, (node) => ((classes.get(node)?.bits ?? 0) & R_OLD_AVAILABLE) !== 0),
  });
  return runRollingUpdate(
    {
      tally,
      classOf: (node) => classes.get(node) ?? EMPTY_NODE_CLASS,
      shouldRun,
      listed: (node) => input.eligibility.has(node),
      released,
      requeueAt: earliestRequeueAt(classes.values(), cx),
    },
    budget,
    policy,
    { ds: input.ds, hash: input.hash, now: input.now },
  );
}

/**
 * For a policy that holds nodes back (releaseTest): how many nodes that should run a pod count as
 * updated (their oldest pod at `cx.hash`, as statusShare's S_UPDATED) and the others, ordered;
 * with `candidate`, also how many of the updated ones are rolling-update candidates.
 */
export function heldScan(
  input: Pick<RollingUpdateInput, 'nodes' | 'eligibility' | 'nodeToPods'>,
  cx: ClassContext,
  candidate?: (node: string) => boolean,
): { updated: number; notUpdated: OrderedNames; updatedCandidates?: number } {
  const notUpdated = new OrderedNames();
  let updated = 0;
  let updatedCandidates = 0;
  for (const node of input.nodes) {
    const name = node.metadata?.name ?? '';
    if (!(input.eligibility.get(name)?.shouldRun ?? false)) continue;
    if (statusShare(true, input.nodeToPods.get(name), cx) & S_UPDATED) {
      updated++;
      if (candidate?.(name) === true) updatedCandidates++;
    } else notUpdated.add(name);
  }
  return candidate === undefined
    ? { updated, notUpdated }
    : { updated, notUpdated, updatedCandidates };
}

/** The budget a rolling update of `desired` nodes runs with (resolveBudget). */
export type { Budget };
