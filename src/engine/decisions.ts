/**
 * Per-node decisions for a Plan: for every node, whether it should run the pod and a sentence
 * saying what is going on there, so `everynode plan` and the dashboard can answer "why (not)?".
 */
import { compareOldestFirst, isPodReady, isPodUpdated, templateGenerationOf } from '../api/pod.js';
import type { DaemonSet, Node, Pod } from '../api/types.js';
import type { Eligibility } from './eligibility.js';
import type { NodePodsMap } from './nodepods.js';
import { S_CURRENT, S_DESIRED, S_READY, S_UPDATED } from './nodeclass.js';
import type { NodeDecision, PodCreate, PodDelete } from './types.js';

/** What the decisions are built from. */
export interface DecisionInput {
  readonly ds: DaemonSet;
  readonly nodes: readonly Node[];
  readonly eligibility: ReadonlyMap<string, Eligibility>;
  /** The node→pods map as the snapshot shows it (before this plan's writes). */
  readonly nodeToPods: NodePodsMap;
  /** The same eligibility aligned with `nodes` by index, when the caller has it (saves lookups). */
  readonly eligibilityAt?: readonly Eligibility[];
  readonly hash: string;
  readonly creates: readonly PodCreate[];
  readonly deletes: readonly PodDelete[];
  /** Notes from manage (backoff, waiting for a deletion). */
  readonly notes: ReadonlyMap<string, string>;
  /** status.ts nodeState bits computed on the same nodeToPods, if available (saves a pass). */
  readonly nodeState?: Uint8Array;
  /**
   * Why the rollout holds nodes back (paused, partition, canary, ...) and whether a node is in
   * its release set, when it holds any: an old pod on a held node stays, it does not wait.
   */
  readonly held?: { readonly why: string; readonly released: (node: string) => boolean };
}

/** What a held node's old pod is told, by the rollout's hold reason (rolloutpolicy.ts HoldReason). */
const HOLD_WORDS: Readonly<Record<string, string>> = {
  paused: 'the rollout is paused',
  partition: 'the node is outside the partition',
  noStableRevision: 'the rollout holds until a stable revision is known',
  canary: 'the node is not a canary',
  waves: "the node's wave has not opened",
  healthGate: 'a health gate paused the rollout',
};

/** The status share of a desired node whose oldest pod is Ready and updated (Available may vary). */
const SETTLED = S_DESIRED | S_CURRENT | S_READY | S_UPDATED;

function firstReasonByNode(
  actions: readonly { readonly node: string; readonly reason: string }[],
): Map<string, string> {
  const m = new Map<string, string>();
  for (const a of actions) if (a.node !== '' && !m.has(a.node)) m.set(a.node, a.reason);
  return m;
}

const NO_PODS: readonly string[] = Object.freeze([]);

function podNames(pods: readonly Pod[] | undefined): readonly string[] {
  if (pods === undefined || pods.length === 0) return NO_PODS;
  if (pods.length === 1) return [pods[0]!.metadata?.name ?? ''];
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
  const dying = pods.filter((p) => p.metadata?.deletionTimestamp);
  return [...live, ...dying].map((p) => p.metadata?.name ?? '');
}

/** Says what the node's oldest pod is waiting for, or '' when it is Ready and updated. */
function podStateReason(
  ds: DaemonSet,
  pods: readonly Pod[],
  hash: string,
  generation: string | undefined,
  heldWhy: string | undefined,
): string {
  let oldest = pods[0]!;
  for (let i = 1; i < pods.length; i++)
    if (compareOldestFirst(pods[i]!, oldest) < 0) oldest = pods[i]!;
  const name = oldest.metadata?.name ?? '';
  if (!isPodUpdated(oldest, hash, generation)) {
    if (heldWhy !== undefined)
      return `pod ${name} stays on its revision: ${HOLD_WORDS[heldWhy] ?? heldWhy}`;
    return ds.spec?.updateStrategy?.type === 'OnDelete'
      ? `pod ${name} runs an old revision; with OnDelete it is updated when someone deletes it`
      : `pod ${name} runs an old revision and waits for the rolling update`;
  }
  if (!isPodReady(oldest)) return `pod ${name} is not Ready yet`;
  return '';
}

/**
 * One decision per node, in node-list order. The reason is, by priority: the eligibility reason
 * of a node that should not run the pod, then this plan's first create or delete on the node,
 * then manage's note, then what the oldest pod waits for; empty when nothing is worth saying.
 */
export function buildNodeDecisions(input: DecisionInput): NodeDecision[] {
  const createReasons = firstReasonByNode(input.creates);
  const deleteReasons = firstReasonByNode(input.deletes);
  const generation = templateGenerationOf(input.ds);
  const anyActions = createReasons.size + deleteReasons.size + input.notes.size > 0;
  const out: NodeDecision[] = [];
  const { nodes, nodeState } = input;
  for (let i = 0; i < nodes.length; i++) {
    const name = nodes[i]!.metadata?.name ?? '';
    const elig = input.eligibilityAt?.[i] ?? input.eligibility.get(name);
    if (elig === undefined) continue;
    const pods = input.nodeToPods.get(name);
    let reason: string | undefined;
    if (!elig.shouldRun) {
      // An ineligible node whose pod this plan removes anyway (the rolling update, say) must not
      // read as if the pod stays.
      const deleting = anyActions ? deleteReasons.get(name) : undefined;
      reason =
        deleting === undefined ? elig.reason : `${elig.reason}; deleting its pod: ${deleting}`;
    } else {
      if (anyActions) {
        reason = createReasons.get(name) ?? deleteReasons.get(name) ?? input.notes.get(name);
      }
      if (reason === undefined && nodeState !== undefined && (nodeState[i]! & SETTLED) === SETTLED)
        reason = '';
      if (reason === undefined) {
        const hasPods = pods !== undefined && pods.length > 0;
        const heldWhy =
          input.held !== undefined && !input.held.released(name) ? input.held.why : undefined;
        reason = hasPods ? podStateReason(input.ds, pods, input.hash, generation, heldWhy) : '';
      }
    }
    out.push({
      name,
      shouldRun: elig.shouldRun,
      shouldContinueRunning: elig.shouldContinueRunning,
      reason,
      pods: podNames(pods),
    });
  }
  return out;
}
