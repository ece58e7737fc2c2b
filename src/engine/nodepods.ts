/**
 * The node→pods map of claimed pods (§5.1, §2.6).
 */
import { getTargetNodeName, isPodTerminal } from '../api/pod.js';
import type { Pod } from '../api/types.js';

/** Node name → the DaemonSet's pods targeting it, in input order. */
export type NodePodsMap = Map<string, Pod[]>;

/**
 * True when a claimed pod is in the node→pods map's entry of its node: terminal pods held by a
 * finalizer after their deletion are left out, so they do not block the node's replacement (§7).
 */
export function inNodePodsMap(pod: Pod): boolean {
  return !(pod.metadata?.deletionTimestamp && isPodTerminal(pod));
}

/**
 * Groups claimed pods by target node. Pods whose node cannot be determined are left out.
 * Unless includeDeletedTerminal, terminal pods with a deletionTimestamp are left out too.
 */
export function buildNodeToDaemonPods(
  claimed: readonly Pod[],
  includeDeletedTerminal: boolean,
): NodePodsMap {
  const map: NodePodsMap = new Map();
  for (const pod of claimed) {
    if (!includeDeletedTerminal && !inNodePodsMap(pod)) continue;
    let node = pod.spec?.nodeName ?? '';
    if (node === '') {
      const target = getTargetNodeName(pod);
      if (!('node' in target)) continue;
      node = target.node;
    }
    const list = map.get(node);
    if (list === undefined) map.set(node, [pod]);
    else list.push(pod);
  }
  return map;
}
