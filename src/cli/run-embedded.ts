/**
 * The embedded cluster for `everynode run --embedded`: the memory API server with the simulator's
 * scheduler, kubelets and node lifecycle, on a virtual clock that follows the wall clock (times a
 * speed factor), so the real controller runs against it exactly as it would against a cluster.
 */
import type { DaemonSet } from '../api/types.js';
import { MemoryCluster } from '../cluster/memory/index.js';
import {
  ClusterError,
  NotFoundError,
  type Cluster,
  type KubeObject,
  type ResourceKind,
} from '../cluster/port.js';
import type { Logger } from '../controller/logger.js';
import { UsageError } from './errors.js';
import { createNodes } from '../sim/actions.js';
import { VirtualClock } from '../sim/clock.js';
import { Journal } from '../sim/journal.js';
import { Kubelets } from '../sim/kubelet.js';
import { NodeLifecycle } from '../sim/lifecycle.js';
import { seededRandom } from '../sim/random.js';
import { Scheduler } from '../sim/scheduler.js';
import type { KubeletSpec, NodeSpec } from '../sim/scenario/types.js';
import { WorkTracker } from '../sim/work.js';
import { World } from '../sim/world.js';

/** What to put in the embedded cluster. */
export interface EmbeddedOptions {
  readonly nodes: readonly NodeSpec[];
  readonly kubelet: KubeletSpec;
  /**
   * Objects to create before the controller starts (DaemonSets, nodes, pods), each with the
   * file:line it came from when it came from a file, so a refusal names it (exit 2).
   */
  readonly objects: readonly { readonly object: KubeObject; readonly source?: string }[];
  /** The kind DaemonSets are stored as; apps/v1 and CRD manifests are both accepted. */
  readonly dsKind: ResourceKind;
  /** Virtual seconds per wall second; default 1. */
  readonly speed?: number;
  readonly seed?: number;
  readonly logger: Logger;
  /**
   * Do not move the clock with the wall clock: the caller moves it with advance() (the soak
   * runs hours of virtual time this way, as fast as the CPU allows).
   */
  readonly manualClock?: boolean;
}

/** The default simulated kubelet: pull 1s, ready 3s later, 2s to terminate, 1s status period. */
export const DEFAULT_KUBELET: KubeletSpec = {
  pullDelay: { kind: 'fixed', ms: 1000 },
  startupDelay: { kind: 'fixed', ms: 3000 },
  terminationDelay: { kind: 'fixed', ms: 2000 },
  syncPeriodMs: 1000,
  failures: [],
};

/** `count` ready nodes named node-1 ... node-N with the default pod capacity. */
export function nodeSpecs(count: number): NodeSpec[] {
  const width = String(count).length;
  return Array.from({ length: count }, (_, i) => ({
    name: `node-${String(i + 1).padStart(width, '0')}`,
    labels: {},
    taints: [],
    pods: 110,
    ready: true,
  }));
}

const CRD_API_VERSION = 'apps.everynode.dev/v1alpha1';

/** Changes per kind the embedded API server keeps for watches to resume from. */
export const EMBEDDED_WATCH_HISTORY = 1000;

/** A running embedded cluster; `cluster` is the controller's view, `stop` ends the simulation. */
export class EmbeddedCluster {
  readonly clock: VirtualClock;
  readonly memory: MemoryCluster;
  private readonly world: World;
  private readonly work = new WorkTracker();
  /** The simulated components' timeline: nothing reads it here, so it is emptied as it fills. */
  private readonly journal = new Journal(() => 0);
  private pump: NodeJS.Timeout | undefined;

