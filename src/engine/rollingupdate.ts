/**
 * The rolling update (§6): maxUnavailable mode and surge mode, with the node-order policy seam
 * (updatepolicy.ts). Pure: it reads the node→pods map as manage left it and says which nodes get
 * a new pod and which pods go, each with a reason.
 */
import {
  isPodAvailable,
  isPodReady,
  isPodUpdated,
  podReadySince,
  templateGenerationOf,
} from '../api/pod.js';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  type DaemonSet,
  type Node,
  type Pod,
} from '../api/types.js';
import { resolveBudget, type Budget } from './budget.js';
import type { Eligibility } from './eligibility.js';
import type { NodePodsMap } from './nodepods.js';
import type { ActionSource } from './types.js';
import {
  applyUpdatePolicy,
  selectUpdateCandidates,
  sortNodeNames,
  type UpdateCandidate,
  type UpdatePolicy,
  type UpdatePolicyContext,
} from './updatepolicy.js';

export { selectUpdateCandidates, compareNodeNames } from './updatepolicy.js';
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
  /** Which candidates go next; selectUpdateCandidates when absent. The seam for later features. */
  readonly policy?: UpdatePolicy;
}

/** A node to get a new pod, or a pod to delete, each with its reason. */
export interface RollingUpdateResult {
  readonly createOnNodes: readonly { readonly node: string; readonly reason: string }[];
  readonly deletePods: readonly {
    readonly pod: Pod;
    readonly node: string;
    readonly reason: string;
    readonly source: ActionSource;
  }[];
  /** Earliest time (epoch ms) a new pod becomes available and the update can move on, if any. */
  readonly requeueAt: number | null;
}

type Create = RollingUpdateResult['createOnNodes'][number];
type Delete = RollingUpdateResult['deletePods'][number];

/** findUpdatedPodsOnNode (§6.2): at most one new and one old non-deleted pod, or not ok. */
interface NodeState {
  readonly node: string;
  readonly ok: boolean;
  readonly newPod: Pod | undefined;
  readonly oldPod: Pod | undefined;
}

function classify(
  node: string,
  pods: readonly Pod[],
  hash: string,
  generation: string | undefined,
): NodeState {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    if (isPodUpdated(pod, hash, generation)) {
      if (newPod !== undefined) return { node, ok: false, newPod: undefined, oldPod: undefined };
      newPod = pod;
    } else {
      if (oldPod !== undefined) return { node, ok: false, newPod: undefined, oldPod: undefined };
      oldPod = pod;
    }
  }
  return { node, ok: true, newPod, oldPod };
}

function revisionOf(pod: Pod): string {
  return pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '<none>';
}

/**
 * The rolling update's reasons, one function per kind of action, so that the incremental sync
 * (controller/fastrollout.ts) states exactly what this module states.
 */
export const RU_REASON = {
  /** maxUnavailable mode: an unavailable old pod goes at once. */
  oldUnavailable: (old: Pod): string =>
    `old revision ${revisionOf(old)}, pod unavailable: replaced without budget`,
  /** maxUnavailable mode: an available old pod chosen within the budget. */
  withinUnavailable: (old: Pod, max: number): string =>
    `old revision ${revisionOf(old)}; within the maxUnavailable budget of ${max}`,
  /** Surge mode: an unavailable old pod on a node that should no longer run it. */
  oldUnavailableLeaving: (old: Pod): string =>
    `old revision ${revisionOf(old)}, pod unavailable on a node that should no longer run it`,
  /** Surge mode: a new pod beside an unavailable old one, without budget. */
  surgeUnavailable: (maxSurge: number): string =>
    `surge: old pod unavailable, new pod created without waiting for the maxSurge budget of ${maxSurge}`,
  /** Surge mode: the new pod is available, the old one goes. */
  newAvailable: (newPod: Pod, old: Pod): string =>
    `surge: new pod ${newPod.metadata?.name ?? ''} is available, old revision ${revisionOf(old)} goes`,
  /** Surge mode: an available old pod on a node the DaemonSet is leaving. */
  leaving: (numAvailable: number, desired: number): string =>
    `node no longer eligible and more pods available (${numAvailable}) than desired (${desired})`,
  /** Surge mode: a new pod beside an available old one, within the budget. */
  surgeCandidate: (maxSurge: number): string =>
    `surge: new pod beside the available old pod (maxSurge ${maxSurge})`,
} as const;

