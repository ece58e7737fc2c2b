/** Pod status as a kubelet writes it: phases, conditions and container states (pure builders). */
import type { Pod, PodCondition } from '../api/types.js';
import { formatTime as formatTimeNow } from '../api/types.js';
import type { Mutable } from '../api/types.js';

let lastSecond = NaN;
let lastStamp = '';

/**
 * formatTime, remembering the last second: thousands of pods get their status in the same
 * virtual second, and building the text through a Date each time was a visible part of a run.
 */
function formatTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastStamp = formatTimeNow(ms);
    lastSecond = second;
  }
  return lastStamp;
}

type Status = Mutable<NonNullable<Pod['status']>>;
type ContainerStatus = NonNullable<Status['containerStatuses']>[number];
type ContainerState = NonNullable<ContainerStatus['state']>;

/** A condition of the given type and status, keeping lastTransitionTime when the status does not change. */
function condition(
  old: PodCondition | undefined,
  type: string,
  status: 'True' | 'False',
  now: string,
  reason?: string,
): PodCondition {
  const lastTransitionTime =
    old !== undefined && old.status === status ? old.lastTransitionTime : now;
  return reason === undefined
    ? { type, status, lastTransitionTime }
    : { type, status, lastTransitionTime, reason };
}

/** Sets a condition (see condition), moving it to the end of the list. */
function setCondition(
  conds: PodCondition[],
  type: string,
  status: 'True' | 'False',
  now: string,
  reason?: string,
): PodCondition[] {
  const out: PodCondition[] = [];
  let old: PodCondition | undefined;
  for (const c of conds) {
    if (c.type !== type) out.push(c);
    else old ??= c;
  }
  out.push(condition(old, type, status, now, reason));
  return out;
}

/** Where kube lists a condition type; unknown types first, as a stable sort by this rank puts them. */
function rank(type: string): number {
  switch (type) {
    case 'PodReadyToStartContainers':
      return 0;
    case 'Initialized':
      return 1;
    case 'Ready':
      return 2;
    case 'ContainersReady':
      return 3;
    case 'PodScheduled':
      return 4;
    default:
      return -1;
  }
}

/**
 * The conditions in kube's order (a stable sort by rank), built by one pass per rank instead of a
 * sort with a comparator: these lists have a handful of entries and this runs for every status a
 * simulated kubelet builds.
 */
function ordered(c: readonly PodCondition[]): PodCondition[] {
  const out: PodCondition[] = [];
  for (let r = -1; r <= 4 && out.length < c.length; r++)
    for (const x of c) if (rank(x.type) === r) out.push(x);
  return out;
}

function containers(
  pod: Pod,
  state: ContainerState,
  ready: boolean,
  restartCount = 0,
): ContainerStatus[] {
  return (pod.spec?.containers ?? []).map((c) => ({
    name: c.name,
    image: c.image ?? '',
    imageID: '',
    ready,
    started: state.running !== undefined,
    restartCount,
    state,
  }));
}

/** The pod's status with its Ready and ContainersReady conditions set as given. */
function withReady(pod: Pod, ready: boolean, nowMs: number, reason?: string): PodCondition[] {
  const now = formatTime(nowMs);
  const status = ready ? 'True' : 'False';
  const why = ready ? undefined : reason;
  // As setCondition twice (ContainersReady, then Ready) and a sort, in one pass.
  const rest: PodCondition[] = [];
  let oldContainers: PodCondition | undefined;
  let oldReady: PodCondition | undefined;
  for (const c of pod.status?.conditions ?? []) {
    if (c.type === 'ContainersReady') oldContainers ??= c;
    else if (c.type === 'Ready') oldReady ??= c;
    else rest.push(c);
  }
  rest.push(condition(oldContainers, 'ContainersReady', status, now, why));
  rest.push(condition(oldReady, 'Ready', status, now, why));
  return ordered(rest);
}

/** Pending: accepted by the kubelet, containers being created. */
export function pendingStatus(pod: Pod, nowMs: number, hostIP: string, podIP: string): Status {
  const now = formatTime(nowMs);
  let c: PodCondition[] = [];
  c = setCondition(c, 'PodScheduled', 'True', now);
  c = setCondition(c, 'Initialized', 'True', now);
  const base = { ...pod, status: { conditions: c } } as Pod;
  return {
    phase: 'Pending',
    hostIP,
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: now,
    conditions: withReady(base, false, nowMs, 'ContainersNotReady'),
    containerStatuses: containers(pod, { waiting: { reason: 'ContainerCreating' } }, false),
  };
}

/** Running, containers started but not ready yet. */
export function runningStatus(pod: Pod, nowMs: number): Status {
  return {
    ...(pod.status as Status | undefined),
    phase: 'Running',
    conditions: withReady(pod, false, nowMs, 'ContainersNotReady'),
    containerStatuses: containers(pod, { running: { startedAt: formatTime(nowMs) } }, false),
  };
}

/** Running and Ready. */
export function readyStatus(pod: Pod, nowMs: number): Status {
  const startedAt =
    pod.status?.containerStatuses?.[0]?.state?.running?.startedAt ?? formatTime(nowMs);
  return {
    ...(pod.status as Status | undefined),
    phase: 'Running',
    conditions: withReady(pod, true, nowMs),
    containerStatuses: containers(pod, { running: { startedAt } }, true),
  };
}

/** Not ready (the node went away, or the node lifecycle controller marked it), phase unchanged. */
export function notReadyStatus(pod: Pod, nowMs: number, reason: string): Status {
  return {
    ...(pod.status as Status | undefined),
    conditions: withReady(pod, false, nowMs, reason),
  };
}

/** A bad image: stuck Pending in ImagePullBackOff. */
export function imagePullBackOffStatus(pod: Pod, nowMs: number): Status {
  const image = pod.spec?.containers[0]?.image ?? '';
  return {
    ...(pod.status as Status | undefined),
    phase: 'Pending',
    conditions: withReady(pod, false, nowMs, 'ContainersNotReady'),
    containerStatuses: containers(
      pod,
      { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` } },
      false,
    ),
  };
}

/** A crash loop: Running phase, containers restarting, never Ready. */
export function crashLoopStatus(pod: Pod, nowMs: number, restarts: number): Status {
  return {
    ...(pod.status as Status | undefined),
    phase: 'Running',
    conditions: withReady(pod, false, nowMs, 'ContainersNotReady'),
    containerStatuses: containers(
      pod,
      { waiting: { reason: 'CrashLoopBackOff', message: 'back-off restarting failed container' } },
      false,
      restarts,
    ),
  };
}

/** Failed: every container exited with an error. */
export function failedStatus(pod: Pod, nowMs: number, message: string): Status {
  const now = formatTime(nowMs);
  return {
    ...(pod.status as Status | undefined),
    phase: 'Failed',
    message,
    reason: 'Error',
    conditions: withReady(pod, false, nowMs, 'PodFailed'),
    containerStatuses: containers(
      pod,
      { terminated: { exitCode: 1, reason: 'Error', finishedAt: now } },
      false,
    ),
  };
}

/** Why a pod is not ready, as kubectl's STATUS column would say: "ImagePullBackOff", "CrashLoopBackOff". */
export function podStatusReason(pod: Pod): string {
  if (pod.metadata?.deletionTimestamp) return 'Terminating';
  const waiting = pod.status?.containerStatuses?.find((c) => c.state?.waiting?.reason)?.state
    ?.waiting?.reason;
  return waiting ?? pod.status?.phase ?? 'Pending';
}
