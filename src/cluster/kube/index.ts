/** The kube adapter of the Cluster port (kube-apiserver via @kubernetes/client-node). */
export { KubeCluster, type KubeClusterOptions } from './cluster.js';
export { TokenBucket } from './ratelimit.js';
