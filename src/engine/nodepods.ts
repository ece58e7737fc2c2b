/**
 * The node→pods map of claimed pods (§5.1, §2.6).
 */
import { getTargetNodeName, isPodTerminal } from '../api/pod.js';
import type { Pod } from '../api/types.js';

/** Node name → the DaemonSet's pods targeting it, in input order. */
export type NodePodsMap = Map<string, Pod[]>;

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
    // A terminal pod held by a finalizer must not block its node's replacement (§7).
    if (!includeDeletedTerminal && pod.metadata?.deletionTimestamp && isPodTerminal(pod)) continue;
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
