/**
 * Manage (§5.2, §5.3, §5.6): which pods each node should get or lose, before any rolling update.
 * Every create and delete carries a sentence saying why, and nodes that wait on something get a
 * note for their NodeDecision.
 */
import { compareOldestFirst, isPodAvailable, isPodReady } from '../api/pod.js';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  type DaemonSet,
  type Node,
  type Pod,
} from '../api/types.js';
import type { Eligibility } from './eligibility.js';
import type { NodePodsMap } from './nodepods.js';
import { failedPodsBackoffKey, formatDuration, isInBackoff, nextBackoff } from './failedbackoff.js';
import type { BackoffConfig, BackoffEntry, BackoffState, PlanEvent } from './types.js';

export {
  DEFAULT_BACKOFF,
  failedPodsBackoffKey,
  formatDuration,
  isInBackoff,
  nextBackoff,
} from './failedbackoff.js';

/** The reason manage gives for creating a pod on an eligible node that has none. */
export const MISSING_POD_REASON = 'no daemon pod on an eligible node';

/** What manage sees. */
export interface ManageInput {
  readonly ds: DaemonSet;
  readonly nodes: readonly Node[];
  /** Eligibility of every node in `nodes`, by name; a name missing here is a node that does not exist. */
  readonly eligibility: ReadonlyMap<string, Eligibility>;
  /** Claimed pods by node, without terminal pods being deleted. */
  readonly nodeToPods: NodePodsMap;
  /** The same eligibility aligned with `nodes` by index, when the caller has it (saves lookups). */
  readonly eligibilityAt?: readonly Eligibility[];
  readonly hash: string;
  readonly now: number;
  /** AllowsSurge(ds) (§6.1), computed by the caller. */
  readonly surge: boolean;
  readonly backoff: BackoffState;
  readonly backoffConfig: BackoffConfig;
}

/** A node that should get a pod, and why. */
export interface CreateDecision {
  readonly node: string;
  readonly reason: string;
}

/** A pod to delete, the node it maps to, and why. */
export interface DeleteDecision {
  readonly pod: Pod;
  readonly node: string;
  readonly reason: string;
}

/** Manage's decisions; creates follow the node list order, deletes follow it too (§5.3 last). */
export interface ManageResult {
  readonly creates: CreateDecision[];
  readonly deletes: DeleteDecision[];
  readonly events: PlanEvent[];
  /** Backoff entries advanced by failed-pod deletes in this pass. */
  readonly backoffUpdates: Map<string, BackoffEntry>;
  /** Remaining backoff of a failed pod that was left alone, if any (the smallest). */
  readonly requeueAfterMs: number | null;
  /** Node name → a sentence for its NodeDecision when the node waits on something. */
  readonly notes: Map<string, string>;
}

const podName = (p: Pod): string => p.metadata?.name ?? p.metadata?.generateName ?? '';

/** Mutable state of one manage pass. */
interface Pass {
  readonly input: ManageNodeInput;
  readonly result: ManageResult;
  requeue: number | null;
}

/** Runs manage over every node and then removes unbound pods pinned to nodes that do not exist. */
export function manage(input: ManageInput): ManageResult {
  const result: ManageResult = {
    creates: [],
    deletes: [],
    events: [],
    backoffUpdates: new Map(),
    requeueAfterMs: null,
    notes: new Map(),
  };
  const pass: Pass = { input, result, requeue: null };
  const nodes = input.nodes;
  for (let i = 0; i < nodes.length; i++) {
    const name = nodes[i]!.metadata?.name ?? '';
    const elig = input.eligibilityAt?.[i] ?? input.eligibility.get(name);
    if (elig === undefined) continue;
    podsShouldBeOnNode(pass, name, elig, input.nodeToPods.get(name));
  }
  for (const [name, pods] of input.nodeToPods) {
    if (input.eligibility.has(name)) continue;
    for (const pod of pods) {
      // Bound pods on a missing node are the pod GC's; unbound ones would wait forever.
      if (pod.spec?.nodeName || pod.metadata?.deletionTimestamp) continue;
      result.deletes.push({
        pod,
        node: name,
        reason: `pod is pinned to node ${name}, which does not exist`,
      });
    }
  }
  return { ...result, requeueAfterMs: pass.requeue };
}

