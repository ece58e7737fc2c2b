/**
 * The pod writes of one reconcile (§4 step 7): manage, then the rolling update when the mode and
 * manage's writes allow it, every create built by the rollout's pod creator (pinning held nodes
 * to the stable revision, engine/rolloutcreates.ts). reconcile.ts calls it; the incremental
 * sync (controller/fastplan.ts) plans the same writes from its kept state with the same engine
 * functions.
 */
import { templateGenerationOf } from '../api/pod.js';
import type { DaemonSet, Pod } from '../api/types.js';
import { allowsSurge } from './budget.js';
import { makeRolloutEligibilityChecker, type Eligibility } from './eligibility.js';
import { DEFAULT_BACKOFF, manage } from './manage.js';
import { requeueDelay } from './nodeclass.js';
import type { NodePodsMap } from './nodepods.js';
import { podDelete } from './podwrites.js';
import { podCreator, type PodCreator } from './rolloutcreates.js';
import { heldScan, rollingUpdate } from './rollingupdate.js';
import { releaseTest } from './rolloutmodes.js';
import { rollingUpdateLeavesAlone } from './unavailability.js';
import { skipsImpaired } from '../api/rolloutspec.js';
import { budgetRemovals, type RemovalOutcome } from './removals.js';
import type { RolloutDecision } from './rolloutpolicy.js';
import { unionTimes } from './rolloutrecord.js';
import type { Plan, PlanEvent, PodCreate, PodDelete, Snapshot } from './types.js';

/** The sooner of two requeue delays, null meaning none. */
export const minDelay = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.min(a, b);

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

/** What the steps of one reconcile share once claims, history and eligibility are known. */
export interface PlanContext {
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
export interface PodWrites {
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
  /** The removal budget's outcome (a DaemonSet with spec.removalBudget only). */
  removal?: RemovalOutcome;
}

export function eligibilityOf(
  snapshot: Snapshot,
  suspend: string | undefined,
): Pick<PlanContext, 'eligibility' | 'eligibilityAt'> {
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
export function planPodWrites(ctx: PlanContext): PodWrites {
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
  const removal = removalsOf(ctx, m.deletes);
  if (removal !== undefined) {
    w.removal = removal;
    w.events = removal.events.length === 0 ? m.events : [...m.events, ...removal.events];
    w.requeueAfterMs = minDelay(w.requeueAfterMs, requeueDelay(removal.requeueAt, now));
  }
  for (const d of removal?.deletes ?? m.deletes) addDelete(w, d.pod, d.node, d.reason, 'manage');
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
      skip: rollingUpdateSkips(ctx, removal),
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

/** The removal budget over manage's deletes, when the DaemonSet has one (engine/removals.ts). */
function removalsOf(
  ctx: PlanContext,
  deletes: Parameters<typeof budgetRemovals>[0]['deletes'],
): RemovalOutcome | undefined {
  const budget = ctx.rollout.features ? ctx.rollout.spec.removalBudget : undefined;
  if (budget === undefined) return undefined;
  const { nodes, now } = ctx.snapshot;
  return budgetRemovals({
    budget,
    deletes,
    nodes,
    eligibilityAt: ctx.eligibilityAt,
    nodeToPods: ctx.nodeToPods,
    since: ctx.snapshot.removalSince ?? new Map(),
    recent: mergeTimes(ctx.rollout.record.removals, ctx.snapshot.removalRecent),
    now,
  });
}

/** The stored removal times and the ones kept in memory (rolloutrecord.unionTimes). */
function mergeTimes(a: readonly number[], b: readonly number[] | undefined): readonly number[] {
  return b === undefined || b.length === 0 ? a : unionTimes(a, b);
}

/**
 * The nodes the rolling update leaves alone: deferred removals, and impaired nodes under
 * RolloutOnly (their unavailable pods use no budget and they are not updated until they recover).
 */
function rollingUpdateSkips(
  ctx: PlanContext,
  removal: RemovalOutcome | undefined,
): ReadonlySet<string> | undefined {
  const skipImpaired = ctx.rollout.features && skipsImpaired(ctx.rollout.spec);
  if (!skipImpaired) return removal?.deferred.size ? removal.deferred : undefined;
  const out = new Set(removal?.deferred ?? []);
  for (const node of ctx.snapshot.nodes)
    if (rollingUpdateLeavesAlone(true, node)) out.add(node.metadata?.name ?? '');
  return out;
}

/** IsPodUpdated's generation fallback for the target: only when it is the template's revision. */
function targetGeneration(ctx: PlanContext): string | undefined {
  return ctx.hash === ctx.updateHash ? templateGenerationOf(ctx.snapshot.ds) : undefined;
}

const ALL_RELEASED = (): boolean => true;

/**
 * The release test manage's creates are pinned by (rolloutcreates.ts): read only when the
 * rollout holds nodes and has a stable revision to pin them to, over the snapshot's pods.
 */
export function manageReleaseTest(ctx: PlanContext): (node: string) => boolean {
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
export function noPodWrites(ctx: PlanContext): PodWrites {
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
