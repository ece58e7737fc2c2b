/**
 * The incremental sync: the Plan that reconcile(fullSnapshot, { mode: 'live' }) would return,
 * built from per-DaemonSet state kept between syncs (syncstate.ts) in time proportional to what
 * changed. It answers only in the cases it can prove equal to the full reconcile and returns
 * undefined otherwise, and the controller then runs reconcile() as before. reconcile() stays the
 * reference: verification mode (verifySync) runs both on every sync and compares them.
 */
import { isEmptyLabelSelector, labelSelectorAsSelector, type Selector } from '../api/labels.js';
import { templateGenerationOf } from '../api/pod.js';
import {
  objectKey,
  type ControllerRevision,
  type DaemonSet,
  type DaemonSetStatus,
  type Mutable,
  type Node,
  type Pod,
} from '../api/types.js';
import { allowsSurge, resolveBudget } from '../engine/budget.js';
import { claimObjects } from '../engine/claim.js';
import { makeEligibilityChecker } from '../engine/eligibility.js';
import { constructHistory } from '../engine/history.js';
import {
  DEFAULT_BACKOFF,
  manage,
  MISSING_POD_REASON,
  type ManageResult,
} from '../engine/manage.js';
import { makePodFactory } from '../engine/podfactory.js';
import { minDelay, toRef } from '../engine/reconcile.js';
import { statusChanged, statusRequeueAfterMs } from '../engine/status.js';
import type { NodeDecision, Plan, PodCreate, PodDelete, RevisionRef } from '../engine/types.js';
import { planRollout } from './fastrollout.js';
import { INDEX_NAMESPACE, INDEX_ORPHAN_NAMESPACE } from './informer.js';
import type { ReadonlyStore } from './store.js';
import type { DeclineReason } from './syncpath.js';
import { DaemonSetSyncState } from './syncstate.js';

/** The caches the incremental sync reads. */
export interface FastPlanCaches {
  readonly nodes: ReadonlyStore<Node>;
  readonly pods: ReadonlyStore<Pod>;
  readonly revisions: ReadonlyStore<ControllerRevision>;
}

/** History when it needs no write: the current revision exists once, nothing to clean up. */
interface QuietHistory {
  readonly current: RevisionRef;
  readonly old: readonly RevisionRef[];
}

/** What is kept per DaemonSet key. */
interface Kept {
  /** The DaemonSet object last seen; a status write replaces it without changing the shape. */
  ds: DaemonSet;
  /** Everything of the DaemonSet that per-node results depend on, as JSON. */
  shapeKey: string;
  selector: Selector;
  /** History, keyed on the revision cache's write position (undefined: not quiet). */
  historySeq: number;
  history: QuietHistory | undefined;
  state: DaemonSetSyncState | undefined;
}

/** Builds live-mode Plans incrementally; one instance per controller. */
export class IncrementalPlanner {
  private readonly kept = new Map<string, Kept>();

  constructor(private readonly caches: FastPlanCaches) {}

  /** Drops what is kept for key (the DaemonSet is gone). */
  forget(key: string): void {
    this.kept.delete(key);
  }

