/**
 * What the dashboard knows: informers over nodes, pods, revisions and DaemonSets of both kinds
 * (apps/v1 and everynode's CRD), and, recomputed shortly after any change, every DaemonSet's node
 * grid (recorded run-length since the dashboard started, as `sim --report` records a run) and the
 * engine's plan on a snapshot of the caches: "why no pod on node X" for each node, and what the
 * controller would do next. Read-only: nothing is ever written to the cluster.
 */
import { admitStoredDaemonSet } from '../../api/dsstrategy.js';
import { getTargetNodeName } from '../../api/pod.js';
import type { ControllerRevision, DaemonSet, Node, Pod } from '../../api/types.js';
import { CONTROLLER_REVISION_HASH_LABEL } from '../../api/types.js';
import type { Clock } from '../../clock/clock.js';
import type { Cluster, KubeObject, ResourceKind } from '../../cluster/port.js';
import { byControllerUID, byNamespace, Informer } from '../../controller/informer.js';
import type { Logger } from '../../controller/logger.js';
import { makeEligibilityChecker } from '../../engine/eligibility.js';
import { reconcile } from '../../engine/reconcile.js';
import type { Plan } from '../../engine/types.js';
import { budgetOf, GridRecorder, strategyText } from '../../sim/report/grid/recorder.js';
import { pinnedHash } from '../../sim/report/grid/rolloutstate.js';

/** One DaemonSet as the dashboard shows it. */
export interface DsEntry {
  /** "apps/v1" or "everynode" (the CRD); the key is kind-qualified: "<kind>:<ns>/<name>". */
  readonly kind: 'apps/v1' | 'everynode';
  readonly key: string;
  readonly ds: DaemonSet;
  plan: Plan | undefined;
  planError: string | undefined;
}

/** Options of a DashboardState. */
export interface DashboardStateOptions {
  readonly cluster: Cluster;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Watch only this namespace (DaemonSets, pods, revisions); nodes are cluster-wide. */
  readonly namespace?: string;
  /** Whether the CRD's kind can be listed (false: apps/v1 only). */
  readonly crd: boolean;
  /** How long after a change the grid is recomputed (coalescing bursts); default 100 ms. */
  readonly debounceMs?: number;
}

const KINDS: readonly ['apps/v1' | 'everynode', ResourceKind][] = [
  ['apps/v1', 'DaemonSet'],
  ['everynode', 'EverynodeDaemonSet'],
];

