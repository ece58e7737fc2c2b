/**
 * Pod helpers the controller decides with: readiness, availability, updated-ness, target node,
 * ordering, controller references.
 */
import {
  CONTROLLER_REVISION_HASH_LABEL,
  POD_TEMPLATE_GENERATION_LABEL,
  TEMPLATE_GENERATION_ANNOTATION,
  parseTime,
} from './types.js';
import type { DaemonSet, OwnerReference, Pod, PodCondition } from './types.js';

function readyCondition(pod: Pod): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

/** The pod has a Ready condition with status True. */
export function isPodReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/**
 * Ready, and either minReadySeconds is 0 or the Ready lastTransitionTime + minReadySeconds is
 * strictly before now (epoch ms). Without a transition time and minReadySeconds > 0: never.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = parseTime(readyCondition(pod)?.lastTransitionTime);
  return since !== undefined && since + minReadySeconds * 1000 < nowMs;
}

/** Epoch ms of the Ready condition's lastTransitionTime, when Ready and set. */
export function podReadySince(pod: Pod): number | undefined {
  if (!isPodReady(pod)) return undefined;
  return parseTime(readyCondition(pod)?.lastTransitionTime);
}

/** IsPodUpdated: hash label equals hash (non-empty), or pod-template-generation equals the DS's. */
export function isPodUpdated(
  pod: Pod,
  hash: string,
  templateGeneration: string | undefined,
): boolean {
  const labels = pod.metadata?.labels ?? {};
  const hashMatches = hash !== '' && labels[CONTROLLER_REVISION_HASH_LABEL] === hash;
  const generationMatches =
    templateGeneration !== undefined &&
    labels[POD_TEMPLATE_GENERATION_LABEL] === templateGeneration;
  return hashMatches || generationMatches;
}

/** Phase Succeeded or Failed. */
export function isPodTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The parsed deprecated.daemonset.template.generation annotation as a decimal string, if it
 * parses; undefined for everynode's custom resource. kube-apiserver raises the annotation with
 * every template change of an apps/v1 DaemonSet; nothing does for the custom resource, so there a
 * value (set by a user, or kept from the apps/v1 object it was moved from) says nothing about the
 * template, and IsPodUpdated's fallback on it would count old pods as updated: the hash decides.
 */
export function templateGenerationOf(ds: DaemonSet): string | undefined {
  if (ds.apiVersion?.startsWith('apps.everynode.dev/')) return undefined;
  const raw = ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  // strconv.ParseInt(s, 10, 64): an optional sign, decimal digits, within int64.
  if (raw === undefined || !/^[+-]?[0-9]+$/.test(raw)) return undefined;
  const n = BigInt(raw);
  if (n < INT64_MIN || n > INT64_MAX) return undefined;
  return n.toString();
}

/** Result of GetTargetNodeName: the node, or an error saying why the pod cannot be mapped. */
export type TargetNode = { readonly node: string } | { readonly error: string };

/** namespace/name for error texts; built only on an error path (per resolved pod it showed in B1). */
function podWho(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/** GetTargetNodeName (spec §2.6). */
export function getTargetNodeName(pod: Pod): TargetNode {
  const nodeName = pod.spec?.nodeName ?? '';
  if (nodeName !== '') return { node: nodeName };
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required == null) {
    return {
      error: `no spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution for pod ${podWho(pod)}`,
    };
  }
  const terms = required.nodeSelectorTerms ?? [];
  if (terms.length === 0) {
    return {
      error: `no nodeSelectorTerms in requiredDuringSchedulingIgnoredDuringExecution of pod ${podWho(pod)}`,
    };
  }
  for (const term of terms) {
    for (const f of term.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In') {
        const values = f.values ?? [];
        if (values.length !== 1)
          return {
            error: `the matchFields value of 'metadata.name' is not unique for pod ${podWho(pod)}`,
          };
        return { node: values[0]! };
      }
    }
  }
  return { error: `no node name found for pod ${podWho(pod)}` };
}

/** The oldest-first order of §5.2.1: bound before unbound, then creationTimestamp, then name. */
export function compareOldestFirst(a: Pod, b: Pod): number {
  const aBound = (a.spec?.nodeName ?? '') !== '';
  const bBound = (b.spec?.nodeName ?? '') !== '';
  if (aBound !== bBound) return aBound ? -1 : 1;
  // An unset creationTimestamp is Go's zero time, earlier than any real one.
  const ta = parseTime(a.metadata?.creationTimestamp) ?? Number.NEGATIVE_INFINITY;
  const tb = parseTime(b.metadata?.creationTimestamp) ?? Number.NEGATIVE_INFINITY;
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** The owner reference with controller: true, if any. */
export function getControllerOf(obj: {
  readonly metadata?:
    { readonly ownerReferences?: readonly OwnerReference[] | undefined } | undefined;
}): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}
