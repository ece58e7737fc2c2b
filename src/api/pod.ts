/**
 * Pod helpers the controller decides with: readiness, availability, updated-ness, target node,
 * ordering, controller references.
 * CONTRACT STUB: the api helper implements the bodies; signatures are fixed.
 */
import type { DaemonSet, OwnerReference, Pod } from './types.js';

/** The pod has a Ready condition with status True. */
export declare function isPodReady(pod: Pod): boolean;

/**
 * Ready, and either minReadySeconds is 0 or the Ready lastTransitionTime + minReadySeconds is
 * strictly before now (epoch ms). Without a transition time and minReadySeconds > 0: never.
 */
export declare function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean;

/** Epoch ms of the Ready condition's lastTransitionTime, when Ready and set. */
export declare function podReadySince(pod: Pod): number | undefined;

/** IsPodUpdated: hash label equals hash (non-empty), or pod-template-generation equals the DS's. */
export declare function isPodUpdated(pod: Pod, hash: string, templateGeneration: string | undefined): boolean;

/** Phase Succeeded or Failed. */
export declare function isPodTerminal(pod: Pod): boolean;

/** The parsed deprecated.daemonset.template.generation annotation as a decimal string, if it parses. */
export declare function templateGenerationOf(ds: DaemonSet): string | undefined;

/** Result of GetTargetNodeName: the node, or an error saying why the pod cannot be mapped. */
export type TargetNode = { readonly node: string } | { readonly error: string };

/** GetTargetNodeName (spec §2.6). */
export declare function getTargetNodeName(pod: Pod): TargetNode;

/** The oldest-first order of §5.2.1: bound before unbound, then creationTimestamp, then name. */
export declare function compareOldestFirst(a: Pod, b: Pod): number;

/** The owner reference with controller: true, if any. */
export declare function getControllerOf(obj: {
  readonly metadata?: { readonly ownerReferences?: readonly OwnerReference[] | undefined } | undefined;
}): OwnerReference | undefined;
