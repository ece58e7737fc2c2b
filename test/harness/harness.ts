/**
 * The scenario harness of shared/spec/scenarios.md ("harness model"): a tiny in-memory cluster
 * state for one DaemonSet that applies each Plan the way upstream's fake pod control does.
 *
 * API (kept stable; scenario tests of every section build on it):
 *
 *   const h = new Harness({ ds, nodes, pods, revisions, now, backoffConfig, policy });
 *   h.ds / h.nodes / h.pods / h.revisions   current state (plain objects, replace freely)
 *   h.now                                   the clock, epoch ms (fixtures.sec(n) = T0 + n s)
 *   h.advance(ms) / h.setNow(ms)            move the clock
 *   h.plan(opts?)                           reconcile without applying anything
 *   h.sync(opts?) -> SyncResult             one sync: reconcile in 'harness' mode and apply it:
 *       claims (adopt adds our controllerRef, release removes it), history (create, renumber,
 *       label, relabel pods, delete), creates (names `<generateName><5 chars>`, deterministic and
 *       sorting in creation order, uid `uid-<name>`, no nodeName, no creationTimestamp, no
 *       Ready, exactly as planned), deletes (removed from h.pods; opts.deletes 'keep' leaves
 *       them, as a delete that is not observed), status (written when plan.statusChanged),
 *       backoff updates, events (appended to h.events). A revision create whose name exists
 *       with other data bumps status.collisionCount and fails the sync (§8.4): nothing else is
 *       applied and result.error is 'AlreadyExists'.
 *       opts.expectationsSatisfied=false runs the status-only path.
 *   h.currentHash()                         the hash a sync would use now (dry-run plan)
 *   h.addOwnedPod(node, opts) / h.addPod(pod)  add fixtures (owned pods get the current hash
 *                                           unless opts.hash is given; '' for none)
 *   h.pod(name) / h.podsOn(node) / h.activePods()   lookups (active = no deletionTimestamp)
 *   h.markReady(podOrName, at = now) / h.markAllReady(at = now) / h.markNotReady(podOrName)
 *   h.setPhase(podOrName, phase) / h.setDeleting(podOrName, at = now) / h.bindAll()
 *   fixtures.ts also exports: T0, sec(n), L1/L2/NL1/NL2, BOTH_STRATEGIES, strategyName, newDaemonSet,
 *     dsWith(strategy, tweak), newNode(s), newOwnedPod, newOrphanPod, statusTuple(status).
 *   h.setTemplate(mutate)                   change spec.template: generation +1 and template
 *                                           generation annotation +1 when it really changed
 *   h.updateSpec(mutate)                    change other spec fields: generation +1 if changed
 *   h.setStrategy(strategySpec)             updateSpec for spec.updateStrategy
 *   h.addNode(node) / h.removeNode(name) / h.updateNode(name, mutate)
 *
 * SyncResult: { plan, created: Pod[] (with names), deleted: string[], creates, deletes (counts),
 * events: PlanEvent[] (this sync), error?: string }.
 */
import { canonicalJSON } from '../../src/api/hash.js';
import { getTargetNodeName } from '../../src/api/pod.js';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  TEMPLATE_GENERATION_ANNOTATION,
  formatTime,
  type ControllerRevision,
  type DaemonSet,
  type Mutable,
  type Node,
  type Pod,
} from '../../src/api/types.js';
import { reconcile } from '../../src/engine/reconcile.js';
import type {
  BackoffConfig,
  BackoffEntry,
  Plan,
  PlanEvent,
  Snapshot,
} from '../../src/engine/types.js';
import { newOwnedPod, T0, updateStrategy, type PodOptions, type StrategySpec } from './fixtures.js';
import { revisionDataMatches } from '../../src/api/hash.js';
import type { UpdatePolicy } from '../../src/engine/updatepolicy.js';
import {
  isReady,
  setReady,
  suffix,
  type HarnessInit,
  type PodRef,
  type SyncOptions,
  type SyncResult,
} from './harness-parts.js';

export type { HarnessInit, SyncOptions, SyncResult } from './harness-parts.js';

/** A single DaemonSet's little world, synced like the upstream unit tests do. */
export class Harness {
  ds: DaemonSet;
  nodes: Node[];
  pods: Pod[];
  revisions: ControllerRevision[];
  now: number;
  backoff = new Map<string, BackoffEntry>();
  backoffConfig: BackoffConfig | undefined;
  /** The update policy every plan of this harness uses (undefined: the engine's default). */
  policy: UpdatePolicy | undefined;
  /** Every event of every sync, in order. */
  readonly events: PlanEvent[] = [];
  lastPlan: Plan | undefined;
  private created = 0;

  constructor(init: HarnessInit) {
    this.ds = structuredClone(init.ds);
    this.nodes = [...(init.nodes ?? [])];
    this.pods = [...(init.pods ?? [])];
    this.revisions = [...(init.revisions ?? [])];
    this.now = init.now ?? T0;
    this.backoffConfig = init.backoffConfig;
    this.policy = init.policy;
  }