/** What manage reads on one node besides the node's eligibility and pods. */
export type ManageNodeInput = Omit<
  ManageInput,
  'nodes' | 'eligibility' | 'nodeToPods' | 'eligibilityAt'
>;

const QUIET: ManageResult = Object.freeze({
  creates: Object.freeze([]) as unknown as CreateDecision[],
  deletes: Object.freeze([]) as unknown as DeleteDecision[],
  events: Object.freeze([]) as unknown as PlanEvent[],
  backoffUpdates: new Map(),
  requeueAfterMs: null,
  notes: new Map(),
});

/**
 * True when manage leaves a node alone without looking further: a node with no pods that should
 * not run one, or one pod that is neither terminating nor terminal on a node it may stay on.
 */
export function manageIsQuiet(elig: Eligibility, pods: readonly Pod[] | undefined): boolean {
  if (pods === undefined || pods.length === 0) return !elig.shouldRun;
  return elig.shouldContinueRunning && pods.length === 1 && isQuietPod(pods[0]!);
}

/**
 * Manage on one node of the node list, as manage() decides it there: what it reads is the node's
 * eligibility and its own pods only, so the incremental sync asks this for each node it keeps
 * rather than restating manage's rules. (The other pass of manage(), unbound pods pinned to nodes
 * that do not exist, is not part of it.) A quiet node gets a shared empty result: do not change it.
 */
export function manageNode(
  input: ManageNodeInput,
  node: string,
  elig: Eligibility,
  pods: readonly Pod[] | undefined,
): ManageResult {
  if (manageIsQuiet(elig, pods)) return QUIET;
  const result: ManageResult = {
    creates: [],
    deletes: [],
    events: [],
    backoffUpdates: new Map(),
    requeueAfterMs: null,
    notes: new Map(),
  };
  const pass: Pass = { input, result, requeue: null };
  podsShouldBeOnNode(pass, node, elig, pods);
  return { ...result, requeueAfterMs: pass.requeue };
}

/**
 * True when manage's decisions on a node with these pods depend on the order of the node's pods
 * in the map, not only on the pods: in surge mode a node with no running pod gets a new one with
 * a reason that names the first of several terminating (or terminal) pods.
 */
export function manageDependsOnPodOrder(
  surge: boolean,
  elig: Eligibility,
  pods: readonly Pod[],
): boolean {
  if (!surge || !elig.shouldRun || !elig.shouldContinueRunning || pods.length < 2) return false;
  let gone = 0;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) gone++;
    else {
      const phase = pod.status?.phase;
      if (phase !== 'Failed' && phase !== 'Succeeded') return false;
      gone++;
    }
  }
  return gone > 1;
}

function podsShouldBeOnNode(
  pass: Pass,
  node: string,
  elig: Eligibility,
  pods: readonly Pod[] | undefined,
): void {
  const { result } = pass;
  if (pods === undefined || pods.length === 0) {
    if (elig.shouldRun) result.creates.push({ node, reason: MISSING_POD_REASON });
    return;
  }
  if (!elig.shouldContinueRunning) {
    for (const pod of pods) {
      if (pod.metadata?.deletionTimestamp) continue;
      result.deletes.push({ pod, node, reason: `node no longer eligible: ${elig.reason}` });
    }
    return;
  }
  if (manageIsQuiet(elig, pods)) return;
  const running: Pod[] = [];
  let terminating: Pod | undefined;
  let failedDeleted: Pod | undefined;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) {
      terminating ??= pod;
      continue;
    }
    const phase = pod.status?.phase;
    if (phase === 'Failed') {
      if (handleFailedPod(pass, node, pod)) failedDeleted ??= pod;
    } else if (phase === 'Succeeded') {
      const ns = pod.metadata?.namespace ?? '';
      result.events.push({
        type: 'Normal',
        reason: 'SucceededDaemonPod',
        message: `Found succeeded daemon pod ${ns}/${podName(pod)} on node ${node}, will try to delete it`,
      });
      result.deletes.push({
        pod,
        node,
        reason: 'succeeded pod (phase Succeeded); a daemon pod must keep running',
      });
      failedDeleted ??= pod;
    } else {
      running.push(pod);
    }
  }
  if (pass.input.surge) surgeNode(pass, node, elig, running, terminating ?? failedDeleted);
  else pruneNode(pass, node, running, terminating, failedDeleted);
}

