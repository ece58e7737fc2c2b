/**
 * Health gates over pods (shared/spec/rollout-features.md §2 `rollingUpdate.healthGates`, §3.6)
 * and the healthy-since time that bakes read.
 *
 * The gates judge the update revision's pods on unimpaired nodes (the caller passes those pods;
 * pods on impaired nodes and pods being deleted are skipped here too). A pod fails when, checked
 * in this order:
 *
 * 1. a container (init or regular) is waiting or terminated, now or in its last state, with a
 *    reason in failOnReasons (CrashLoopBackOff, ImagePullBackOff, OOMKilled, ...);
 * 2. its containers restarted more than maxRestarts times in total;
 * 3. it has not been Ready for more than maxNotReadySeconds (since the Ready condition's last
 *    transition, or since the pod started when it never reported one).
 *
 * A node fails when one of its pods does; the gates trip when maxFailedNodes nodes fail (an int,
 * or a percent of the release set rounded up; at least 1). The failure recorded is the first
 * failing node's in natural name order, so two syncs over the same pods record the same one.
 */
import { getScaledValue } from '../../api/intstr.js';
import { parseTime } from '../../api/types.js';
import type { IntOrString, Pod } from '../../api/types.js';
import { compareNodeNames } from '../updatepolicy.js';

/** What a trip does: hold the rollout where it is, or go back to the stable revision. */
export type OnFailure = 'Pause' | 'Abort';

/** The pod part of `healthGates` this module reads (the prometheus gate is metricgate.ts's). */
export interface HealthGatesSpec {
  readonly failOnReasons?: readonly string[];
  readonly maxRestarts?: number;
  readonly maxNotReadySeconds?: number;
  readonly maxFailedNodes?: IntOrString;
  readonly onFailure?: OnFailure;
}

/** Every field of HealthGatesSpec filled in. */
export type ResolvedHealthGates = Required<HealthGatesSpec>;

/** The defaults of the spec's `healthGates` block. */
export const DEFAULT_HEALTH_GATES: ResolvedHealthGates = Object.freeze({
  failOnReasons: Object.freeze([
    'CrashLoopBackOff',
    'ImagePullBackOff',
    'ErrImagePull',
    'CreateContainerConfigError',
    'OOMKilled',
  ]),
  maxRestarts: 2,
  maxNotReadySeconds: 300,
  maxFailedNodes: 1,
  onFailure: 'Pause',
});

/**
 * The gates in force: none when healthGates is absent and there is neither a canary nor waves
 * (plain apps/v1 has no gates); otherwise the given fields over DEFAULT_HEALTH_GATES.
 */
export function resolveHealthGates(
  spec: HealthGatesSpec | undefined,
  hasCanaryOrWaves: boolean,
): ResolvedHealthGates | undefined {
  if (spec === undefined && !hasCanaryOrWaves) return undefined;
  const out: Record<string, unknown> = { ...DEFAULT_HEALTH_GATES };
  for (const [k, v] of Object.entries(spec ?? {})) if (v !== undefined) out[k] = v;
  return out as ResolvedHealthGates;
}

/** Why a gate tripped: the container's reason, or one of the gates' own reasons. */
export interface GateFailure {
  /** A container reason (CrashLoopBackOff, ...), PodRestarts or PodNotReady. */
  readonly reason: string;
  readonly message: string;
  readonly node: string;
  readonly pod: string;
  /** Epoch ms when the gate saw it. */
  readonly time: number;
}

/** One update-revision pod for the gates: its node and whether that node is impaired. */
export interface GatedPod {
  readonly node: string;
  readonly pod: Pod;
  readonly impaired?: boolean;
}

/** The gates' judgement on a set of pods. */
export interface GateVerdict {
  readonly tripped: boolean;
  /** Nodes with a failing pod, and how many trip the gates. */
  readonly failedNodes: number;
  readonly threshold: number;
  /** One failure per failing node, natural node order. */
  readonly failures: readonly GateFailure[];
  /** The failure to record when tripped: the first of `failures`. */
  readonly failure?: GateFailure;
  /** What the trip does (onFailure); set when tripped. */
  readonly action?: OnFailure;
  /** The earliest time a pod not failing yet would cross maxNotReadySeconds: requeue then. */
  readonly recheckAt?: number;
}

type ContainerStatus = NonNullable<NonNullable<Pod['status']>['containerStatuses']>[number];

function containerStatuses(pod: Pod): readonly ContainerStatus[] {
  const s = pod.status;
  return [...(s?.initContainerStatuses ?? []), ...(s?.containerStatuses ?? [])].filter(
    (c) => c != null,
  );
}

function reasonFailure(pod: Pod, reasons: ReadonlySet<string>): [string, string] | undefined {
  for (const c of containerStatuses(pod)) {
    const seen: [string, string | undefined, string | undefined][] = [
      ['waiting', c.state?.waiting?.reason, c.state?.waiting?.message],
      ['terminated', c.state?.terminated?.reason, c.state?.terminated?.message],
      ['last terminated', c.lastState?.terminated?.reason, c.lastState?.terminated?.message],
    ];
    for (const [where, reason, message] of seen) {
      if (reason === undefined || !reasons.has(reason)) continue;
      const code =
        where === 'waiting'
          ? undefined
          : (where === 'terminated' ? c.state?.terminated : c.lastState?.terminated)?.exitCode;
      const detail = [code !== undefined ? `exit code ${code}` : '', message ?? '']
        .filter(Boolean)
        .join('; ');
      return [reason, `container ${c.name} ${where}: ${reason}${detail ? ` (${detail})` : ''}`];
    }
  }
  return undefined;
}

