/**
 * Taints and tolerations: ToleratesTaint, and the default daemon tolerations with their merge.
 * CONTRACT STUB: the api helper implements the bodies; signatures are fixed.
 */
import type { Taint, Toleration } from './types.js';

/** The default daemon tolerations of spec §2.2, in merge order (network-unavailable only with hostNetwork). */
export declare function defaultDaemonTolerations(hostNetwork: boolean): readonly Toleration[];

/** Merges the defaults into the given tolerations as AddOrUpdateTolerationInPodSpec does. */
export declare function addDefaultDaemonTolerations(
  tolerations: readonly Toleration[] | undefined,
  hostNetwork: boolean,
): Toleration[];

/** ToleratesTaint: effect, key and operator/value rules of spec §2.2. */
export declare function toleratesTaint(toleration: Toleration, taint: Taint): boolean;

/** The first taint (passing filter) that no toleration tolerates, or undefined. */
export declare function findUntoleratedTaint(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[],
  filter: (taint: Taint) => boolean,
): Taint | undefined;

/** "key=value:Effect" or "key:Effect", as kubectl prints a taint. */
export declare function formatTaint(taint: Taint): string;