  advance(ms: number): void {
    this.now += ms;
  }

  setNow(ms: number): void {
    this.now = ms;
  }

  snapshot(): Snapshot {
    return {
      ds: this.ds,
      nodes: this.nodes,
      pods: this.pods,
      revisions: this.revisions,
      now: this.now,
      backoff: this.backoff,
      ...(this.backoffConfig ? { backoffConfig: this.backoffConfig } : {}),
    };
  }

  plan(opts: SyncOptions = {}): Plan {
    return reconcile(this.snapshot(), {
      mode: 'harness',
      expectationsSatisfied: opts.expectationsSatisfied ?? true,
      ...(this.policy === undefined ? {} : { policy: this.policy }),
    });
  }

  currentHash(): string {
    return this.plan().history?.currentRevision.hash ?? '';
  }

  sync(opts: SyncOptions = {}): SyncResult {
    const plan = this.plan(opts);
    this.lastPlan = plan;
    this.events.push(...plan.events);
    const empty = { plan, created: [], deleted: [], creates: 0, deletes: 0, events: plan.events };
    if (plan.skip !== null) return empty;
    this.applyClaims(plan);
    if (plan.history !== null && !this.applyHistory(plan))
      return { ...empty, error: 'AlreadyExists' };
    const created: Pod[] = [];
    for (const c of plan.creates) {
      const pod = structuredClone(c.pod) as Mutable<Pod>;
      const name = `${pod.metadata?.generateName ?? ''}${suffix(this.created++)}`;
      pod.metadata = { ...pod.metadata, name, uid: `uid-${name}` };
      created.push(pod);
    }
    const deleted = plan.deletes.map((d) => d.name);
    if ((opts.deletes ?? 'remove') === 'remove') {
      const gone = new Set(plan.deletes.map((d) => d.uid));
      this.pods = this.pods.filter((p) => !gone.has(p.metadata?.uid ?? ''));
    }
    this.pods.push(...created);
    for (const [k, v] of plan.backoffUpdates) this.backoff.set(k, v);
    if (plan.statusChanged) this.ds = { ...this.ds, status: plan.status };
    return {
      plan,
      created,
      deleted,
      creates: plan.creates.length,
      deletes: plan.deletes.length,
      events: plan.events,
      ...(plan.error !== undefined ? { error: plan.error } : {}),
    };
  }