  /**
   * The Plan reconcile() would return for ds now, or undefined when this sync needs the full
   * reconcile. `decisions` gives the per-node decisions when someone reads them (never a live
   * sync; they come from a full reconcile at that moment).
   */
  plan(
    key: string,
    ds: DaemonSet,
    now: number,
    satisfied: boolean,
    decisions: () => readonly NodeDecision[],
  ): Plan | DeclineReason {
    // Selecting all and being deleted are early exits of reconcile that cost nothing there; an
    // unparsable selector must raise reconcile's own error.
    if (isEmptyLabelSelector(ds.spec?.selector)) return 'selectingAll';
    if (ds.metadata?.deletionTimestamp) return 'beingDeleted';
    const k = this.keep(key, ds);
    if (k === undefined) return 'invalidSelector';
    const h = this.history(k, ds);
    if (h === undefined) return 'historyWrite';
    const state = this.stateFor(k, ds, h.current.hash);
    state.advance(now);
    // Duplicates, failed pods, pods on ineligible nodes, old pods on nodes that left (see
    // DaemonSetSyncState.classify): manage or the rolling update acts there in ways not kept.
    const complex = state.complexReason();
    if (complex !== undefined) return complex;
    // Owned pods the selector no longer matches are released by the full claim.
    if (state.mismatched.size > 0) return 'releasePod';
    if (this.adoptsOrphans(ds, k.selector)) return 'adoptOrphan';

    let creates: PodCreate[] = [];
    let deletes: PodDelete[] = [];
    let rollingUpdateRan = false;
    let ruRequeue: number | null = null;
    if (satisfied) {
      // Made on the first create only: a steady-state sync creates nothing (B5).
      let made: ((node: string) => Pod) | undefined;
      const factory = (node: string): Pod => (made ??= makePodFactory(ds, h.current.hash))(node);
      const m = this.manageWrites(ds, state, h.current.hash, now, factory);
      if (typeof m === 'string') return m;
      ({ creates, deletes } = m);
      const isRollingUpdate =
        (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
      // Live mode: the rolling update runs only when manage planned no writes (§4 step 7.2).
      if (isRollingUpdate && creates.length === 0 && deletes.length === 0) {
        let budget;
        try {
          budget = resolveBudget(ds, state.totals.desired);
        } catch {
          // A malformed budget is the full reconcile's to report (plan.error).
          return 'invalidBudget';
        }
        // Manage's mode and the rolling update's must agree for the node classes to hold.
        if (budget.maxSurge > 0 !== state.shape.surge) return 'modeMismatch';
        const ru = planRollout(state, budget, now);
        if (typeof ru === 'string') return ru;
        rollingUpdateRan = true;
        creates = ru.creates.map((c) =>
          createOf(factory, c.node, h.current.hash, c.reason, 'rollingUpdate'),
        );
        deletes = ru.deletes;
        ruRequeue = ru.requeueAfterMs;
      }
    }
    const t = state.totals;
    // A shallow copy: the conditions and collisionCount are carried over as they are and never
    // changed here (computeStatus deep-copies; the executor writes a copy either way).
    const status = { ...(ds.status ?? {}) } as Mutable<DaemonSetStatus>;
    Object.assign(status, {
      desiredNumberScheduled: t.desired,
      currentNumberScheduled: t.current,
      numberMisscheduled: t.misscheduled,
      numberReady: t.ready,
      numberAvailable: t.available,
      numberUnavailable: t.desired - t.available,
      updatedNumberScheduled: t.updated,
    });
    if (satisfied) status.observedGeneration = ds.metadata?.generation ?? 0;
    let nodes: readonly NodeDecision[] | undefined;
    return {
      dsKey: objectKey(ds),
      skip: null,
      get nodes(): readonly NodeDecision[] {
        return (nodes ??= decisions());
      },
      claims: [],
      history: {
        currentRevision: h.current,
        createRevision: null,
        updateRevisions: [],
        labelRevisions: [],
        relabelPods: [],
        deleteRevisions: [],
        oldRevisions: h.old,
      },
      creates,
      deletes,
      status,
      statusChanged: statusChanged(ds, status),
      events: [],
      requeueAfterMs: minDelay(ruRequeue, statusRequeueAfterMs(ds, status)),
      backoffUpdates: new Map(),
      rollingUpdateRan,
    };
  }

  /** The kept entry for key, refreshed for ds; undefined when the selector does not parse. */
  private keep(key: string, ds: DaemonSet): Kept | undefined {
    let k = this.kept.get(key);
    if (k !== undefined && k.ds === ds) return k;
    const m = ds.metadata;
    // Status and resourceVersion change on every status write and matter to no per-node result.
    const shapeKey = JSON.stringify([m?.uid, m?.namespace, m?.name, m?.annotations, ds.spec]);
    if (k !== undefined && k.shapeKey === shapeKey) {
      k.ds = ds;
      return k;
    }
    let selector: Selector;
    try {
      selector = labelSelectorAsSelector(ds.spec?.selector);
    } catch {
      return undefined;
    }
    k = { ds, shapeKey, selector, historySeq: -1, history: undefined, state: undefined };
    this.kept.set(key, k);
    return k;
  }

  /**
   * History as reconcile computes it, when it plans no write: claims nothing, exactly one current
   * revision (no create, dedup, rollback raise or label repair) and no more old revisions than
   * the limit (so cleanup, which reads the pods, deletes none). Cached until a revision changes.
   */
  private history(k: Kept, ds: DaemonSet): QuietHistory | undefined {
    const seq = this.caches.revisions.changeSeq();
    if (k.historySeq === seq) return k.history;
    k.historySeq = seq;
    k.history = undefined;
    const revs = this.caches.revisions.byIndex(INDEX_NAMESPACE, ds.metadata?.namespace ?? '');
    const claim = claimObjects(ds, k.selector, revs, 'ControllerRevision');
    if (claim.actions.length > 0) return undefined;
    // The pods matter to constructHistory only for a dedup, which is not quiet anyway.
    const h = constructHistory(ds, claim.claimed, []);
    const quiet =
      h.createRevision === null &&
      h.updateRevisions.length === 0 &&
      h.labelRevisions.length === 0 &&
      h.relabelPods.length === 0 &&
      h.deleteDuplicates.length === 0 &&
      h.old.length <= (ds.spec?.revisionHistoryLimit ?? 10);
    if (quiet) k.history = { current: h.current, old: h.old.map(toRef) };
    return k.history;
  }

  private stateFor(k: Kept, ds: DaemonSet, hash: string): DaemonSetSyncState {
    if (k.state !== undefined && k.state.shape.hash === hash) return k.state;
    k.state = new DaemonSetSyncState(
      {
        uid: ds.metadata?.uid ?? '',
        checker: makeEligibilityChecker(ds),
        selector: k.selector,
        hash,
        generation: templateGenerationOf(ds),
        minReadySeconds: ds.spec?.minReadySeconds ?? 0,
        surge: allowsSurge(ds),
      },
      this.caches.nodes,
      this.caches.pods,
    );
    return k.state;
  }

  /** True when the full claim would adopt an orphan of the namespace. */
  private adoptsOrphans(ds: DaemonSet, selector: Selector): boolean {
    if (selector.empty || selector.nothing) return false;
    const ns = ds.metadata?.namespace ?? '';
    for (const pod of this.caches.pods.byIndex(INDEX_ORPHAN_NAMESPACE, ns)) {
      const meta = pod.metadata;
      if (meta?.deletionTimestamp || (meta?.namespace ?? '') !== ns) continue;
      if (selector.matches(meta?.labels)) return true;
    }
    return false;
  }

  /**
   * Manage's writes, in node-list order: creates on empty nodes that should run a pod, and in
   * surge mode a create beside a node's one terminating pod and deletes of old pods beside new
   * ones (§5.2), those two with manage's own reasons: manage() run on just that node, which is
   * all it reads there.
   */
  private manageWrites(
    ds: DaemonSet,
    state: DaemonSetSyncState,
    hash: string,
    now: number,
    factory: (node: string) => Pod,
  ): { creates: PodCreate[]; deletes: PodDelete[] } | DeclineReason {
    const { missing, rollout } = state;
    const creates: PodCreate[] = [];
    const deletes: PodDelete[] = [];
    const createOn =
      rollout.manageCreates.size === 0 ? missing : new Set([...missing, ...rollout.manageCreates]);
    for (const name of this.inNodeOrder(createOn)) {
      if (missing.has(name)) {
        creates.push(createOf(factory, name, hash, MISSING_POD_REASON, 'manage'));
        continue;
      }
      const m = this.manageOn(ds, state, name, hash, now);
      if (m === undefined || m.creates.length !== 1 || m.deletes.length > 0) return 'stateMismatch';
      creates.push(createOf(factory, name, hash, m.creates[0]!.reason, 'manage'));
    }
    for (const name of this.inNodeOrder(rollout.manageDeletes)) {
      const m = this.manageOn(ds, state, name, hash, now);
      if (m === undefined || m.creates.length > 0 || m.deletes.length !== 1) return 'stateMismatch';
      const d = m.deletes[0]!;
      const meta = d.pod.metadata;
      deletes.push({
        namespace: meta?.namespace ?? '',
        name: meta?.name ?? '',
        uid: meta?.uid ?? '',
        node: d.node,
        source: 'manage',
        reason: d.reason,
      });
    }
    return { creates, deletes };
  }

  /** manage() over one node of the state (surge mode); undefined when it would raise events. */
  private manageOn(
    ds: DaemonSet,
    state: DaemonSetSyncState,
    name: string,
    hash: string,
    now: number,
  ): ManageResult | undefined {
    const view = state.nodeView(name);
    if (view === undefined) return undefined;
    const m = manage({
      ds,
      nodes: [view.node],
      eligibility: new Map([[name, view.elig]]),
      eligibilityAt: [view.elig],
      nodeToPods: new Map([[name, view.pods]]),
      hash,
      now,
      surge: true,
      backoff: new Map(),
      backoffConfig: DEFAULT_BACKOFF,
    });
    return m.events.length > 0 || m.backoffUpdates.size > 0 ? undefined : m;
  }

  /** Node names of a set in node-list order. */
  private inNodeOrder(set: ReadonlySet<string>): string[] {
    if (set.size === 0) return [];
    const nodes = this.caches.nodes;
    const [first] = set;
    if (set.size * Math.log2(set.size + 1) > nodes.size() || nodes.ordinal(first!) === undefined) {
      // Most nodes are in the set (a new DaemonSet, B1): one pass in list order beats sorting (and
      // is the only way in a store without ordinals).
      return nodes.keys().filter((n) => set.has(n));
    }
    // A few nodes (B3): sort them by their place in the node list.
    const ords = new Map<string, number>();
    for (const n of set) ords.set(n, nodes.ordinal(n) ?? 0);
    return [...set].sort((a, b) => ords.get(a)! - ords.get(b)!);
  }
}

/**
 * A create as reconcile's planPodWrites makes it, its pod body built on first read. A class, not
 * an object literal with a getter: a sync plans a create for every missing node (10k on B1's
 * first syncs) though the executor issues at most the burst, and the literals were a fifth of
 * B1's allocated bytes.
 */
class LazyCreate implements PodCreate {
  private body: Pod | undefined = undefined;
  constructor(
    private readonly factory: (node: string) => Pod,
    readonly node: string,
    readonly revisionHash: string,
    readonly reason: string,
    readonly source: PodCreate['source'],
  ) {}
  get pod(): Pod {
    return (this.body ??= this.factory(this.node));
  }
}

function createOf(
  factory: (node: string) => Pod,
  node: string,
  hash: string,
  reason: string,
  source: PodCreate['source'],
): PodCreate {
  return new LazyCreate(factory, node, hash, reason, source);
}
