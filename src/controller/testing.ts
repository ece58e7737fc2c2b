/**
 * Test fixtures for the controller runtime: a MemoryCluster on a VirtualClock with a controller
 * attached, a settle() that runs every pending microtask and watch delivery until the controller
 * is idle, the scenario fixtures of scenarios.md (DS `foo`, labels L1/L2, nodes), and a minimal
 * kubelet that binds and readies pods. Used by tests only; it never advances the clock by itself.
 */
import type { DaemonSet, DaemonSetUpdateStrategy, Node, Pod } from '../api/types.js';
import { MemoryCluster } from '../cluster/memory/index.js';
import type { Cluster } from '../cluster/port.js';
import { DaemonSetController, type DaemonSetControllerOptions } from './controller.js';
import { VirtualClock } from '../clock/virtual.js';

/** Scenario fixture labels. */
export const L1 = Object.freeze({ name: 'simple-daemon', type: 'production' });
export const L2 = Object.freeze({ name: 'simple-daemon', type: 'test' });

/** DS `foo` of the scenario fixtures (namespace default, selector L1, RollingUpdate maxUnavailable 1). */
export function dsFoo(
  name = 'foo',
  over: {
    image?: string;
    strategy?: DaemonSetUpdateStrategy;
    minReadySeconds?: number;
    nodeSelector?: Record<string, string>;
  } = {},
): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { ...L1 } },
      revisionHistoryLimit: 2,
      ...(over.minReadySeconds === undefined ? {} : { minReadySeconds: over.minReadySeconds }),
      updateStrategy: over.strategy ?? {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: 1 },
      },
      template: {
        metadata: { labels: { ...L1 } },
        spec: {
          containers: [{ name: 'foo', image: over.image ?? 'foo/bar' }],
          ...(over.nodeSelector === undefined ? {} : { nodeSelector: over.nodeSelector }),
        },
      },
    },
  };
}

/** A Ready node with no taints. */
export function node(
  name: string,
  labels: Record<string, string> = {},
  taints: NonNullable<Node['spec']>['taints'] = [],
): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels },
    spec: taints.length === 0 ? {} : { taints },
    status: { conditions: [{ type: 'Ready', status: 'True' }], allocatable: { pods: '100' } },
  };
}

/** Everything a runtime test needs. */
export interface Harness {
  readonly clock: VirtualClock;
  readonly cluster: MemoryCluster;
  controller: DaemonSetController;
  /**
   * Runs microtasks and watch deliveries until the controller has been idle for a few turns;
   * rejects with the SyncVerificationError of a sync since the last settle, if any.
   */
  settle(): Promise<void>;
  /** Replaces the controller with a fresh instance (caches rebuilt from the cluster) and starts it. */
  restart(): Promise<void>;
  /** Advances the clock by ms in steps, settling after each step (fires requeues and retries). */
  advance(ms: number, stepMs?: number): Promise<void>;
  /** Pods in the cluster (live list), optionally only non-terminating ones. */
  pods(activeOnly?: boolean): Promise<Pod[]>;
}

/** Harness options: controller options, plus a wrapper around the controller's Cluster view. */
export type HarnessOptions = Partial<Omit<DaemonSetControllerOptions, 'cluster' | 'clock'>> & {
  readonly wrap?: (c: Cluster) => Cluster;
};

/** Builds a harness; the controller is created but not started. Its API client is 'controller'. */
export function harness(opts: HarnessOptions = {}): Harness {
  const clock = new VirtualClock();
  const cluster = new MemoryCluster({ clock });
  const { wrap, ...ctrl } = opts;
  const view = cluster.client('controller');
  // A verification failure fails the test that is waiting on the controller (settle, advance),
  // not whichever test happens to run when an uncaught exception surfaces.
  let failure: Error | undefined;
  const make = (): DaemonSetController =>
    new DaemonSetController({
      cluster: wrap === undefined ? view : wrap(view),
      clock,
      random: () => 0.5,
      onVerificationFailure: (err) => {
        failure ??= err;
      },
      ...ctrl,
    });
  const check = (): void => {
    if (failure === undefined) return;
    const err = failure;
    failure = undefined;
    throw err;
  };
  const h: Harness = {
    clock,
    cluster,
    controller: make(),
    async settle() {
      let quiet = 0;
      for (let i = 0; i < 100_000 && quiet < 3; i++) {
        await cluster.idle();
        await new Promise((r) => setImmediate(r));
        quiet = h.controller.isIdle() ? quiet + 1 : 0;
      }
      check();
    },
    async restart() {
      await h.controller.stop();
      h.controller = make();
      await h.controller.start();
      await h.settle();
    },
    async advance(ms, stepMs = 1000) {
      for (let left = ms; left > 0; left -= stepMs) {
        clock.advance(Math.min(stepMs, left));
        await h.settle();
      }
    },
    async pods(activeOnly = false) {
      const list = await cluster.list<Pod>('Pod', { namespace: 'default' });
      return list.items.filter((p) => !activeOnly || !p.metadata?.deletionTimestamp);
    },
  };
  return h;
}

/** Binds each unbound pod to the node its affinity pins it to (the scheduler's job). */
export async function bindAll(cluster: MemoryCluster): Promise<number> {
  const pods = await cluster.list<Pod>('Pod');
  let n = 0;
  for (const p of pods.items) {
    if (p.spec?.nodeName || p.metadata?.deletionTimestamp) continue;
    const target =
      p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
        ?.nodeSelectorTerms?.[0]?.matchFields?.[0]?.values?.[0];
    if (target === undefined) continue;
    await cluster.patch('Pod', p.metadata?.namespace ?? '', p.metadata?.name ?? '', {
      type: 'merge',
      body: { spec: { nodeName: target } },
    });
    n++;
  }
  return n;
}

/**
 * A minimal kubelet: marks bound pods Running and Ready (at the clock's time) and finishes the
 * graceful deletion of terminating pods. Returns how many pods it changed.
 */
export async function kubeletStep(cluster: MemoryCluster, clock: VirtualClock): Promise<number> {
  const pods = await cluster.list<Pod>('Pod');
  let n = 0;
  const now = new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (const p of pods.items) {
    const ns = p.metadata?.namespace ?? '';
    const name = p.metadata?.name ?? '';
    if (p.metadata?.deletionTimestamp) {
      await cluster.delete('Pod', ns, name, { gracePeriodSeconds: 0 });
      n++;
      continue;
    }
    if (!p.spec?.nodeName) continue;
    const ready =
      p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    if (ready) continue;
    const live = await cluster.get<Pod>('Pod', ns, name);
    await cluster.updateStatus('Pod', {
      ...live,
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
      },
    });
    n++;
  }
  return n;
}
