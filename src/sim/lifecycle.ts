/**
 * Node lifecycle, taint-based eviction and pod garbage collection, as kube-controller-manager
 * does them: a NotReady node gets Ready=False and the not-ready:NoExecute taint, an unreachable
 * one Ready=Unknown and unreachable:NoExecute, and the pods on it are marked not ready; pods that
 * do not tolerate a node's NoExecute taints are evicted (after their tolerationSeconds); pods
 * bound to a node that no longer exists are deleted.
 */
import { toleratesTaint } from '../api/taints.js';
import type { Node, Pod, Taint } from '../api/types.js';
import type { Mutable } from '../api/types.js';
import { NotFoundError, type Cluster } from '../cluster/port.js';
import type { TimerHandle } from '../clock/clock.js';
import type { VirtualClock } from './clock.js';
import type { Journal } from './journal.js';
import { nodeHealth, readyCondition, withHealthTaints, type NodeHealth } from './nodes.js';
import { notReadyStatus } from './podstatus.js';
import type { WorkTracker } from './work.js';
import { keyOf, type Change, type World } from './world.js';

/** What the taint manager decides for one pod on one node. */
export function evictionDelay(pod: Pod, taints: readonly Taint[] | undefined): number | undefined {
  let delay: number | undefined;
  for (const taint of taints ?? []) {
    if (taint.effect !== 'NoExecute') continue;
    const tols = (pod.spec?.tolerations ?? []).filter((t) => toleratesTaint(t, taint));
    if (tols.length === 0) return 0;
    // The shortest tolerationSeconds among the tolerations for this taint wins; none means forever.
    const secs = tols
      .map((t) => t.tolerationSeconds)
      .filter((s): s is number => typeof s === 'number');
    if (secs.length === tols.length) {
      const ms = Math.max(0, Math.min(...secs) * 1000);
      delay = delay === undefined ? ms : Math.min(delay, ms);
    }
  }
  return delay;
}

/** Node lifecycle controller, taint manager and pod GC in one component. */
export class NodeLifecycle {
  private readonly evictions = new Map<string, TimerHandle>();
  evicted = 0;
  collected = 0;
  private readonly gcNodes = new Set<string>();
  private gcPods = 0;

  constructor(
    private readonly world: World,
    private readonly cluster: Cluster,
    private readonly clock: VirtualClock,
    private readonly work: WorkTracker,
    private readonly journal: Journal,
  ) {
    world.listen({
      onNode: (c) => {
        this.onNode(c);
      },
      onPod: (c) => {
        this.onPod(c);
      },
    });
  }

  /** Changes a node's health: Ready condition, lifecycle taints, and pods marked not ready. */
  async setHealth(name: string, health: NodeHealth): Promise<void> {
    const node = await this.cluster.get<Node>('Node', '', name);
    const now = this.clock.now();
    const withTaints: Mutable<Node> = structuredClone(node) as Mutable<Node>;
    withTaints.spec = {
      ...withTaints.spec,
      taints: withHealthTaints(node.spec?.taints, health, now),
    };
    const updated = await this.cluster.update<Node>('Node', withTaints);
    const conds = (updated.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
    await this.cluster.updateStatus<Node>('Node', {
      ...updated,
      status: { ...updated.status, conditions: [readyCondition(health, now), ...conds] },
    });
    if (health === 'ready') return;
    // MarkPodsNotReady: the kubelet can no longer vouch for them.
    const reason = health === 'unreachable' ? 'NodeStatusUnknown' : 'KubeletNotReady';
    await Promise.all(
      this.world
        .podsOn(name)
        .filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
        .map(async (p) => {
          try {
            await this.cluster.updateStatus('Pod', {
              ...p,
              status: notReadyStatus(p, this.clock.now(), reason),
            });
          } catch (err) {
            if (!(err instanceof NotFoundError)) throw err;
          }
        }),
    );
  }

  private onNode(c: Change<Node>): void {
    if (c.obj === undefined) {
      const name = c.old!.metadata!.name!;
      const orphans = this.world.podsOn(name);
      if (orphans.length > 0) {
        this.journal.add(
          'node',
          `pod GC: deleting ${orphans.length} pod${orphans.length === 1 ? '' : 's'} bound to removed node ${name}`,
        );
        for (const p of orphans) this.forceDelete(p);
      }
      return;
    }
    const before = JSON.stringify(c.old?.spec?.taints ?? []);
    if (c.old !== undefined && before === JSON.stringify(c.obj.spec?.taints ?? [])) return;
    for (const p of this.world.podsOn(c.obj.metadata!.name!)) this.evaluate(p, c.obj);
  }

  /** One timeline line per instant for the pod GC, however many nodes went. */
  private reportGc(): Promise<void> {
    const nodes = [...this.gcNodes];
    const n = this.gcPods;
    this.gcNodes.clear();
    this.gcPods = 0;
    if (n > 0) {
      const where =
        nodes.length === 1 ? `removed node ${nodes[0]!}` : `${nodes.length} removed nodes`;
      this.journal.add('node', `pod GC: deleting ${n} pod${n === 1 ? '' : 's'} bound to ${where}`);
    }
    return Promise.resolve();
  }

  private onPod(c: Change<Pod>): void {
    const p = c.obj;
    if (p === undefined) {
      this.cancel(c.key);
      return;
    }
    const nodeName = p.spec?.nodeName;
    if (!nodeName || c.old?.spec?.nodeName === nodeName) return;
    const node = this.world.nodes.get(nodeName);
    if (node === undefined) this.forceDelete(p);
    else this.evaluate(p, node);
  }

  /** Schedules, keeps or cancels the eviction of a pod for its node's current taints. */
  private evaluate(pod: Pod, node: Node): void {
    const key = keyOf(pod);
    if (pod.metadata?.deletionTimestamp) return;
    const delay = evictionDelay(pod, node.spec?.taints);
    if (delay === undefined) {
      this.cancel(key);
      return;
    }
    if (this.evictions.has(key)) return;
    const uid = pod.metadata?.uid;
    this.evictions.set(
      key,
      this.clock.setTimeout(() => {
        this.evictions.delete(key);
        const cur = this.world.pods.get(key);
        if (cur === undefined || cur.metadata?.uid !== uid || cur.metadata?.deletionTimestamp)
          return;
        this.evicted++;
        const taint = node.spec?.taints?.find((t) => t.effect === 'NoExecute');
        this.journal.add(
          'pod',
          `taint manager: evicting pod ${key} from ${node.metadata!.name!} (${taint?.key ?? 'NoExecute taint'})`,
        );
        this.work.run(() =>
          this.cluster
            .delete('Pod', cur.metadata!.namespace!, cur.metadata!.name!, { uid })
            .catch(ignoreNotFound),
        );
      }, delay),
    );
  }

  private cancel(key: string): void {
    this.evictions.get(key)?.cancel();
    this.evictions.delete(key);
  }

  private forceDelete(pod: Pod): void {
    this.collected++;
    this.work.run(() =>
      this.cluster
        .delete('Pod', pod.metadata!.namespace!, pod.metadata!.name!, { gracePeriodSeconds: 0 })
        .catch(ignoreNotFound),
    );
  }

  /** The health the node reports now (for actions that need to know). */
  health(name: string): NodeHealth | undefined {
    const n = this.world.nodes.get(name);
    return n === undefined ? undefined : nodeHealth(n);
  }
}

function ignoreNotFound(err: unknown): void {
  if (!(err instanceof NotFoundError)) throw err;
}
