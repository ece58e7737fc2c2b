/**
 * The simulated scheduler: binds pending pods the way kube-scheduler's filters would for a daemon
 * pod (required node affinity, nodeSelector, taints, cordon, the node's pod capacity). Pods that
 * fit nowhere stay Pending and are retried whenever a node changes.
 */
import { matchNodeSelectorLabels, matchNodeSelectorTerms } from '../api/nodeaffinity.js';
import { findUntoleratedTaint, toleratesTaint } from '../api/taints.js';
import type { Node, Pod } from '../api/types.js';
import type { Cluster } from '../cluster/port.js';
import { type Change, type World } from './world.js';
import type { WorkTracker } from './work.js';
import type { Journal } from './journal.js';

const UNSCHEDULABLE_TAINT = {
  key: 'node.kubernetes.io/unschedulable',
  effect: 'NoSchedule',
} as const;

/** Why a pod does not fit a node, or '' when it fits. */
export function unfitReason(pod: Pod, node: Node, podsOnNode: number): string {
  const sel = matchNodeSelectorLabels(node, pod.spec?.nodeSelector);
  if (!sel.matches) return `nodeSelector: ${sel.reason}`;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required !== undefined) {
    const m = matchNodeSelectorTerms(node, required);
    if (!m.matches) return `node affinity: ${m.reason}`;
  }
  const tolerations = pod.spec?.tolerations ?? [];
  if (
    node.spec?.unschedulable === true &&
    !tolerations.some((t) => toleratesTaint(t, UNSCHEDULABLE_TAINT))
  ) {
    return 'node is cordoned';
  }
  const taint = findUntoleratedTaint(
    node.spec?.taints,
    tolerations,
    (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute',
  );
  if (taint !== undefined)
    return `untolerated taint ${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect}`;
  const capacity = Number(node.status?.allocatable?.pods ?? '110');
  if (podsOnNode >= capacity) return `node is full (${capacity} pods)`;
  return '';
}

/** The single node a daemon pod is pinned to through matchFields metadata.name, if that is how it is pinned. */
function pinnedNode(pod: Pod): string | undefined {
  const terms =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
      ?.nodeSelectorTerms;
  if (terms?.length !== 1) return undefined;
  const f = terms[0]!.matchFields?.find((r) => r.key === 'metadata.name' && r.operator === 'In');
  return f?.values?.length === 1 ? f.values[0] : undefined;
}

const isTerminal = (p: Pod): boolean =>
  p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** Binds pods; every decision is made from the shared World cache. */
export class Scheduler {
  private readonly queue = new Set<string>();
  private readonly waiting = new Map<string, string>();
  /** Binds issued but not yet seen in the cache, per node ("assumed" pods, as kube-scheduler keeps). */
  private readonly assumed = new Map<string, number>();
  binds = 0;

  constructor(
    private readonly world: World,
    private readonly cluster: Cluster,
    private readonly work: WorkTracker,
    private readonly journal: Journal,
  ) {
    world.listen({
      onPod: (c) => {
        this.onPod(c);
      },
      onNode: () => {
        this.onNode();
      },
    });
  }

  private onPod(c: Change<Pod>): void {
    const p = c.obj;
    if (p === undefined) {
      const k = c.key;
      this.queue.delete(k);
      this.waiting.delete(k);
      return;
    }
    if (p.spec?.nodeName) {
      if (!c.old?.spec?.nodeName) this.release(p.spec.nodeName);
      return;
    }
    if (p.metadata?.deletionTimestamp || isTerminal(p)) return;
    const sched = p.spec?.schedulerName;
    if (sched !== undefined && sched !== 'default-scheduler') return;
    this.queue.add(c.key);
    this.work.request(() => this.flush());
  }

  private onNode(): void {
    if (this.waiting.size === 0) return;
    for (const k of this.waiting.keys()) this.queue.add(k);
    this.work.request(() => this.flush());
  }

  private release(node: string): void {
    const n = this.assumed.get(node);
    if (n !== undefined) {
      if (n <= 1) this.assumed.delete(node);
      else this.assumed.set(node, n - 1);
    }
  }

  private load(node: string): number {
    let n = this.assumed.get(node) ?? 0;
    // Straight from the World's index: no array of the node's pods per candidate node.
    const keys = this.world.podsByNode.get(node);
    if (keys === undefined) return n;
    for (const k of keys) {
      const p = this.world.pods.get(k);
      if (p !== undefined && !isTerminal(p)) n++;
    }
    return n;
  }

  private async flush(): Promise<void> {
    const keys = [...this.queue];
    this.queue.clear();
    const binds: Promise<void>[] = [];
    for (const k of keys) {
      const pod = this.world.pods.get(k);
      if (pod === undefined || pod.spec?.nodeName || pod.metadata?.deletionTimestamp) continue;
      const target = this.pick(pod);
      if (typeof target !== 'string' || target === '') {
        const reason = target === '' ? 'no nodes' : target.reason;
        if (this.waiting.get(k) !== reason)
          this.journal.add('pod', `pod ${k} is unschedulable: ${reason}`);
        this.waiting.set(k, reason);
        continue;
      }
      this.waiting.delete(k);
      this.assumed.set(target, (this.assumed.get(target) ?? 0) + 1);
      binds.push(this.bind(pod, target));
    }
    await Promise.all(binds);
  }

  /** A node name, or the reason nothing fits. */
  private pick(pod: Pod): string | { reason: string } {
    const pinned = pinnedNode(pod);
    // A daemon pod is pinned to one node, the only candidate; otherwise the map is iterated as is.
    const candidates: Iterable<Node | undefined> =
      pinned !== undefined ? [this.world.nodes.get(pinned)] : this.world.nodes.values();
    let firstReason = pinned !== undefined ? `node ${pinned} does not exist` : 'no nodes';
    for (const node of candidates) {
      if (node === undefined) continue;
      const name = node.metadata!.name!;
      const reason = unfitReason(pod, node, this.load(name));
      if (reason === '') return name;
      if (firstReason === 'no nodes' || pinned !== undefined) firstReason = `${name}: ${reason}`;
    }
    return { reason: firstReason };
  }

  private async bind(pod: Pod, node: string): Promise<void> {
    try {
      await this.cluster.patch('Pod', pod.metadata!.namespace!, pod.metadata!.name!, {
        type: 'merge',
        body: { spec: { nodeName: node } },
      });
      this.binds++;
    } catch {
      // The pod went away or changed; the watch brings the news and it is queued again if needed.
      this.release(node);
    }
  }
}
