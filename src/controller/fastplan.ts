/**
 * The incremental sync: the Plan that reconcile(fullSnapshot, { mode: 'live', policy }) would
 * return, built from per-DaemonSet state kept between syncs (syncstate.ts) in time proportional
 * to what changed, by the engine's own functions (manage's per-node writes, runRollingUpdate over
 * the kept tally, statusCounters). It answers only in the cases it can prove equal to the full
 * reconcile and otherwise returns the DeclineReason (syncpath.ts), and the controller then runs
 * reconcile(). reconcile() stays the reference: verification mode (verifySync) runs both on every
 * sync and compares them. The controller README explains it in a page.
 */
import { isEmptyLabelSelector, labelSelectorAsSelector, type Selector } from '../api/labels.js';
import { templateGenerationOf } from '../api/pod.js';
import { skipsImpaired } from '../api/rolloutspec.js';
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
import { makeRolloutEligibilityChecker } from '../engine/eligibility.js';
import { constructHistory } from '../engine/history.js';
import { MISSING_POD_REASON } from '../engine/manage.js';
import { earliestRequeueAt, requeueDelay, type RolloutClass } from '../engine/nodeclass.js';
import { podDelete } from '../engine/podwrites.js';
import { minDelay, rolloutSummary, rollingUpdateRuns, toRef } from '../engine/reconcile.js';
import { podCreator, type PodCreator } from '../engine/rolloutcreates.js';
import { decideRollout, type RolloutDecision } from '../engine/rolloutpolicy.js';
import { hasStepFields } from '../api/rolloutspec.js';
import type { MetricMemory } from '../engine/rollout/metricfold.js';
import { cappedBudget } from '../engine/rollout/steps.js';
import { applySteps, prometheusGateOf, stepsInPlay } from '../engine/rollout/stage.js';
import { rolloutStatus } from '../engine/rolloutprogress.js';
import { storedNativeRecord } from '../engine/rolloutrecord.js';
import {
  releaseTest,
  RolloutStateError,
  runRollingUpdate,
  type RollingUpdateResult,
} from '../engine/rolloutmodes.js';
import { statusChanged, statusRequeueAfterMs, withCounters } from '../engine/status.js';
import { statusCounters } from '../engine/tallies.js';
import type { NodeDecision, Plan, PodCreate, PodDelete, RevisionRef } from '../engine/types.js';
import type { UpdatePolicy } from '../engine/updatepolicy.js';
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
  /** The claimed revisions (the rollout's stable revision and record are read from them). */
  readonly revisions: readonly ControllerRevision[];
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
   * sync; they come from a full reconcile at that moment). `metric` is the Prometheus gate's
   * memory the full reconcile would get (Snapshot.metric); without it, a rollout with that gate
   * in play is declined.
   */
  plan(
    key: string,
    ds: DaemonSet,
    now: number,
    satisfied: boolean,
    decisions: () => readonly NodeDecision[],
    policy?: UpdatePolicy,
    metric?: { readonly memory: MetricMemory | undefined },
  ): Plan | DeclineReason {
    // Selecting all and being deleted are early exits of reconcile that cost nothing there; an
    // unparsable selector must raise reconcile's own error.
    if (isEmptyLabelSelector(ds.spec?.selector)) return 'selectingAll';
    if (ds.metadata?.deletionTimestamp) return 'beingDeleted';
    const k = this.keep(key, ds);
    if (k === undefined) return 'invalidSelector';
    const h = this.history(k, ds);
    if (h === undefined) return 'historyWrite';
    // The same rollout decision as the full reconcile's (engine/rolloutpolicy.ts).
    const input = { ds, revisions: h.revisions, update: h.current, now, policy };
    let decided = decideRollout(input);
    if (decided.stableUnknown) {
      // A hold, an abort or steps with no recorded stable revision: inferred from the pods, as
      // the full reconcile does from its claimed ones (a new DaemonSet with a canary has none to
      // infer from until its first rollout, and every sync of its creation needs this).
      const filed = this.stateFor(k, ds, decided);
      filed.advance(now);
      decided = decideRollout({ ...input, pods: filed.filedPods() });
    }
    // An aborted rollout going back while held: the release counts nodes at the stable revision,
    // which the kept shares (counted against the update revision) do not say.
    if (decided.target.name !== h.current.name && decided.hold !== undefined) return 'policy';
    // Issue 12: honoured by the full reconcile only (engine/removals.ts, podplan.ts).
    if (decided.features && decided.spec.removalBudget !== undefined) return 'removalBudget';
    // The Prometheus gate folds the controller's memory of its answers: only when given it.
    if (metric === undefined && stepsInPlay(decided) && prometheusGateOf(decided)) return 'policy';
    const state = this.stateFor(k, ds, decided);
    state.advance(now);
    // Canary, waves and health gates (issue 12): the steps stage the full reconcile runs, over
    // the kept state: its layout kept while the eligible nodes are unchanged, the step counts
    // kept as nodes change, the gates over the unsettled pods (engine/rollout/stage.ts).
    // A state without kept steps is a DaemonSet without step fields: the stage passes through.
    const steps = state.steps;
    const rollout =
      steps === undefined
        ? decided
        : applySteps(decided, () => steps.layout(decided, () => state.eligibleNodes()), {
            ds,
            podsOn: (node) => state.podsOn(node),
            unsettled: () => steps.unsettled,
            now,
            metric: metric?.memory,
            counts: steps.counts,
          });
    // Failed pods, order-dependent reasons, unbound pods on missing nodes (see
    // DaemonSetSyncState.classify): manage acts there in ways the state does not keep.
    const complex = state.complexReason();
    if (complex !== undefined) return complex;
    // Owned pods the selector no longer matches are released by the full claim.
    if (state.mismatched.size > 0) return 'releasePod';
    if (this.adoptsOrphans(ds, k.selector)) return 'adoptOrphan';

    let creates: PodCreate[] = [];
    let deletes: PodDelete[] = [];
    let rollingUpdateRan = false;
    let ruRequeue: number | null = null;
    // Freeze: no pod writes at all; status is still computed.
    if (satisfied && rollout.suspend !== 'Freeze') {
      // Factories are made on the first create only: a steady-state sync creates nothing (B5).
      const create = podCreator(ds, rollout);
      const released = lazyRelease(rollout, state);
      ({ creates, deletes } = this.manageWrites(state, create, released));
      if (rollingUpdateRuns(ds, false, creates.length + deletes.length)) {
        const ru = planRollout(ds, state, rollout.policy, released, now);
        if (typeof ru === 'string') return ru;
        rollingUpdateRan = true;
        creates = ru.createOnNodes.map((c) => create(c.node, c.reason, 'rollingUpdate', true));
        deletes = ru.deletePods.map((d) => podDelete(d.pod, d.node, d.source, d.reason));
        ruRequeue = requeueDelay(ru.requeueAt, now);
      }
    }
    // A shallow copy: the conditions and collisionCount are carried over as they are (the
    // rollout status replaces what it changes; the executor writes a copy either way).
    const counters = statusCounters(state.totals);
    const counted = withCounters(
      { ...(ds.status ?? {}) } as Mutable<DaemonSetStatus>,
      counters,
      ds,
      satisfied,
    );
    const outcome = rolloutStatus({
      ds,
      decision: rollout,
      counters,
      status: counted,
      now,
      storedRecord: storedNativeRecord(
        h.revisions.find((r) => r.metadata?.name === h.current.name),
      ),
      impairment: state.totals,
    });
    const status = outcome.status;
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
      events: outcome.events.length === 0 ? [] : [...outcome.events],
      requeueAfterMs: minDelay(
        minDelay(ruRequeue, statusRequeueAfterMs(ds, status)),
        requeueDelay(outcome.requeueAt, now),
      ),
      backoffUpdates: new Map(),
      rollingUpdateRan,
      recordWrite: outcome.recordWrite,
      rollout: rolloutSummary(rollout, outcome.phase),
    };
  }

  /** The kept entry for key, refreshed for ds; undefined when the selector does not parse. */
  private keep(key: string, ds: DaemonSet): Kept | undefined {
    let k = this.kept.get(key);
    if (k !== undefined && k.ds === ds) return k;
    const m = ds.metadata;
    // A status write that shares the spec and annotations objects (the memory cluster keeps
    // them across status writes) has the same shape: no JSON of the spec (B3: one per write).
    if (k !== undefined && sameShapeParts(k.ds, ds)) {
      k.ds = ds;
      return k;
    }
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
    if (quiet) k.history = { current: h.current, old: h.old.map(toRef), revisions: claim.claimed };
    return k.history;
  }

  private stateFor(k: Kept, ds: DaemonSet, rollout: RolloutDecision): DaemonSetSyncState {
    const hash = rollout.target.hash;
    const back = rollout.target.name !== rollout.update.name;
    const statusHash = back ? rollout.update.hash : undefined;
    if (
      k.state !== undefined &&
      k.state.shape.hash === hash &&
      k.state.shape.statusHash === statusHash
    )
      return k.state;
    const generation = templateGenerationOf(ds);
    k.state = new DaemonSetSyncState(
      {
        uid: ds.metadata?.uid ?? '',
        ds,
        checker: makeRolloutEligibilityChecker(ds, rollout.suspend),
        selector: k.selector,
        hash,
        // IsPodUpdated's generation fallback is the template's: not for the stable revision.
        generation: back ? undefined : generation,
        ...(back ? { statusHash: rollout.update.hash, statusGeneration: generation } : {}),
        minReadySeconds: ds.spec?.minReadySeconds ?? 0,
        surge: allowsSurge(ds),
        steps: rollout.features && hasStepFields(rollout.spec.steps),
        // RolloutOnly: the rolling update's skip set (engine/podplan.ts rollingUpdateSkips).
        skipImpaired: rollout.features && skipsImpaired(rollout.spec),
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
   * Manage's writes as the state keeps them per node (engine manageNode), in node-list order:
   * creates first, then deletes, as manage() returns them.
   */
  private manageWrites(
    state: DaemonSetSyncState,
    create: PodCreator,
    released: (node: string) => boolean,
  ): { creates: PodCreate[]; deletes: PodDelete[] } {
    const { missing, manageWrites } = state;
    const creates: PodCreate[] = [];
    const deletes: PodDelete[] = [];
    const nodes = manageWrites.size === 0 ? missing : new Set([...missing, ...manageWrites.keys()]);
    const ordered = this.inNodeOrder(nodes);
    for (const name of ordered) {
      const w = manageWrites.get(name);
      if (w === undefined) {
        creates.push(create(name, MISSING_POD_REASON, 'manage', released(name)));
        continue;
      }
      for (const c of w.creates) creates.push(create(c.node, c.reason, 'manage', released(c.node)));
    }
    for (const name of ordered)
      for (const d of manageWrites.get(name)?.deletes ?? [])
        deletes.push(podDelete(d.pod, d.node, 'manage', d.reason));
    return { creates, deletes };
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

/** True when a and b hold the very same shape key parts (so their shape keys are equal). */
function sameShapeParts(a: DaemonSet, b: DaemonSet): boolean {
  const ma = a.metadata;
  const mb = b.metadata;
  return (
    a.spec === b.spec &&
    ma?.annotations === mb?.annotations &&
    ma?.uid === mb?.uid &&
    ma?.namespace === mb?.namespace &&
    ma?.name === mb?.name
  );
}

/**
 * The engine's rolling update (engine/rolloutmodes.ts runRollingUpdate) over the state's tally:
 * the same function the full reconcile calls after its scan, with the same policy. Declines a
 * policy with a free select (it reads every candidate), a budget that does not resolve (the full
 * reconcile reports it), and the surge-mode failure on an old pod of a node that left.
 */
function planRollout(
  ds: DaemonSet,
  state: DaemonSetSyncState,
  policy: UpdatePolicy,
  released: (node: string) => boolean,
  now: number,
): RollingUpdateResult | DeclineReason {
  if (policy.select !== undefined) return 'policy';
  let budget;
  try {
    budget = cappedBudget(resolveBudget(ds, state.totals.desired), policy.maxUnavailableCap);
  } catch {
    return 'invalidBudget';
  }
  // Only nodes whose classes change with time can hold a new pod the update waits on (and the
  // rolling update does not visit the nodes it skips, RolloutOnly's impaired ones).
  const waiting: RolloutClass[] = [];
  for (const name of state.pending)
    if (!state.skipped.has(name)) waiting.push(state.classOf(name, now));
  const requeueAt = earliestRequeueAt(waiting, state.classContext(now));
  try {
    return runRollingUpdate(
      {
        tally: state.rollout,
        classOf: (node) => state.classOf(node, now),
        shouldRun: (node) => state.shouldRun(node),
        listed: (node) => state.listed(node),
        released,
        requeueAt,
      },
      budget,
      policy,
      { ds, hash: state.shape.hash, now },
    );
  } catch (err) {
    return err instanceof RolloutStateError ? 'stateMismatch' : 'oldPodOnMissingNode';
  }
}

/**
 * The release test over the kept state (engine releaseTest, which builds its order on the first
 * node asked about: updated nodes first, then the others in the policy's order).
 */
function lazyRelease(
  rollout: RolloutDecision,
  state: DaemonSetSyncState,
): (node: string) => boolean {
  return releaseTest(rollout.policy, {
    desired: state.totals.desired,
    held: () => ({
      updated: state.totals.updated,
      notUpdated: state.notUpdatedInOrder(),
      updatedCandidates: state.updatedCandidates,
    }),
  });
}