const reasonSets = new WeakMap<readonly string[], ReadonlySet<string>>();

/** failOnReasons as a set, made once per list (checkPod runs per pod per sync). */
function reasonSet(reasons: readonly string[]): ReadonlySet<string> {
  let set = reasonSets.get(reasons);
  if (set === undefined) reasonSets.set(reasons, (set = new Set(reasons)));
  return set;
}

function readyCondition(pod: Pod) {
  return pod.status?.conditions?.find((c) => c?.type === 'Ready');
}

/** Epoch ms since when the pod has not been Ready; undefined when Ready or no time is known. */
function notReadySince(pod: Pod): number | undefined {
  const ready = readyCondition(pod);
  if (ready?.status === 'True') return undefined;
  return (
    parseTime(ready?.lastTransitionTime) ??
    parseTime(pod.status?.startTime) ??
    parseTime(pod.metadata?.creationTimestamp)
  );
}

/**
 * The first gate this pod fails (this module's header), or undefined with, when the pod is not
 * Ready, the time it would cross maxNotReadySeconds.
 */
export function checkPod(
  gated: GatedPod,
  gates: ResolvedHealthGates,
  now: number,
): { failure?: GateFailure; recheckAt?: number } {
  const { pod, node } = gated;
  const at = { node, pod: pod.metadata?.name ?? '', time: now };
  const byReason = reasonFailure(pod, reasonSet(gates.failOnReasons));
  if (byReason) return { failure: { reason: byReason[0], message: byReason[1], ...at } };
  const restarts = containerStatuses(pod).reduce((n, c) => n + (c.restartCount ?? 0), 0);
  if (restarts > gates.maxRestarts) {
    const message = `containers restarted ${restarts} times (maxRestarts ${gates.maxRestarts})`;
    return { failure: { reason: 'PodRestarts', message, ...at } };
  }
  const since = notReadySince(pod);
  if (since === undefined) return {};
  const limit = since + gates.maxNotReadySeconds * 1000;
  if (now > limit) {
    const secs = Math.floor((now - since) / 1000);
    const message = `not Ready for ${secs}s (maxNotReadySeconds ${gates.maxNotReadySeconds})`;
    return { failure: { reason: 'PodNotReady', message, ...at } };
  }
  return { recheckAt: limit + 1 };
}

/**
 * True for a pod no health gates with maxRestarts >= 0 can fail, now or later: Ready, no
 * container restarted, and no container state (now or last) carrying a reason. checkPod returns
 * nothing for it whatever the gates and the time, so a caller may leave it out of
 * evaluateHealthGates (the incremental planner judges only the others).
 */
export function podSettled(pod: Pod): boolean {
  if (readyCondition(pod)?.status !== 'True') return false;
  for (const c of containerStatuses(pod)) {
    if ((c.restartCount ?? 0) !== 0) return false;
    if (c.state?.waiting?.reason !== undefined || c.state?.terminated?.reason !== undefined)
      return false;
    if (c.lastState?.terminated?.reason !== undefined) return false;
  }
  return true;
}

/**
 * Judges the update-revision pods against the gates (this module's header); `released` is the
 * size of the release set that a percent maxFailedNodes scales against.
 */
export function evaluateHealthGates(
  gates: ResolvedHealthGates,
  pods: readonly GatedPod[],
  released: number,
  now: number,
): GateVerdict {
  let threshold: number;
  try {
    threshold = getScaledValue(gates.maxFailedNodes, released, true);
  } catch {
    threshold = 1; // validation refuses a malformed value; never let one disable the gates
  }
  threshold = Math.max(1, threshold);
  const byNode = new Map<string, GateFailure>();
  let recheckAt: number | undefined;
  for (const g of pods) {
    if (g.impaired || g.pod.metadata?.deletionTimestamp || byNode.has(g.node)) continue;
    const r = checkPod(g, gates, now);
    if (r.failure) byNode.set(g.node, r.failure);
    else if (r.recheckAt !== undefined) recheckAt = Math.min(recheckAt ?? Infinity, r.recheckAt);
  }
  const failures = [...byNode.values()].sort((a, b) => compareNodeNames(a.node, b.node));
  const tripped = failures.length >= threshold;
  return {
    tripped,
    failedNodes: failures.length,
    threshold,
    failures,
    ...(tripped ? { failure: failures[0]!, action: gates.onFailure } : {}),
    ...(recheckAt !== undefined ? { recheckAt } : {}),
  };
}

/**
 * Epoch ms since when the pod has been healthy for a bake: the later of when it became available
 * (Ready's last transition + minReadySeconds) and its containers' latest restart; undefined when
 * it is not Ready or its Ready time is unknown. A restart moves it forward, which restarts a bake.
 */
export function podHealthySince(pod: Pod, minReadySeconds: number): number | undefined {
  const ready = readyCondition(pod);
  if (ready?.status !== 'True') return undefined;
  const readyAt = parseTime(ready.lastTransitionTime);
  if (readyAt === undefined) return undefined;
  let since = readyAt + minReadySeconds * 1000;
  for (const c of containerStatuses(pod)) {
    if ((c.restartCount ?? 0) === 0) continue;
    const restarted = parseTime(c.state?.running?.startedAt ?? c.lastState?.terminated?.finishedAt);
    if (restarted !== undefined) since = Math.max(since, restarted);
  }
  return since;
}
