/** Building simulated Node objects, reading their health, and resolving scenario node references. */
import type { NodeCondition as K8sNodeCondition } from 'kubernetes-types/core/v1.js';
import type { DeepReadonly, Node, Taint } from '../api/types.js';
import { formatTime } from '../api/types.js';

type NodeCondition = DeepReadonly<K8sNodeCondition>;
import type { NodeRef, NodeSpec } from './scenario/types.js';

/** The node condition reasons and taints the node lifecycle controller uses. */
export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';

/**
 * The most nodes one simulation may hold (scenario nodes, addNodes, `run --embedded-nodes`):
 * about 30 times the 10k-node example, well within memory; a count past it is refused instead
 * of ending in an out-of-memory abort.
 */
export const MAX_SIMULATED_NODES = 100_000;

/** A node's health as the kubelet and node lifecycle see it. */
export type NodeHealth = 'ready' | 'notReady' | 'unreachable';

let addressSeq = 0;

/** A Node in wire form for a scenario node: Ready (or not), with capacity, addresses and hostname label. */
export function buildNode(spec: NodeSpec, nowMs: number): Node {
  const n = addressSeq++;
  const health: NodeHealth = spec.ready ? 'ready' : 'notReady';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      labels: {
        'kubernetes.io/hostname': spec.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        ...spec.labels,
      },
    },
    spec: { taints: withHealthTaints(spec.taints, health, nowMs) },
    status: {
      conditions: [readyCondition(health, nowMs)],
      capacity: { pods: String(spec.pods), cpu: '8', memory: '32Gi' },
      allocatable: { pods: String(spec.pods), cpu: '7800m', memory: '31Gi' },
      addresses: [
        { type: 'InternalIP', address: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` },
        { type: 'Hostname', address: spec.name },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.33.0-everynode-sim',
        kubeProxyVersion: '',
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: '6.8.0',
        osImage: 'everynode simulated node',
        containerRuntimeVersion: 'sim://1.0',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

/** The Ready condition for a health state. */
export function readyCondition(health: NodeHealth, nowMs: number): NodeCondition {
  const t = formatTime(nowMs);
  switch (health) {
    case 'ready':
      return {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'kubelet is posting ready status',
        lastHeartbeatTime: t,
        lastTransitionTime: t,
      };
    case 'notReady':
      return {
        type: 'Ready',
        status: 'False',
        reason: 'KubeletNotReady',
        message: 'container runtime is down',
        lastHeartbeatTime: t,
        lastTransitionTime: t,
      };
    case 'unreachable':
      return {
        type: 'Ready',
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
        lastHeartbeatTime: t,
        lastTransitionTime: t,
      };
  }
}

/** The node's taints with the lifecycle taints set to match a health state (user taints kept). */
export function withHealthTaints(
  taints: readonly Taint[] | undefined,
  health: NodeHealth,
  nowMs: number,
): Taint[] {
  const kept = (taints ?? []).filter(
    (t) =>
      !((t.key === NOT_READY_TAINT || t.key === UNREACHABLE_TAINT) && t.effect === 'NoExecute'),
  );
  const at = formatTime(nowMs);
  if (health === 'notReady')
    kept.push({ key: NOT_READY_TAINT, effect: 'NoExecute', timeAdded: at });
  if (health === 'unreachable')
    kept.push({ key: UNREACHABLE_TAINT, effect: 'NoExecute', timeAdded: at });
  return kept;
}

/** nodeHealth by node object: node objects are replaced, never changed, and the kubelets ask on every pod event. */
const healthOf = new WeakMap<Node, NodeHealth>();

/** The health a Node object reports through its Ready condition. */
export function nodeHealth(node: Node): NodeHealth {
  let h = healthOf.get(node);
  if (h === undefined) {
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    h =
      ready?.status === 'True' ? 'ready' : ready?.status === 'Unknown' ? 'unreachable' : 'notReady';
    healthOf.set(node, h);
  }
  return h;
}

/** True when the node's labels include every label of the reference. */
export function labelsMatch(
  node: Node,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  if (labels === undefined) return true;
  const have = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(labels)) if (have[k] !== v) return false;
  return true;
}

/**
 * The nodes a reference names, sorted by name (count takes the first N). Names that do not exist
 * are returned in `missing` so the caller can report them.
 */
export function resolveNodes(
  nodes: ReadonlyMap<string, Node>,
  ref: NodeRef,
): { nodes: Node[]; missing: string[] } {
  const missing: string[] = [];
  let out: Node[];
  if (ref.names !== undefined) {
    out = [];
    for (const n of ref.names) {
      const node = nodes.get(n);
      if (node === undefined) missing.push(n);
      else out.push(node);
    }
  } else {
    out = [...nodes.values()];
  }
  out = out.filter((n) => labelsMatch(n, ref.labels));
  out.sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
  if (ref.count !== undefined) out = out.slice(0, ref.count);
  return { nodes: out, missing };
}

/** "3 nodes (a, b, c)" or "node a", for the timeline. */
export function describeNodes(names: readonly string[]): string {
  if (names.length === 1) return `node ${names[0]!}`;
  const shown = names.slice(0, 4).join(', ');
  return `${names.length} nodes (${shown}${names.length > 4 ? ', …' : ''})`;
}