  constructor(private readonly opts: EmbeddedOptions) {
    const rng = seededRandom(opts.seed ?? 1);
    this.clock = new VirtualClock(Date.now());
    // A watch window of 1,000 changes per kind, the order of kube-apiserver's watch cache: the
    // memory cluster's default (10,000, for tests that replay long histories) held ~50 MB of old
    // pod versions after a few hours of `run --embedded` (scripts/soak.ts).
    this.memory = new MemoryCluster({
      clock: this.clock,
      random: () => rng.next(),
      watchHistory: EMBEDDED_WATCH_HISTORY,
    });
    this.world = new World(this.memory.client('sim-observer'));
    const journal = this.journal;
    new Scheduler(this.world, this.memory.client('scheduler'), this.work, journal);
    new Kubelets(
      this.world,
      this.memory.client('kubelet'),
      this.clock,
      rng,
      this.work,
      opts.kubelet,
    );
    new NodeLifecycle(
      this.world,
      this.memory.client('node-lifecycle'),
      this.clock,
      this.work,
      journal,
    );
  }

  /** The controller's client of the embedded API server. */
  get cluster(): Cluster {
    return this.memory.client('controller');
  }

  /** Creates the nodes and objects, and starts moving the virtual clock with the wall clock. */
  async start(): Promise<void> {
    await this.world.start();
    const seed = this.memory.client('seed');
    await createNodes({ cluster: seed, clock: this.clock }, this.opts.nodes);
    for (const { object, source } of this.opts.objects) {
      try {
        await this.apply(seed, object);
      } catch (err) {
        // The embedded API server refused a user's object as kube-apiserver would: bad input.
        if (source === undefined || !(err instanceof ClusterError)) throw err;
        throw new UsageError(`${source}: ${err.message}`);
      }
    }
    if (this.opts.manualClock === true) return;
    const speed = this.opts.speed ?? 1;
    const wallStart = Date.now();
    const virtualStart = this.clock.now();
    this.pump = setInterval(() => {
      this.clock.advanceTo(virtualStart + (Date.now() - wallStart) * speed);
      this.clock.fireDue();
      // Left alone, a long `run --embedded` kept every scheduler and node-lifecycle entry.
      this.journal.entries.length = 0;
      for (const err of this.work.errors.splice(0)) {
        this.opts.logger.warn({ err: String(err) }, 'embedded cluster: simulated component failed');
      }
    }, 10);
  }

  /** With manualClock: moves virtual time on by ms, firing every timer due on the way. */
  advance(ms: number): void {
    this.clock.advance(ms);
    this.journal.entries.length = 0;
    for (const err of this.work.errors.splice(0)) {
      this.opts.logger.warn({ err: String(err) }, 'embedded cluster: simulated component failed');
    }
  }

  /** Stops the clock and the simulated components' watches. */
  stop(): void {
    if (this.pump !== undefined) clearInterval(this.pump);
    this.pump = undefined;
    this.world.stop();
  }

  /** The DaemonSets the controller sees, for convergence checks. */
  async daemonSets(): Promise<readonly DaemonSet[]> {
    return (await this.memory.list<DaemonSet>(this.opts.dsKind)).items;
  }

  private async apply(cluster: Cluster, input: KubeObject): Promise<void> {
    let obj = structuredClone(input) as KubeObject & Record<string, unknown>;
    let kind = obj.kind as ResourceKind;
    if (obj.kind === 'DaemonSet') {
      // Either manifest form runs under the kind the controller watches.
      kind = this.opts.dsKind;
      const apiVersion = kind === 'EverynodeDaemonSet' ? CRD_API_VERSION : 'apps/v1';
      obj = { ...obj, apiVersion };
    }
    obj = { ...obj, metadata: { namespace: 'default', ...obj.metadata } };
    try {
      await cluster.get(kind, obj.metadata?.namespace ?? '', obj.metadata?.name ?? '');
      this.opts.logger.info({ object: obj.metadata?.name }, 'embedded cluster: object exists');
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      await cluster.create(kind, obj);
      const key = `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
      this.opts.logger.info({ kind: obj.kind, object: key }, 'embedded cluster: created');
    }
  }
}