/** Shared state of one run: the budget, the clock, and the earliest availability seen. */
class Run {
  readonly minReadySeconds: number;
  requeueAt: number | null = null;
  constructor(
    readonly input: RollingUpdateInput,
    readonly budget: Budget,
  ) {
    this.minReadySeconds = input.ds.spec?.minReadySeconds ?? 0;
  }
  available(pod: Pod): boolean {
    return isPodAvailable(pod, this.minReadySeconds, this.input.now);
  }
  /** Available now; if not but Ready, remembers when it will be (strictly after ready + min). */
  newPodAvailable(pod: Pod): boolean {
    if (this.available(pod)) return true;
    if (this.minReadySeconds > 0 && isPodReady(pod)) {
      const since = podReadySince(pod);
      if (since !== undefined) {
        const at = since + this.minReadySeconds * 1000 + 1;
        if (at > this.input.now && (this.requeueAt === null || at < this.requeueAt))
          this.requeueAt = at;
      }
    }
    return false;
  }
  shouldRun(node: string): boolean {
    return this.input.eligibility.get(node)?.shouldRun ?? false;
  }
  ctx(mode: UpdatePolicyContext['mode']): UpdatePolicyContext {
    const { ds, hash, now } = this.input;
    return { ds, mode, hash, now, budget: this.budget };
  }
  choose(
    mode: UpdatePolicyContext['mode'],
    candidates: UpdateCandidate[],
    n: number,
  ): UpdateCandidate[] {
    return applyUpdatePolicy(
      this.input.policy ?? selectUpdateCandidates,
      candidates,
      n,
      this.ctx(mode),
    );
  }
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

/** The map with an empty entry for every node that should run a pod and has none, in node order. */
function nodeStates(input: RollingUpdateInput, emptyNodesAdded: readonly string[]): NodeState[] {
  const entries = new Map<string, readonly Pod[]>(input.nodeToPods);
  for (const name of emptyNodesAdded) entries.set(name, []);
  const generation = templateGenerationOf(input.ds);
  const names = sortNodeNames([...entries.keys()]);
  return names.map((n) => classify(n, entries.get(n) ?? [], input.hash, generation));
}

function maxUnavailableMode(run: Run, states: readonly NodeState[]): RollingUpdateResult {
  const max = run.budget.maxUnavailable;
  let numUnavailable = 0;
  const deletes: Delete[] = [];
  const candidates: UpdateCandidate[] = [];
  for (const s of states) {
    if (!s.ok || (s.oldPod === undefined) === (s.newPod === undefined)) {
      // Duplicates, nothing running, or a node mid-replacement: manage acts there first.
      if (s.newPod !== undefined) run.newPodAvailable(s.newPod);
      numUnavailable++;
    } else if (s.newPod !== undefined) {
      if (!run.newPodAvailable(s.newPod)) numUnavailable++;
    } else if (s.oldPod !== undefined) {
      if (!run.available(s.oldPod)) {
        numUnavailable++;
        deletes.push({
          pod: s.oldPod,
          node: s.node,
          source: 'rollingUpdate',
          reason: RU_REASON.oldUnavailable(s.oldPod),
        });
      } else {
        candidates.push({ node: s.node, oldPod: s.oldPod, shouldRun: run.shouldRun(s.node) });
      }
    }
  }
  // The count is order-independent (upstream's in-loop "budget used up" check only ever drops
  // candidates that the final count would not reach); only the choice among them is the policy's.
  for (const c of run.choose('maxUnavailable', candidates, max - numUnavailable)) {
    deletes.push({
      pod: c.oldPod,
      node: c.node,
      source: 'rollingUpdate',
      reason: RU_REASON.withinUnavailable(c.oldPod, max),
    });
  }
  return { createOnNodes: [], deletePods: deletes, requeueAt: run.requeueAt };
}

function surgeMode(run: Run, states: readonly NodeState[]): RollingUpdateResult {
  const { maxSurge, desired } = run.budget;
  const known = new Set(run.input.nodes.map((n) => n.metadata?.name ?? ''));
  let numSurge = 0;
  let numAvailable = 0;
  const creates: Create[] = [];
  const deletes: Delete[] = [];
  const candidates: UpdateCandidate[] = [];
  const shouldNotRun: { pod: Pod; node: string }[] = [];
  for (const s of states) {
    if (!s.ok) {
      numSurge++;
      continue;
    }
    if (s.oldPod !== undefined) {
      if (run.available(s.oldPod)) numAvailable++;
    } else if (s.newPod !== undefined && run.newPodAvailable(s.newPod)) {
      numAvailable++;
    }
    if (s.oldPod === undefined) continue; // manage creates or keeps the new pod
    const old = s.oldPod;
    if (s.newPod === undefined) {
      if (!known.has(s.node)) {
        throw new Error(
          `rolling update: node "${s.node}" of pod ${old.metadata?.name ?? ''} is not in the node list`,
        );
      }
      const shouldRun = run.shouldRun(s.node);
      if (!run.available(old)) {
        if (!shouldRun) {
          deletes.push({
            pod: old,
            node: s.node,
            source: 'rollingUpdate',
            reason: RU_REASON.oldUnavailableLeaving(old),
          });
        } else {
          creates.push({
            node: s.node,
            reason: RU_REASON.surgeUnavailable(maxSurge),
          });
        }
      } else if (!shouldRun) {
        shouldNotRun.push({ pod: old, node: s.node });
      } else {
        candidates.push({ node: s.node, oldPod: old, shouldRun });
      }
    } else if (!run.newPodAvailable(s.newPod)) {
      numSurge++;
    } else {
      deletes.push({
        pod: old,
        node: s.node,
        source: 'rollingUpdate',
        reason: RU_REASON.newAvailable(s.newPod, old),
      });
    }
  }
  // Remove pods from nodes the DaemonSet is leaving only while more are available than desired,
  // so that availability holds when constraints move (upstream keeps list order; ours is by name).
  const deletable = numAvailable - desired;
  for (const p of shouldNotRun.slice(0, Math.max(0, deletable))) {
    deletes.push({
      ...p,
      source: 'rollingUpdate',
      reason: RU_REASON.leaving(numAvailable, desired),
    });
  }
  for (const c of run.choose('surge', candidates, maxSurge - numSurge)) {
    creates.push({
      node: c.node,
      reason: RU_REASON.surgeCandidate(maxSurge),
    });
  }
  return { createOnNodes: creates, deletePods: deletes, requeueAt: run.requeueAt };
}

/**
 * Runs the rolling update over every node of the map plus every node that should run a pod.
 * maxSurge 0: deletes unavailable old pods at once and available ones within maxUnavailable, and
 * creates nothing (manage refills). maxSurge > 0: creates new pods beside old ones within maxSurge
 * (at once where the old pod is unavailable) and deletes old pods whose new pod is available.
 * Throws Error on a malformed budget (InvalidBudgetError, naming the field) or, in surge mode, when
 * a node holding only an old pod is not in the node list.
 */
export function rollingUpdate(input: RollingUpdateInput): RollingUpdateResult {
  const { budget, emptyNodesAdded } = desiredNodeCounts(input);
  const states = nodeStates(input, emptyNodesAdded);
  const run = new Run(input, budget);
  return run.budget.maxSurge === 0 ? maxUnavailableMode(run, states) : surgeMode(run, states);
}
