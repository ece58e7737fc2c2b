/**
 * DaemonSet status (§9.1–9.3): the seven counters from the oldest pod per node, whether a write
 * is needed, and when to look again for pods that are Ready but not yet available.
 */
import {
  compareOldestFirst,
  isPodAvailable,
  isPodReady,
  isPodUpdated,
  templateGenerationOf,
} from '../api/pod.js';
import type { DaemonSet, DaemonSetStatus, Mutable, Node, Pod } from '../api/types.js';
import type { Eligibility } from './eligibility.js';
import type { NodePodsMap } from './nodepods.js';

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
   * When given (length ≥ nodes), filled per node index with NODE_HAS_PODS | NODE_READY |
   * NODE_UPDATED for the node's oldest pod, so per-node decisions need not look again.
   */
  readonly nodeState?: Uint8Array;
}

/** nodeState bit: the node has at least one pod in the map. */
export const NODE_HAS_PODS = 1;
/** nodeState bit: the node's oldest pod is Ready. */
export const NODE_READY = 2;
/** nodeState bit: the node's oldest pod is on the current revision (IsPodUpdated). */
export const NODE_UPDATED = 4;

/** The seven counters of §9.1. */
export interface StatusCounters {
  readonly desiredNumberScheduled: number;
  readonly currentNumberScheduled: number;
  readonly numberMisscheduled: number;
  readonly numberReady: number;
  readonly numberAvailable: number;
  readonly numberUnavailable: number;
  readonly updatedNumberScheduled: number;
}

function oldestPod(pods: readonly Pod[]): Pod {
  let oldest = pods[0]!;
  for (let i = 1; i < pods.length; i++)
    if (compareOldestFirst(pods[i]!, oldest) < 0) oldest = pods[i]!;
  return oldest;
}

/** Counts per §9.1: only nodes in the node list count, and only their oldest pod. */
export function computeCounters(input: StatusInput): StatusCounters {
  const minReady = input.ds.spec?.minReadySeconds ?? 0;
  const generation = templateGenerationOf(input.ds);
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  const state = input.nodeState;
  const nodes = input.nodes;
  for (let i = 0; i < nodes.length; i++) {
    const name = nodes[i]!.metadata?.name ?? '';
    const elig = input.eligibilityAt?.[i] ?? input.eligibility.get(name);
    const pods = input.nodeToPods.get(name);
    const hasPods = pods !== undefined && pods.length > 0;
    if (state) state[i] = 0;
    if (elig?.shouldRun) {
      desired++;
      if (!hasPods) continue;
      current++;
      const p = pods.length === 1 ? pods[0]! : oldestPod(pods);
      let bits = NODE_HAS_PODS;
      if (isPodReady(p)) {
        ready++;
        bits |= NODE_READY;
        if (minReady <= 0 || isPodAvailable(p, minReady, input.now)) available++;
      }
      if (isPodUpdated(p, input.hash, generation)) {
        updated++;
        bits |= NODE_UPDATED;
      }
      if (state) state[i] = bits;
    } else if (hasPods) {
      misscheduled++;
      if (state) state[i] = NODE_HAS_PODS;
    }
  }
  return {
    desiredNumberScheduled: desired,
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    numberAvailable: available,
    numberUnavailable: desired - available,
    updatedNumberScheduled: updated,
  };
}

/**
 * The status to write: a copy of the stored status (so conditions and collisionCount survive)
 * with the counters set, and observedGeneration raised to metadata.generation when asked.
 */
export function computeStatus(input: StatusInput): DaemonSetStatus {
  const status = structuredClone(input.ds.status ?? {}) as Mutable<DaemonSetStatus>;
  Object.assign(status, computeCounters(input));
  if (input.updateObservedGen) status.observedGeneration = input.ds.metadata?.generation ?? 0;
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
 * stored observedGeneration is at least metadata.generation.
 */
export function statusChanged(ds: DaemonSet, next: DaemonSetStatus): boolean {
  const stored: Partial<DaemonSetStatus> = ds.status ?? {};
  for (const k of COUNTER_KEYS) if ((stored[k] ?? 0) !== (next[k] ?? 0)) return true;
  return (stored.observedGeneration ?? 0) < (ds.metadata?.generation ?? 0);
}

/** §9.3: with minReadySeconds > 0 and ready ≠ available, look again after minReadySeconds. */
export function statusRequeueAfterMs(ds: DaemonSet, status: DaemonSetStatus): number | null {
  const minReady = ds.spec?.minReadySeconds ?? 0;
  if (minReady <= 0 || (status.numberReady ?? 0) === (status.numberAvailable ?? 0)) return null;
  return minReady * 1000;
}