  private applyClaims(plan: Plan): void {
    const uid = this.ds.metadata?.uid ?? '';
    const ref = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      name: this.ds.metadata?.name ?? '',
      uid,
      controller: true,
      blockOwnerDeletion: true,
    };
    const patch = <T extends Pod | ControllerRevision>(obj: T, action: 'adopt' | 'release'): T => {
      const refs = (obj.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid);
      return {
        ...obj,
        metadata: { ...obj.metadata, ownerReferences: action === 'adopt' ? [...refs, ref] : refs },
      };
    };
    for (const c of plan.claims) {
      if (c.kind === 'Pod')
        this.pods = this.pods.map((p) => (p.metadata?.uid === c.uid ? patch(p, c.action) : p));
      else
        this.revisions = this.revisions.map((r) =>
          r.metadata?.uid === c.uid ? patch(r, c.action) : r,
        );
    }
  }

  private applyHistory(plan: Plan): boolean {
    const h = plan.history!;
    if (h.createRevision !== null) {
      const name = h.createRevision.metadata?.name ?? '';
      const existing = this.revisions.find((r) => r.metadata?.name === name);
      if (existing !== undefined) {
        if (!revisionDataMatches(this.ds, existing.data)) {
          const status = this.ds.status ?? plan.status;
          this.ds = {
            ...this.ds,
            status: { ...status, collisionCount: (status.collisionCount ?? 0) + 1 },
          };
          return false;
        }
      } else {
        const rev = structuredClone(h.createRevision) as Mutable<ControllerRevision>;
        rev.metadata = {
          ...rev.metadata,
          uid: `uid-rev-${name}`,
          creationTimestamp: formatTime(this.now),
        };
        this.revisions.push(rev);
      }
    }
    const renumber = new Map(h.updateRevisions.map((u) => [u.name, u.revision]));
    const label = new Set(h.labelRevisions);
    const drop = new Set(h.deleteRevisions);
    this.revisions = this.revisions
      .filter((r) => !drop.has(r.metadata?.name ?? ''))
      .map((r) => {
        const name = r.metadata?.name ?? '';
        let next = r;
        const revision = renumber.get(name);
        if (revision !== undefined) next = { ...next, revision };
        if (label.has(name)) {
          next = {
            ...next,
            metadata: {
              ...next.metadata,
              labels: { ...next.metadata?.labels, [CONTROLLER_REVISION_HASH_LABEL]: name },
            },
          };
        }
        return next;
      });
    const relabel = new Map(h.relabelPods.map((r) => [r.name, r.labels]));
    if (relabel.size > 0) {
      this.pods = this.pods.map((p) => {
        const labels = relabel.get(p.metadata?.name ?? '');
        return labels === undefined
          ? p
          : { ...p, metadata: { ...p.metadata, labels: { ...labels } } };
      });
    }
    return true;
  }

  // ---- fixtures and lookups ----

  addPod(pod: Pod): Pod {
    this.pods.push(pod);
    return pod;
  }

  addOwnedPod(node: string, opts: PodOptions = {}): Pod {
    const hash = opts.hash ?? this.currentHash();
    return this.addPod(newOwnedPod(this.ds, node, { ...opts, hash }));
  }

  pod(ref: PodRef): Pod {
    const name = typeof ref === 'string' ? ref : (ref.metadata?.name ?? '');
    const p = this.pods.find((x) => x.metadata?.name === name);
    if (p === undefined) throw new Error(`no pod ${name}`);
    return p;
  }

  podsOn(node: string): Pod[] {
    return this.pods.filter((p) => {
      const t = getTargetNodeName(p);
      return 'node' in t && t.node === node;
    });
  }

  activePods(): Pod[] {
    return this.pods.filter((p) => !p.metadata?.deletionTimestamp);
  }

  private updatePod(ref: PodRef, mutate: (p: Mutable<Pod>) => void): void {
    this.updatePods(new Set([typeof ref === 'string' ? ref : (ref.metadata?.name ?? '')]), mutate);
  }

  private updatePods(names: ReadonlySet<string>, mutate: (p: Mutable<Pod>) => void): void {
    this.pods = this.pods.map((p) => {
      if (!names.has(p.metadata?.name ?? '')) return p;
      const copy = structuredClone(p) as Mutable<Pod>;
      mutate(copy);
      return copy;
    });
  }

  markReady(ref: PodRef, at: number = this.now): void {
    this.updatePod(ref, (p) => {
      setReady(p, at);
    });
  }

  markAllReady(at: number = this.now): void {
    const names = new Set(
      this.activePods()
        .filter((p) => !isReady(p))
        .map((p) => p.metadata?.name ?? ''),
    );
    this.updatePods(names, (p) => {
      setReady(p, at);
    });
  }

  markNotReady(ref: PodRef, at: number = this.now): void {
    this.updatePod(ref, (p) => {
      const others = (p.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
      p.status = {
        ...p.status,
        conditions: [
          ...others,
          { type: 'Ready', status: 'False', lastTransitionTime: formatTime(at) },
        ],
      };
    });
  }

  setPhase(ref: PodRef, phase: NonNullable<NonNullable<Pod['status']>['phase']>): void {
    this.updatePod(ref, (p) => {
      p.status = { ...p.status, phase };
    });
  }

  setDeleting(ref: PodRef, at: number = this.now): void {
    this.updatePod(ref, (p) => {
      p.metadata = {
        ...p.metadata,
        deletionTimestamp: formatTime(at),
        deletionGracePeriodSeconds: 30,
      };
    });
  }

  /** Binds every unbound pod to the node its affinity pins it to (what a scheduler would do). */
  bindAll(): void {
    this.pods = this.pods.map((p) => {
      if (p.spec?.nodeName) return p;
      const t = getTargetNodeName(p);
      return 'node' in t ? { ...p, spec: { ...p.spec!, nodeName: t.node } } : p;
    });
  }

  // ---- DaemonSet and node changes ----

  setTemplate(
    mutate: (template: Mutable<NonNullable<NonNullable<DaemonSet['spec']>['template']>>) => void,
  ): void {
    const ds = structuredClone(this.ds) as Mutable<DaemonSet>;
    const before = canonicalJSON(ds.spec!.template);
    mutate(ds.spec!.template);
    if (canonicalJSON(ds.spec!.template) === before) return;
    const meta = ds.metadata!;
    meta.generation = (meta.generation ?? 1) + 1;
    const tg = Number.parseInt(meta.annotations?.[TEMPLATE_GENERATION_ANNOTATION] ?? '1', 10);
    meta.annotations = { ...meta.annotations, [TEMPLATE_GENERATION_ANNOTATION]: String(tg + 1) };
    this.ds = ds;
  }

  updateSpec(mutate: (spec: Mutable<NonNullable<DaemonSet['spec']>>) => void): void {
    const ds = structuredClone(this.ds) as Mutable<DaemonSet>;
    const before = canonicalJSON(ds.spec);
    mutate(ds.spec!);
    if (canonicalJSON(ds.spec) === before) return;
    ds.metadata!.generation = (ds.metadata!.generation ?? 1) + 1;
    this.ds = ds;
  }

  setStrategy(s: StrategySpec): void {
    this.updateSpec((spec) => {
      spec.updateStrategy = updateStrategy(s);
    });
  }

  addNode(node: Node): void {
    this.nodes.push(node);
  }

  removeNode(name: string): void {
    this.nodes = this.nodes.filter((n) => n.metadata?.name !== name);
  }

  updateNode(name: string, mutate: (node: Mutable<Node>) => void): void {
    this.nodes = this.nodes.map((n) => {
      if (n.metadata?.name !== name) return n;
      const copy = structuredClone(n) as Mutable<Node>;
      mutate(copy);
      return copy;
    });
  }
}