/** A single pod that is neither terminating nor terminal: nothing for manage to do (the fast path). */
function isQuietPod(pod: Pod): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  const phase = pod.status?.phase;
  return phase !== 'Failed' && phase !== 'Succeeded';
}

/** Deletes a failed pod unless its node's key is in backoff; returns whether it was deleted. */
function handleFailedPod(pass: Pass, node: string, pod: Pod): boolean {
  const { input, result } = pass;
  const key = failedPodsBackoffKey(input.ds, node);
  const entry = result.backoffUpdates.get(key) ?? input.backoff.get(key);
  if (isInBackoff(entry, input.now, input.backoffConfig)) {
    const remaining = entry!.lastUpdateMs + entry!.delayMs - input.now;
    pass.requeue = pass.requeue === null ? remaining : Math.min(pass.requeue, remaining);
    if (!result.notes.has(node)) {
      result.notes.set(
        node,
        `failed pod ${podName(pod)} is kept for ${formatDuration(remaining)} more (backoff)`,
      );
    }
    return false;
  }
  const next = nextBackoff(entry, input.now, input.backoffConfig);
  result.backoffUpdates.set(key, next);
  const ns = pod.metadata?.namespace ?? '';
  result.events.push({
    type: 'Warning',
    reason: 'FailedDaemonPod',
    message: `Found failed daemon pod ${ns}/${podName(pod)} on node ${node}, will try to kill it`,
  });
  result.deletes.push({
    pod,
    node,
    reason: `failed pod (phase Failed); backoff ${formatDuration(next.delayMs)}`,
  });
  return true;
}

/** Without surge: keep the oldest running pod, delete the others; a node that only has
 * terminating or failed pods waits for them to go before it gets a new one. */
function pruneNode(
  pass: Pass,
  node: string,
  running: Pod[],
  terminating: Pod | undefined,
  gone: Pod | undefined,
): void {
  const { result } = pass;
  if (running.length > 1) {
    running.sort(compareOldestFirst);
    const kept = podName(running[0]!);
    for (let i = 1; i < running.length; i++) {
      result.deletes.push({
        pod: running[i]!,
        node,
        reason: `duplicate: node has ${running.length} pods, keeping the oldest ${kept}`,
      });
    }
    return;
  }
  if (running.length === 1 || result.notes.has(node)) return;
  const waitFor = terminating ?? gone;
  if (waitFor !== undefined) {
    result.notes.set(
      node,
      `pod pending: waiting for the deletion of ${podName(waitFor)} to finish`,
    );
  }
}

/** With surge (§5.2): at most the oldest new and the oldest old running pod stay, and the old
 * one goes once it is not Ready or the new one is available. */
function surgeNode(
  pass: Pass,
  node: string,
  elig: Eligibility,
  running: Pod[],
  gone: Pod | undefined,
): void {
  const { input, result } = pass;
  if (running.length === 0) {
    if (elig.shouldRun) {
      const why =
        gone === undefined ? '' : ` (${podName(gone)} is terminating, failed or succeeded)`;
      result.creates.push({
        node,
        reason: `no running daemon pod on an eligible node${why}; surge allows a replacement now`,
      });
    }
    return;
  }
  if (running.length === 1) return;
  running.sort(compareOldestFirst);
  let oldestNew: Pod | undefined;
  let oldestOld: Pod | undefined;
  for (const pod of running) {
    const isNew = pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === input.hash;
    if (isNew && oldestNew === undefined) oldestNew = pod;
    else if (!isNew && oldestOld === undefined) oldestOld = pod;
    else {
      const kept = podName((isNew ? oldestNew : oldestOld)!);
      const kind = isNew ? 'new' : 'old';
      result.deletes.push({
        pod,
        node,
        reason: `duplicate: node has more than one ${kind} pod, keeping the oldest ${kept}`,
      });
    }
  }
  if (oldestNew === undefined || oldestOld === undefined) return;
  if (!isPodReady(oldestOld)) {
    result.deletes.push({
      pod: oldestOld,
      node,
      reason: `surge: old pod is not Ready and the new pod ${podName(oldestNew)} is on the node`,
    });
  } else if (isPodAvailable(oldestNew, input.ds.spec?.minReadySeconds ?? 0, input.now)) {
    result.deletes.push({
      pod: oldestOld,
      node,
      reason: `surge: new pod ${podName(oldestNew)} is available`,
    });
  }
}