/** The caches and the derived grid; start(), then read; listeners hear of each recompute. */
export class DashboardState {
  readonly nodes: Informer<Node>;
  readonly pods: Informer<Pod>;
  readonly revisions: Informer<ControllerRevision>;
  readonly daemonSets = new Map<'apps/v1' | 'everynode', Informer<DaemonSet>>();
  readonly grid = new GridRecorder();
  readonly entries = new Map<string, DsEntry>();
  /** Bumped on every recompute; the SSE stream sends it. */
  version = 0;
  readonly started: number;
  private readonly listeners = new Set<(version: number) => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly opts: DashboardStateOptions) {
    const common = { cluster: opts.cluster, clock: opts.clock, logger: opts.logger };
    const ns = opts.namespace === undefined ? {} : { namespace: opts.namespace };
    this.nodes = new Informer<Node>({ ...common, kind: 'Node' });
    this.pods = new Informer<Pod>({
      ...common,
      ...ns,
      kind: 'Pod',
      indexers: { uid: byControllerUID, ns: byNamespace },
    });
    this.revisions = new Informer<ControllerRevision>({
      ...common,
      ...ns,
      kind: 'ControllerRevision',
      indexers: { uid: byControllerUID },
    });
    for (const [label, kind] of KINDS) {
      if (kind === 'EverynodeDaemonSet' && !opts.crd) continue;
      this.daemonSets.set(label, new Informer<DaemonSet>({ ...common, ...ns, kind }));
    }
    this.started = opts.clock.now();
    const changed = {
      onAdd: () => {
        this.dirty();
      },
      onUpdate: () => {
        this.dirty();
      },
      onDelete: () => {
        this.dirty();
      },
    };
    for (const inf of this.informers()) inf.addEventHandler(changed);
  }

  private informers(): Informer<KubeObject>[] {
    // Every informer is used through its kind-independent methods only.
    return [
      this.nodes,
      this.pods,
      this.revisions,
      ...this.daemonSets.values(),
    ] as unknown as Informer<KubeObject>[];
  }

  /** Starts every informer and waits for their first lists, at most timeoutMs. */
  async start(timeoutMs: number): Promise<void> {
    const all = this.informers();
    for (const inf of all) inf.start();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const waiting = all.filter((i) => !i.hasSynced()).length;
        reject(
          new Error(
            `the caches did not sync within ${timeoutMs / 1000}s (${waiting} lists still waiting)`,
          ),
        );
      }, timeoutMs);
    });
    try {
      await Promise.race([Promise.all(all.map((i) => i.waitForSync())), timeout]);
    } finally {
      clearTimeout(timer);
    }
    this.recompute();
  }

  /** Stops the informers (each stop is immediate; see Informer.stop). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.listeners.clear();
    await Promise.all(this.informers().map((i) => i.stop()));
  }

  /** Calls l after every recompute with the new version; returns the unsubscribe function. */
  subscribe(l: (version: number) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Milliseconds since the dashboard started (the grid's time axis). */
  elapsed(): number {
    return this.opts.clock.now() - this.started;
  }

  private dirty(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.recompute();
      } catch (err) {
        this.opts.logger.error({ err: String(err) }, 'dashboard: recompute failed');
      }
    }, this.opts.debounceMs ?? 100);
  }

  /** Re-evaluates every DaemonSet: the grid's segments, the counts, the engine's plan. */
  recompute(): void {
    const t = this.elapsed();
    const now = this.opts.clock.now();
    const nodes = this.nodes.store.list();
    const seen = new Set<string>();
    for (const [label, inf] of this.daemonSets) {
      for (const ds of inf.store.list()) {
        const key = `${label}:${ds.metadata?.namespace ?? ''}/${ds.metadata?.name ?? ''}`;
        seen.add(key);
        const entry: DsEntry = { kind: label, key, ds, plan: undefined, planError: undefined };
        this.evaluate(entry, nodes, t, now);
        this.entries.set(key, entry);
      }
    }
    for (const key of [...this.entries.keys()]) if (!seen.has(key)) this.entries.delete(key);
    this.version++;
    for (const l of this.listeners) l(this.version);
  }

  private evaluate(entry: DsEntry, nodes: readonly Node[], t: number, now: number): void {
    const ds = entry.ds;
    const uid = ds.metadata?.uid ?? '';
    const ns = ds.metadata?.namespace ?? '';
    const owned = this.pods.store.byIndex('uid', uid);
    const revisions = this.revisions.store.byIndex('uid', uid);
    const byNode = new Map<string, Pod[]>();
    for (const p of owned) {
      const target = getTargetNodeName(p);
      if (!('node' in target)) continue;
      const list = byNode.get(target.node);
      if (list === undefined) byNode.set(target.node, [p]);
      else list.push(p);
    }
    const revisionOf = new Map<string, number>();
    let newest: { hash: string; revision: number } | undefined;
    for (const r of revisions) {
      const hash = r.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? r.metadata?.name ?? '';
      revisionOf.set(hash, r.revision);
      if (newest === undefined || r.revision > newest.revision)
        newest = { hash, revision: r.revision };
    }
    // The engine's plan on the caches: every node's decision and reason, and the next writes.
    try {
      const pods = this.pods.store.byIndex('ns', ns);
      entry.plan = reconcile(
        {
          ds: plannable(entry),
          nodes,
          pods,
          revisions: revisions.length > 0 ? revisions : this.revisionsIn(ns),
          now,
          backoff: new Map(),
        },
        { mode: 'live' },
      );
    } catch (err) {
      entry.planError = err instanceof Error ? err.message : String(err);
    }
    const rec = this.grid.of(entry.key);
    rec.strategy = strategyText(ds);
    if (entry.plan !== undefined) rec.plan(entry.plan);
    const check = makeEligibilityChecker(ds);
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const status = ds.status as { rollout?: { canaryNodes?: readonly string[] } } | undefined;
    const canaries = new Set(status?.rollout?.canaryNodes ?? []);
    // The stable revision's pods while the rollout holds nodes on it are drawn as pinned.
    const pinned = pinnedHash(ds, revisions);
    for (const node of nodes) {
      const name = node.metadata?.name ?? '';
      const idx = this.grid.indexOf(name, node);
      rec.node(
        t,
        idx,
        name,
        check(node),
        byNode.get(name),
        newest?.hash,
        revisionOf,
        minReady,
        now,
        canaries.has(name),
        pinned,
      );
    }
    rec.endPass(t, this.grid.nodeNames.length);
    const st = ds.status;
    const desired = st?.desiredNumberScheduled ?? 0;
    rec.counts(
      t,
      desired,
      st?.updatedNumberScheduled ?? 0,
      st?.numberAvailable ?? 0,
      st?.numberUnavailable ?? Math.max(0, desired - (st?.numberAvailable ?? 0)),
      budgetOf(ds, desired),
    );
  }

  /** Revisions of a namespace: the engine claims (adopts) matching orphans, as a sync would. */
  private revisionsIn(ns: string): ControllerRevision[] {
    return this.revisions.store.list().filter((r) => r.metadata?.namespace === ns);
  }
}

/**
 * The DaemonSet as the controller plans it: apps/v1 as stored; the CRD with the pod-template
 * defaults kube-apiserver does not apply to a custom resource (controller/admission.ts), or its
 * template would hash differently from the controller's revision. Throws on one it refuses.
 */
export function plannable(entry: Pick<DsEntry, 'kind' | 'ds'>): DaemonSet {
  if (entry.kind !== 'everynode') return entry.ds;
  const admitted = admitStoredDaemonSet(entry.ds);
  if (admitted.errors.length > 0)
    throw new Error(`the controller refuses it: ${admitted.errors.map(String).join('; ')}`);
  return admitted.ds;
}
