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
import { allowsSurge } from './budget.js';
import { claimObjects } from './claim.js';
import { buildNodeDecisions } from './decisions.js';
import { makeEligibilityChecker, type Eligibility } from './eligibility.js';
import { cleanupHistory, constructHistory } from './history.js';
import { DEFAULT_BACKOFF, manage } from './manage.js';
import { buildNodeToDaemonPods, type NodePodsMap } from './nodepods.js';
import { makePodFactory } from './podfactory.js';
import { rollingUpdate } from './rollingupdate.js';
import { computeStatus, statusChanged, statusRequeueAfterMs } from './status.js';
import type {
  HistoryPlan,
  Plan,
  PlanEvent,
  PodCreate,
  PodDelete,
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
}

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

/** The node→pods map once this plan's creates and deletes are observed (the harness model). */
function applyWrites(
  map: NodePodsMap,
  creates: readonly PodCreate[],
  deletes: readonly PodDelete[],
  deleted: readonly Pod[],
): NodePodsMap {
  const next: NodePodsMap = new Map(map);
  if (deletes.length > 0) {
    const gone = new Set<Pod>(deleted);
    for (const d of deletes) {
      const list = next.get(d.node);
      if (list === undefined) continue;
      const kept = list.filter((p) => !gone.has(p));
      if (kept.length > 0) next.set(d.node, kept);
      else next.delete(d.node);
    }
  }
  for (const c of creates) next.set(c.node, [...(next.get(c.node) ?? []), c.pod]);
  return next;
}

function toRef(r: ControllerRevision): RevisionRef {
  const name = r.metadata?.name ?? '';
  return {
    name,
    revision: r.revision,
    hash: r.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? name,
  };
}

const minDelay = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.min(a, b);

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
  const hash = hist.current.hash;
  const claimedPods = applyRelabels(podClaim.claimed, hist.relabelPods);

  const checker = makeEligibilityChecker(ds);
  const eligibility = new Map<string, Eligibility>();
  const eligibilityAt: Eligibility[] = new Array<Eligibility>(nodes.length);
  for (let i = 0; i < nodes.length; i++) {
    const e = checker(nodes[i]!);
    eligibilityAt[i] = e;
    eligibility.set(nodes[i]!.metadata?.name ?? '', e);
  }
  const nodeToPods = buildNodeToDaemonPods(claimedPods, false);

  const creates: PodCreate[] = [];
  const deletes: PodDelete[] = [];
  const deletedPods: Pod[] = [];
  const events: PlanEvent[] = [];
  let notes: ReadonlyMap<string, string> = new Map();
  let backoffUpdates: Plan['backoffUpdates'] = new Map();
  let requeueAfterMs: number | null = null;
  let rollingUpdateRan = false;
  let error: string | undefined;
  let cleanup: string[] = [];
  let statusPods = nodeToPods;
  const satisfied = options.expectationsSatisfied ?? true;

  if (satisfied) {
    const m = manage({
      ds,
      nodes,
      eligibility,
      eligibilityAt,
      nodeToPods,
      hash,
      now,
      surge: allowsSurge(ds),
      backoff: snapshot.backoff,
      backoffConfig: snapshot.backoffConfig ?? DEFAULT_BACKOFF,
    });
    const factory = makePodFactory(ds, hash);
    const ns = ds.metadata?.namespace ?? '';
    const addDelete = (
      pod: Pod,
      node: string,
      reason: string,
      source: PodDelete['source'],
    ): void => {
      deletedPods.push(pod);
      const meta = pod.metadata;
      deletes.push({
        namespace: meta?.namespace ?? ns,
        name: meta?.name ?? '',
        uid: meta?.uid ?? '',
        node,
        source,
        reason,
      });
    };
    for (const c of m.creates)
      creates.push({
        node: c.node,
        revisionHash: hash,
        source: 'manage',
        reason: c.reason,
        pod: factory(c.node),
      });
    for (const d of m.deletes) addDelete(d.pod, d.node, d.reason, 'manage');
    events.push(...m.events);
    notes = m.notes;
    backoffUpdates = m.backoffUpdates;
    requeueAfterMs = m.requeueAfterMs;

    const manageCreates = creates.length;
    const manageDeletes = deletes.length;
    const afterManage = harness
      ? applyWrites(nodeToPods, creates, deletes, deletedPods)
      : nodeToPods;
    statusPods = afterManage;
    if (
      (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' &&
      (harness || manageCreates + manageDeletes === 0)
    ) {
      try {
        const ru = rollingUpdate({ ds, nodes, eligibility, nodeToPods: afterManage, hash, now });
        rollingUpdateRan = true;
        const ruCreates = ru.createOnNodes.map((c): PodCreate => ({
          node: c.node,
          revisionHash: hash,
          source: 'rollingUpdate',
          reason: c.reason,
          pod: factory(c.node),
        }));
        creates.push(...ruCreates);
        for (const d of ru.deletePods) addDelete(d.pod, d.node, d.reason, d.source);
        if (ru.requeueAt !== null)
          requeueAfterMs = minDelay(requeueAfterMs, Math.max(1, ru.requeueAt - now));
        if (harness)
          statusPods = applyWrites(
            afterManage,
            ruCreates,
            deletes.slice(manageDeletes),
            deletedPods.slice(manageDeletes),
          );
      } catch (e) {
        error = `rolling update failed: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    if (error === undefined) {
      const gone = new Set(deletedPods);
      const livePods =
        harness && gone.size > 0 ? claimedPods.filter((p) => !gone.has(p)) : claimedPods;
      cleanup = cleanupHistory(ds, hist.old, livePods);
    }
  }
  if (!harness) statusPods = nodeToPods;

  // When status reads the same map as the decisions, its per-node findings are shared.
  const nodeState = statusPods === nodeToPods ? new Uint8Array(nodes.length) : undefined;
  const status = computeStatus({
    ds,
    nodes,
    eligibility,
    eligibilityAt,
    nodeToPods: statusPods,
    hash,
    now,
    updateObservedGen: satisfied,
    ...(nodeState ? { nodeState } : {}),
  });
  requeueAfterMs = minDelay(requeueAfterMs, statusRequeueAfterMs(ds, status));
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
  return {
    dsKey: objectKey(ds),
    skip: null,
    nodes: buildNodeDecisions({
      ds,
      nodes,
      eligibility,
      eligibilityAt,
      nodeToPods,
      hash,
      creates,
      deletes,
      notes,
      ...(nodeState ? { nodeState } : {}),
    }),
    claims: [...podClaim.actions, ...revClaim.actions],
    history,
    creates,
    deletes,
    status,
    statusChanged: statusChanged(ds, status),
    events,
    requeueAfterMs,
    backoffUpdates,
    rollingUpdateRan,
    ...(error === undefined ? {} : { error }),
  };
}
