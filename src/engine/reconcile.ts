/**
 * The engine's entry point: one reconcile of one DaemonSet (§4), pure. It claims pods and
 * revisions, builds the history, runs manage and (when allowed) the rolling update, cleans up
 * history and computes status, and returns all of it as a Plan with a reason for every action.
 */
import { isEmptyLabelSelector, labelSelectorAsSelector } from '../api/labels.js';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  objectKey,
  type ControllerRevision,
  type Pod,
} from '../api/types.js';
import { claimObjects } from './claim.js';
import { buildNodeDecisions } from './decisions.js';
import { cleanupHistory, constructHistory } from './history.js';
import { requeueDelay } from './nodeclass.js';
import { buildNodeToDaemonPods } from './nodepods.js';
import {
  eligibilityOf,
  minDelay,
  noPodWrites,
  manageReleaseTest,
  planPodWrites,
  type PlanContext,
} from './podplan.js';
import { decideSteps } from './rollout/stage.js';
import { decideRollout } from './rolloutpolicy.js';
import { rolloutStatus } from './rolloutprogress.js';
import { countersOf, rolloutSummary } from './rolloutsummary.js';
import { storedNativeRecord } from './rolloutrecord.js';
import type { UpdatePolicy } from './updatepolicy.js';
import { computeStatus, statusChanged, statusRequeueAfterMs } from './status.js';
import type {
  HistoryPlan,
  NodeDecision,
  Plan,
  PlanEvent,
  PodRelabel,
  RevisionRef,
  SkipReason,
  Snapshot,
} from './types.js';

/** How the caller observes its own writes. */
export interface ReconcileOptions {
  /**
   * 'harness' (everynode plan, scenario tests): the plan's own creates and deletes are observed at
   * once, so manage, the rolling update and status all run in one reconcile.
   * 'live' (the controller): the rolling update runs only when manage planned no pod writes, and
   * status is computed from the snapshot as it is.
   */
  readonly mode: 'harness' | 'live';
  /** False while expectations are unsatisfied: only history and status are planned (§4 step 6). */
  readonly expectationsSatisfied?: boolean;
  /**
   * The rolling update's node order and release set, instead of the one the DaemonSet's rollout
   * spec implies (engine/rolloutpolicy.ts); for tests and the controller's updatePolicy option.
   */
  readonly policy?: UpdatePolicy;
  /**
   * Plan as plain apps/v1, ignoring everynode's rollout fields, annotations and record (the
   * reference the faithful property test compares with; test/properties/faithful.property.test.ts).
   */
  readonly plain?: boolean;
}

export { minDelay, rollingUpdateRuns } from './podplan.js';
export { countersOf, rolloutSummary } from './rolloutsummary.js';

/** The event upstream records on every sync of a DaemonSet whose selector is `{}`. */
export const SELECTING_ALL_EVENT: PlanEvent = Object.freeze({
  type: 'Warning',
  reason: 'SelectingAll',
  message: 'This daemon set is selecting all pods. A non-empty selector is required.',
});

const EMPTY_STATUS = Object.freeze({
  currentNumberScheduled: 0,
  desiredNumberScheduled: 0,
  numberMisscheduled: 0,
  numberReady: 0,
});

function skipPlan(snapshot: Snapshot, skip: SkipReason, events: PlanEvent[]): Plan {
  return {
    dsKey: objectKey(snapshot.ds),
    skip,
    nodes: [],
    claims: [],
    history: null,
    creates: [],
    deletes: [],
    status: snapshot.ds.status ?? EMPTY_STATUS,
    statusChanged: false,
    events,
    requeueAfterMs: null,
    backoffUpdates: new Map(),
    rollingUpdateRan: false,
    recordWrite: null,
    rollout: null,
  };
}

/** Pods as they will be once a dedup relabel (§8.5) is applied, so nothing restarts them meanwhile. */
function applyRelabels(pods: readonly Pod[], relabels: readonly PodRelabel[]): readonly Pod[] {
  if (relabels.length === 0) return pods;
  const byName = new Map(relabels.map((r) => [r.name, r.labels]));
  return pods.map((p) => {
    const labels = byName.get(p.metadata?.name ?? '');
    return labels === undefined ? p : { ...p, metadata: { ...p.metadata, labels } };
  });
}

/** A revision as a Plan names it: name, number, and its hash label (the name when unlabelled). */
export function toRef(r: ControllerRevision): RevisionRef {
  const name = r.metadata?.name ?? '';
  return {
    name,
    revision: r.revision,
    hash: r.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? name,
  };
}

