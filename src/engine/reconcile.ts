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
  type DaemonSet,
  type DaemonSetStatus,
  type Pod,
} from '../api/types.js';
import { allowsSurge } from './budget.js';
import { claimObjects } from './claim.js';
import { buildNodeDecisions } from './decisions.js';
import { makeRolloutEligibilityChecker, type Eligibility } from './eligibility.js';
import { cleanupHistory, constructHistory } from './history.js';
import { DEFAULT_BACKOFF, manage } from './manage.js';
import { requeueDelay } from './nodeclass.js';
import { buildNodeToDaemonPods, type NodePodsMap } from './nodepods.js';
import { templateGenerationOf } from '../api/pod.js';
import { podDelete } from './podwrites.js';
import { podCreator, type PodCreator } from './rolloutcreates.js';
import { heldScan, rollingUpdate } from './rollingupdate.js';
import { releaseTest } from './rolloutmodes.js';
import { decideRollout, type RolloutDecision } from './rolloutpolicy.js';
import { rolloutStatus } from './rolloutprogress.js';
import { storedNativeRecord } from './rolloutrecord.js';
import type { UpdatePolicy } from './updatepolicy.js';
import {
  computeStatus,
  statusChanged,
  statusRequeueAfterMs,
  type StatusCounters,
} from './status.js';
import type {
  HistoryPlan,
  NodeDecision,
  Plan,
  PlanEvent,
  PodCreate,
  PodDelete,
  PodRelabel,
  RevisionRef,
  RolloutSummary,
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

/** The node→pods map once this plan's creates and deletes are observed (the harness model). */
function applyWrites(
  map: NodePodsMap,
  creates: readonly PodCreate[],
  deleted: readonly Pod[],
): NodePodsMap {
  const next: NodePodsMap = new Map(map);
  if (deleted.length > 0) {
    const gone = new Set<Pod>(deleted);
    const touched = new Set<string>();
    for (const [node, list] of map) if (list.some((p) => gone.has(p))) touched.add(node);
    for (const node of touched) {
      const kept = map.get(node)!.filter((p) => !gone.has(p));
      if (kept.length > 0) next.set(node, kept);
      else next.delete(node);
    }
  }
  for (const c of creates) next.set(c.node, [...(next.get(c.node) ?? []), c.pod]);
  return next;
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

/** The sooner of two requeue delays, null meaning none. */
export const minDelay = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.min(a, b);

/** What the steps of one reconcile share once claims, history and eligibility are known. */
interface Context {
  readonly snapshot: Snapshot;
  readonly harness: boolean;
  /** The revision the rollout drives nodes to (the update revision unless aborted). */
  readonly hash: string;
  /** The update revision's hash (the status counters count its pods). */
  readonly updateHash: string;
  readonly rollout: RolloutDecision;
  readonly eligibility: Map<string, Eligibility>;
  readonly eligibilityAt: Eligibility[];
  /** Claimed pods by node, as the snapshot shows them. */
  readonly nodeToPods: NodePodsMap;
}

/** The pod writes of manage and the rolling update, and what they leave behind. */
interface PodWrites {
  readonly creates: PodCreate[];
  readonly deletes: PodDelete[];
  /** The deleted pods, in the order of `deletes`. */
  readonly deletedPods: Pod[];
  events: PlanEvent[];
  notes: ReadonlyMap<string, string>;
  backoffUpdates: Plan['backoffUpdates'];
  requeueAfterMs: number | null;
  rollingUpdateRan: boolean;
  error: string | undefined;
  /** The node→pods map status reads (harness: after the writes; live: the snapshot's). */
  statusPods: NodePodsMap;
}

function eligibilityOf(
  snapshot: Snapshot,
  suspend: string | undefined,
): Pick<Context, 'eligibility' | 'eligibilityAt'> {
  const { ds, nodes } = snapshot;
  const checker = makeRolloutEligibilityChecker(ds, suspend);
  const eligibility = new Map<string, Eligibility>();
  const eligibilityAt: Eligibility[] = new Array<Eligibility>(nodes.length);
  for (let i = 0; i < nodes.length; i++) {
    const e = checker(nodes[i]!);
    eligibilityAt[i] = e;
    eligibility.set(nodes[i]!.metadata?.name ?? '', e);
  }
  return { eligibility, eligibilityAt };
}

function addDelete(
  w: PodWrites,
  pod: Pod,
  node: string,
  reason: string,
  source: PodDelete['source'],
): void {
  w.deletedPods.push(pod);
  w.deletes.push(podDelete(pod, node, source, reason));
}

/**
 * Whether the rolling update runs in this reconcile (§4 step 7.2): only with the RollingUpdate
 * strategy, and live only once manage's writes are observed (it planned none).
 */
export function rollingUpdateRuns(ds: DaemonSet, harness: boolean, manageWrites: number): boolean {
  const isRollingUpdate = (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  return isRollingUpdate && (harness || manageWrites === 0);
}

/** §4 step 7: manage, then the rolling update when the mode and manage's writes allow it. */
function planPodWrites(ctx: Context): PodWrites {
  const { ds, nodes, now } = ctx.snapshot;
  const m = manage({
    ds,
    nodes,
    eligibility: ctx.eligibility,
    eligibilityAt: ctx.eligibilityAt,
    nodeToPods: ctx.nodeToPods,
    hash: ctx.hash,
    now,
    surge: allowsSurge(ds),
    backoff: ctx.snapshot.backoff,
    backoffConfig: ctx.snapshot.backoffConfig ?? DEFAULT_BACKOFF,
  });
  // The pod body is built on first read: a sync issues at most burstReplicas creates, and building
  // bodies for every missing node on 10k nodes cost more than the rest of the sync (B1 profile).
  // A node outside the release set of a held rollout gets the stable revision (pinning).
  const create: PodCreator = podCreator(ds, ctx.rollout);
  const released = manageReleaseTest(ctx);
  const w: PodWrites = {
    creates: m.creates.map((c) => create(c.node, c.reason, 'manage', released(c.node))),
    deletes: [],
    deletedPods: [],
    events: m.events,
    notes: m.notes,
    backoffUpdates: m.backoffUpdates,
    requeueAfterMs: m.requeueAfterMs,
    rollingUpdateRan: false,
    error: undefined,
    statusPods: ctx.nodeToPods,
  };
  for (const d of m.deletes) addDelete(w, d.pod, d.node, d.reason, 'manage');
  const manageWrites = w.creates.length + w.deletes.length;
  const afterManage = ctx.harness
    ? applyWrites(ctx.nodeToPods, w.creates, w.deletedPods)
    : ctx.nodeToPods;
  w.statusPods = afterManage;
  if (!rollingUpdateRuns(ds, ctx.harness, manageWrites)) return w;
  try {
    const ru = rollingUpdate({
      ds,
      nodes,
      eligibility: ctx.eligibility,
      nodeToPods: afterManage,
      hash: ctx.hash,
      generation: targetGeneration(ctx),
      now,
      policy: ctx.rollout.policy,
    });
    w.rollingUpdateRan = true;
    // The rolling update creates only on released nodes.
    const ruCreates = ru.createOnNodes.map((c) => create(c.node, c.reason, 'rollingUpdate', true));
    const firstRuDelete = w.deletes.length;
    w.creates.push(...ruCreates);
    for (const d of ru.deletePods) addDelete(w, d.pod, d.node, d.reason, d.source);
    w.requeueAfterMs = minDelay(w.requeueAfterMs, requeueDelay(ru.requeueAt, now));
    if (ctx.harness)
      w.statusPods = applyWrites(afterManage, ruCreates, w.deletedPods.slice(firstRuDelete));
  } catch (e) {
    w.error = `rolling update failed: ${e instanceof Error ? e.message : String(e)}`;
  }
  return w;
}

/** IsPodUpdated's generation fallback for the target: only when it is the template's revision. */
function targetGeneration(ctx: Context): string | undefined {
  return ctx.hash === ctx.updateHash ? templateGenerationOf(ctx.snapshot.ds) : undefined;
}

const ALL_RELEASED = (): boolean => true;

/**
 * The release test manage's creates are pinned by (rolloutcreates.ts): read only when the
 * rollout holds nodes and has a stable revision to pin them to, over the snapshot's pods.
 */
function manageReleaseTest(ctx: Context): (node: string) => boolean {
  const r = ctx.rollout;
  if (r.pin === undefined || r.hold === undefined) return ALL_RELEASED;
  let test: ((node: string) => boolean) | undefined;
  return (node) => {
    if (test === undefined) {
      const { nodes, now } = ctx.snapshot;
      let desired = 0;
      for (const e of ctx.eligibilityAt) if (e.shouldRun) desired++;
      const cx = {
        hash: ctx.hash,
        generation: targetGeneration(ctx),
        minReadySeconds: ctx.snapshot.ds.spec?.minReadySeconds ?? 0,
        now,
      };
      const input = { nodes, eligibility: ctx.eligibility, nodeToPods: ctx.nodeToPods };
      test = releaseTest(r.policy, { desired, held: () => heldScan(input, cx) });
    }
    return test(node);
  };
}

/** The writes of a sync that only looks (expectations unsatisfied, §4 step 6). */
function noPodWrites(ctx: Context): PodWrites {
  return {
    creates: [],
    deletes: [],
    deletedPods: [],
    events: [],
    notes: new Map(),
    backoffUpdates: new Map(),
    requeueAfterMs: null,
    rollingUpdateRan: false,
    error: undefined,
    statusPods: ctx.nodeToPods,
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
  const rollout = decideRollout({
    ds,
    revisions: revClaim.claimed,
    update: hist.current,
    pods: claimedPods,
    now,
    policy: options.policy,
    plain: options.plain ?? false,
  });
  const ctx: Context = {
    snapshot,
    harness,
    hash: rollout.target.hash,
    updateHash: hist.current.hash,
    rollout,
    ...eligibilityOf(snapshot, rollout.suspend),
    nodeToPods: buildNodeToDaemonPods(claimedPods, false),
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
  const counted = computeStatus({
    ...common,
    nodeToPods: statusPods,
    now,
    updateObservedGen: satisfied,
    ...(nodeState ? { nodeState } : {}),
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
    ...(w.error === undefined ? {} : { error: w.error }),
  };
}

/** The seven counters of a computed status. */
export function countersOf(s: DaemonSetStatus): StatusCounters {
  return {
    desiredNumberScheduled: s.desiredNumberScheduled ?? 0,
    currentNumberScheduled: s.currentNumberScheduled ?? 0,
    numberMisscheduled: s.numberMisscheduled ?? 0,
    numberReady: s.numberReady ?? 0,
    numberAvailable: s.numberAvailable ?? 0,
    numberUnavailable: s.numberUnavailable ?? 0,
    updatedNumberScheduled: s.updatedNumberScheduled ?? 0,
  };
}

/** What a plan says about the rollout (plan, sim and logs show it); null without features. */
export function rolloutSummary(
  d: RolloutDecision,
  phase: RolloutSummary['phase'] | undefined,
): RolloutSummary | null {
  if (!d.features) return null;
  return {
    phase: phase ?? 'Rolling',
    updateRevision: d.update.name,
    stableRevision: d.stable?.ref.name,
    targetRevision: d.target.name,
    hold: d.hold,
    suspend: d.suspend,
    aborted: d.aborted,
    policy: d.policy.name,
  };
}
