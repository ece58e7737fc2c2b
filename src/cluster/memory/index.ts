/**
 * The memory adapter of the Cluster port: the embedded cluster's API server.
 *
 * It keeps objects in memory and behaves like kube-apiserver wherever the controller can tell:
 * a cluster-wide monotonic resourceVersion; optimistic concurrency (a stale resourceVersion gets
 * Conflict); generateName, uid and creationTimestamp; generation raised on spec changes only; the
 * status subresource; DaemonSet defaulting and validation on every write; list and watch with
 * label and field selectors, watch from a resourceVersion with bookmarks and 410 Gone when it is
 * too old; graceful pod deletion; finalizers; garbage collection by ownerReferences
 * (Background, Foreground, Orphan). Everything time- or chance-dependent comes from the injected
 * Clock and random source, so a simulation replays exactly.
 */
export { MemoryCluster, type MemoryClusterOptions } from './cluster.js';
export type { ApiCallStats, FaultContext, FaultOptions, FaultRule, Verb } from './faults.js';