/** Reconciles: claim, history, manage, rolling update, cleanup, status. Throws only on a selector that does not parse. */
export function reconcile(snapshot: Snapshot, options: ReconcileOptions): Plan {
  const { ds, nodes, now } = snapshot;
  if (isEmptyLabelSelector(ds.spec?.selector))
    return skipPlan(snapshot, 'SelectingAll', [SELECTING_ALL_EVENT]);
  if (ds.metadata?.deletionTimestamp) return skipPlan(snapshot, 'BeingDeleted', []);
  const harness = options.mode === 'harness';
  const selector = labelSelectorAsSelector(ds.spec?.selector);
  const podClaim = claimObjects(ds, selector, snapshot.pods, 'Pod');
  const revClaim = claimObjects(ds, selector, snapshot.revisions, 'ControllerRevision');
  const hist = constructHistory(ds, revClaim.claimed, podClaim.claimed);
  const claimedPods = applyRelabels(podClaim.claimed, hist.relabelPods);
  const decided = decideRollout({
    ds,
    revisions: revClaim.claimed,
    update: hist.current,
    pods: claimedPods,
    now,
    policy: options.policy,
    plain: options.plain ?? false,
  });
  const eligible = eligibilityOf(snapshot, decided.suspend);
  const nodeToPods = buildNodeToDaemonPods(claimedPods, false);
  // Canary, waves and health gates (issue 12): a second pure stage that reads nodes and pods.
  const rollout = decideSteps(decided, {
    ds,
    nodes,
    shouldRun: (i) => eligible.eligibilityAt[i]?.shouldRun ?? false,
    podsOn: (node) => nodeToPods.get(node),
    now,
    metric: snapshot.metric,
  });
  const ctx: PlanContext = {
    snapshot,
    harness,
    hash: rollout.target.hash,
    updateHash: hist.current.hash,
    rollout,
    ...eligible,
    nodeToPods,
  };
  const satisfied = options.expectationsSatisfied ?? true;
  // Freeze: no pod writes at all; status is still computed.
  const w = satisfied && rollout.suspend !== 'Freeze' ? planPodWrites(ctx) : noPodWrites(ctx);
  // §8.6: only after manage and the rolling update succeeded; the harness has observed its deletes.
  let cleanup: string[] = [];
  if (satisfied && w.error === undefined) {
    const gone = new Set(w.deletedPods);
    const livePods =
      harness && gone.size > 0 ? claimedPods.filter((p) => !gone.has(p)) : claimedPods;
    cleanup = cleanupHistory(ds, hist.old, livePods, rollout.stable?.ref.name);
  }
  const statusPods = harness ? w.statusPods : ctx.nodeToPods;
  // When status reads the same map as the decisions, its per-node findings are shared.
  const nodeState = statusPods === ctx.nodeToPods ? new Uint8Array(nodes.length) : undefined;
  const common = {
    ds,
    nodes,
    eligibility: ctx.eligibility,
    eligibilityAt: ctx.eligibilityAt,
    hash: ctx.updateHash,
  };
  // Node-/rollout-caused counts (issue 12) only for DaemonSets using rollout features.
  const impairment = rollout.features ? { nodeCaused: 0, impairedOld: 0 } : undefined;
  const counted = computeStatus({
    ...common,
    nodeToPods: statusPods,
    now,
    updateObservedGen: satisfied,
    ...(nodeState ? { nodeState } : {}),
    ...(impairment ? { impairment } : {}),
  });
  const outcome = rolloutStatus({
    ds,
    decision: rollout,
    counters: countersOf(counted),
    status: counted,
    now,
    storedRecord: storedNativeRecord(
      revClaim.claimed.find((r) => r.metadata?.name === hist.current.name),
    ),
    ...(impairment ? { impairment } : {}),
    ...(w.removal ? { removals: { pending: w.removal.pending, recent: w.removal.recent } } : {}),
  });
  const status = outcome.status;
  const cleaned = new Set(cleanup);
  const history: HistoryPlan = {
    currentRevision: hist.current,
    createRevision: hist.createRevision,
    updateRevisions: hist.updateRevisions,
    labelRevisions: hist.labelRevisions,
    relabelPods: hist.relabelPods,
    deleteRevisions: [...hist.deleteDuplicates, ...cleanup],
    oldRevisions: hist.old.filter((r) => !cleaned.has(r.metadata?.name ?? '')).map(toRef),
  };
  // Per-node decisions are for `everynode plan` and inspection; a live sync never reads them, and
  // building them was a sixth of a steady-state sync over 10k nodes (B5), so they are built on
  // first read. Their inputs are final here and never change afterwards.
  let decisions: NodeDecision[] | undefined;
  const decide = (): NodeDecision[] =>
    buildNodeDecisions({
      ...common,
      nodeToPods: ctx.nodeToPods,
      creates: w.creates,
      deletes: w.deletes,
      notes: w.notes,
      ...(nodeState ? { nodeState } : {}),
      ...(rollout.hold !== undefined && rollout.pin !== undefined
        ? { held: { why: rollout.hold, released: manageReleaseTest(ctx) } }
        : {}),
    });
  return {
    dsKey: objectKey(ds),
    skip: null,
    get nodes(): NodeDecision[] {
      return (decisions ??= decide());
    },
    claims: [...podClaim.actions, ...revClaim.actions],
    history,
    creates: w.creates,
    deletes: w.deletes,
    status,
    statusChanged: statusChanged(ds, status),
    events: outcome.events.length === 0 ? w.events : [...w.events, ...outcome.events],
    requeueAfterMs: minDelay(
      minDelay(w.requeueAfterMs, statusRequeueAfterMs(ds, status)),
      requeueDelay(outcome.requeueAt, now),
    ),
    backoffUpdates: w.backoffUpdates,
    rollingUpdateRan: w.rollingUpdateRan,
    recordWrite: outcome.recordWrite,
    rollout: rolloutSummary(rollout, outcome.phase),
    removalSince: w.removal?.since,
    removalRecent: w.removal?.recent,
    ...(w.error === undefined ? {} : { error: w.error }),
  };
}
