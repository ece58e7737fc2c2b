/**
 * DaemonSet status (§9.1–9.3): the seven counters from the oldest pod per node, whether a write
 * is needed, and when to look again for pods that are Ready but not yet available. The counting
 * rule per node is nodeclass.statusShare and the sum is tallies.ts, shared with the incremental
 * sync.
 */
import { templateGenerationOf } from '../api/pod.js';
import type { DaemonSet, DaemonSetStatus, Mutable, Node } from '../api/types.js';
import type { Eligibility } from './eligibility.js';
import { impairmentShare, statusShare, type ClassContext } from './nodeclass.js';
import type { NodePodsMap } from './nodepods.js';
import { emptyStatusTally, statusCounters, tallyStatus, type ImpairmentCounts } from './tallies.js';

/** What the status computation sees. */
export interface StatusInput {
  readonly ds: DaemonSet;
  readonly nodes: readonly Node[];
  readonly eligibility: ReadonlyMap<string, Eligibility>;
  /** Claimed pods by node, without terminal pods being deleted. */
  readonly nodeToPods: NodePodsMap;
  /** The same eligibility aligned with `nodes` by index, when the caller has it (saves lookups). */
  readonly eligibilityAt?: readonly Eligibility[];
  readonly hash: string;
  readonly now: number;
  /** False while expectations are unsatisfied: observedGeneration stays as stored (§9.2). */
  readonly updateObservedGen: boolean;
  /**
   * When given (length ≥ nodes), filled per node index with the node's status share
   * (nodeclass.statusShare), so per-node decisions need not look at its pods again.
   */
  readonly nodeState?: Uint8Array;
  /**
   * When given, filled with the impairment counts (nodeclass.impairmentShare): only DaemonSets
   * using rollout features ask, so a plain apps/v1 sync reads no node conditions.
   */
  readonly impairment?: { -readonly [K in keyof ImpairmentCounts]: number };
}

/** The seven counters of §9.1. */
export type StatusCounters = ReturnType<typeof statusCounters>;

/**
 * Counts per §9.1: the sum over the node list of each node's share (nodeclass.statusShare: only
 * listed nodes count, and only their oldest pod), as the incremental sync keeps the same sum.
 */
export function computeCounters(input: StatusInput): StatusCounters {
  const cx: ClassContext = {
    hash: input.hash,
    generation: templateGenerationOf(input.ds),
    minReadySeconds: input.ds.spec?.minReadySeconds ?? 0,
    now: input.now,
  };
  const tally = emptyStatusTally();
  const state = input.nodeState;
  const nodes = input.nodes;
  for (let i = 0; i < nodes.length; i++) {
    const name = nodes[i]!.metadata?.name ?? '';
    const elig = input.eligibilityAt?.[i] ?? input.eligibility.get(name);
    let share = statusShare(elig?.shouldRun ?? false, input.nodeToPods.get(name), cx);
    if (input.impairment) share |= impairmentShare(share, nodes[i]);
    tallyStatus(tally, share, 1);
    if (state) state[i] = share & 255;
  }
  if (input.impairment) {
    input.impairment.nodeCaused = tally.nodeCaused;
    input.impairment.impairedOld = tally.impairedOld;
  }
  return statusCounters(tally);
}

/**
 * The status to write: a copy of the stored status (so conditions and collisionCount survive)
 * with the counters set, and observedGeneration raised to metadata.generation when asked.
 */
export function computeStatus(input: StatusInput): DaemonSetStatus {
  const status = structuredClone(input.ds.status ?? {}) as Mutable<DaemonSetStatus>;
  return withCounters(status, computeCounters(input), input.ds, input.updateObservedGen);
}

/**
 * Sets the counters on `status` (a copy of the stored status the caller made) and raises
 * observedGeneration to metadata.generation when updateObservedGen (expectations satisfied).
 */
export function withCounters(
  status: Mutable<DaemonSetStatus>,
  counters: StatusCounters,
  ds: DaemonSet,
  updateObservedGen: boolean,
): DaemonSetStatus {
  Object.assign(status, counters);
  if (updateObservedGen) status.observedGeneration = ds.metadata?.generation ?? 0;
  return status;
}

const COUNTER_KEYS: readonly (keyof StatusCounters)[] = [
  'desiredNumberScheduled',
  'currentNumberScheduled',
  'numberMisscheduled',
  'numberReady',
  'numberAvailable',
  'numberUnavailable',
  'updatedNumberScheduled',
];

/**
 * §9.2: false only when all seven counters equal the stored ones (absent counts as 0) and the
 * stored observedGeneration is at least metadata.generation, and everynode's rollout status
 * (conditions, and on the CRD updateRevision, stableRevision and status.rollout) is unchanged.
 */
export function statusChanged(ds: DaemonSet, next: DaemonSetStatus): boolean {
  const stored: Partial<DaemonSetStatus> = ds.status ?? {};
  for (const k of COUNTER_KEYS) if ((stored[k] ?? 0) !== (next[k] ?? 0)) return true;
  if ((stored.observedGeneration ?? 0) < (ds.metadata?.generation ?? 0)) return true;
  // everynode's rollout status (conditions; on the CRD its revisions and status.rollout): equal
  // objects when nothing changed (the rollout status carries them over as they are).
  return (
    (stored.conditions !== next.conditions && !sameJSON(stored.conditions, next.conditions)) ||
    stored.updateRevision !== next.updateRevision ||
    stored.stableRevision !== next.stableRevision ||
    stored.numberUnavailableNodeCaused !== next.numberUnavailableNodeCaused ||
    stored.numberUnavailableRolloutCaused !== next.numberUnavailableRolloutCaused ||
    stored.pendingRemovals !== next.pendingRemovals ||
    (stored.removals !== next.removals && !sameJSON(stored.removals, next.removals)) ||
    (stored.rollout !== next.rollout && !sameJSON(stored.rollout, next.rollout))
  );
}

function sameJSON(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** §9.3: with minReadySeconds > 0 and ready ≠ available, look again after minReadySeconds. */
export function statusRequeueAfterMs(ds: DaemonSet, status: DaemonSetStatus): number | null {
  const minReady = ds.spec?.minReadySeconds ?? 0;
  if (minReady <= 0 || (status.numberReady ?? 0) === (status.numberAvailable ?? 0)) return null;
  return minReady * 1000;
}
