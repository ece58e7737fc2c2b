/**
 * One node's state for one DaemonSet, from the node's eligibility and the DaemonSet's pods on it:
 * the grid's colour, the pod it is about, and a few words on why. Pure; shared by the sim
 * recorder, the plan preview and the dashboard.
 */
import { isPodAvailable, isPodReady } from '../../../api/pod.js';
import type { Pod } from '../../../api/types.js';
import { CONTROLLER_REVISION_HASH_LABEL } from '../../../api/types.js';
import type { Eligibility } from '../../../engine/eligibility.js';
import { S } from './model.js';

/** Container reasons that mean the pod will not become ready by waiting. */
const FAILING = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'InvalidImageName',
  'RunContainerError',
  'OOMKilled',
  'Error',
]);

/** The node's state, the pod shown (undefined: none), its revision hash, and why. */
export interface NodeState {
  readonly state: number;
  readonly pod: Pod | undefined;
  readonly hash: string;
  readonly why: string;
}

/** What a kubelet would show for a pod: a container's waiting/terminated reason, else its phase. */
export function podReason(p: Pod): string {
  for (const c of p.status?.containerStatuses ?? []) {
    const w = c.state?.waiting?.reason;
    if (w) return w;
    const t = c.state?.terminated?.reason;
    if (t) return t;
  }
  return p.status?.phase ?? 'Pending';
}

function describe(p: Pod, minReady: number, now: number): { failing: boolean; text: string } {
  if (p.status?.phase === 'Failed') return { failing: true, text: `Failed (${podReason(p)})` };
  const reason = podReason(p);
  if (FAILING.has(reason)) return { failing: true, text: reason };
  if (isPodAvailable(p, minReady, now)) return { failing: false, text: 'Running, Ready' };
  if (isPodReady(p))
    return { failing: false, text: `Ready, available after minReadySeconds ${minReady}s` };
  if (p.status?.phase === 'Running') return { failing: false, text: 'Running, not Ready yet' };
  if (!p.spec?.nodeName) return { failing: false, text: 'Pending, not yet bound to the node' };
  return { failing: false, text: reason };
}

const hashOf = (p: Pod): string => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';

/**
 * Classifies a node: `pods` are the DaemonSet's pods mapped to it (bound there, or pinned to it
 * and not yet bound), `newest` the update revision's hash. With more than one pod (surge), the
 * newest live pod is the one shown, and the others are named in `why`. `pinned`: the stable
 * revision's hash while the rollout holds nodes on it (rolloutstate.ts pinnedHash); a healthy pod
 * of it is `pinned`, not `old`.
 */
export function classifyNode(
  e: Eligibility,
  pods: readonly Pod[] | undefined,
  newest: string | undefined,
  minReady: number,
  now: number,
  pinned?: string,
): NodeState {
  let live: Pod | undefined;
  let liveNew = false;
  let dying: Pod | undefined;
  for (const p of pods ?? []) {
    if (p.metadata?.deletionTimestamp) {
      dying ??= p;
      continue;
    }
    const isNew = hashOf(p) === newest;
    if (live === undefined || (isNew && !liveNew)) {
      live = p;
      liveNew = isNew;
    }
  }
  const others = (pods?.length ?? 0) > 1 ? othersText(pods!, live ?? dying) : '';
  if (live === undefined && dying === undefined) {
    if (!e.shouldRun) return { state: S.ineligible, pod: undefined, hash: '', why: e.reason };
    return { state: S.none, pod: undefined, hash: '', why: 'eligible, no pod yet' };
  }
  const notEligible = e.shouldRun
    ? ''
    : e.shouldContinueRunning
      ? `; not eligible for new pods (${e.reason}), the pod may stay`
      : `; should not run here (${e.reason})`;
  if (live === undefined) {
    return {
      state: S.terminating,
      pod: dying,
      hash: hashOf(dying!),
      why: `Terminating${notEligible}${others}`,
    };
  }
  const d = describe(live, minReady, now);
  const hash = hashOf(live);
  let state: number;
  if (d.failing) state = S.failing;
  else if (!liveNew && pinned !== undefined && hash === pinned) {
    return {
      state: S.pinned,
      pod: live,
      hash,
      why: `${d.text}; held on the stable revision${notEligible}${others}`,
    };
  } else if (!liveNew) state = S.old;
  else if (d.text === 'Running, Ready') state = S.available;
  else if (live.status?.phase === 'Running') state = S.newNotReady;
  else state = S.pending;
  return { state, pod: live, hash, why: `${d.text}${notEligible}${others}` };
}

function othersText(pods: readonly Pod[], shown: Pod | undefined): string {
  const rest = pods.filter((p) => p !== shown);
  if (rest.length === 0) return '';
  const names = rest.map(
    (p) => `${p.metadata?.name ?? ''}${p.metadata?.deletionTimestamp ? ' (terminating)' : ''}`,
  );
  return `; also on this node: ${names.join(', ')}`;
}
