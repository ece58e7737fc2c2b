/**
 * Per-DaemonSet state kept between syncs, so that a sync costs what changed since the last one
 * rather than the size of the cluster (issue 6, B3 and B5). Node by node it keeps what the full
 * reconcile derives from a snapshot: the claimed pods mapped to each node, each node's
 * eligibility, and the node's classes as the engine defines them (engine/nodeclass.ts: its share
 * of the status counters, its rolling-update class, and manage's decisions there, from
 * engine/manage.ts manageNode). Their sums are the engine's tallies (engine/tallies.ts), which
 * the engine's rules read (engine/rolloutmodes.ts, engine/status.ts). This file decides nothing:
 * it calls the engine per node and keeps the answers current.
 *
 * It learns what changed from the stores' change logs (the node store's log, the pod store's log
 * for this DaemonSet's UID), so it needs no hook in the event handlers and cannot miss a write
 * the caches saw; a log that no longer reaches back rebuilds it. A node whose outcome the state
 * cannot carry (failed pods and their backoff, order-dependent reasons) is recorded with a
 * DeclineReason, and the sync goes to the full reconcile (fastplan.ts).
 */
import { getControllerOf, getTargetNodeName, isPodTerminal } from '../api/pod.js';
import type { Selector } from '../api/labels.js';
import type { DaemonSet, Node, Pod } from '../api/types.js';
import type { Eligibility, EligibilityChecker } from '../engine/eligibility.js';
import {
  DEFAULT_BACKOFF,
  manageDependsOnPodOrder,
  manageIsQuiet,
  manageNode,
  MISSING_POD_REASON,
  type CreateDecision,
  type DeleteDecision,
  type ManageNodeInput,
} from '../engine/manage.js';
import {
  changesWithTime,
  nodeRolloutClass,
  R_MASK,
  R_OLD_AVAILABLE,
  S_DESIRED,
  S_UPDATED,
  statusShare,
  impairmentShare,
  UNVISITED_NODE_CLASS,
  type ClassContext,
  type RolloutClass,
} from '../engine/nodeclass.js';
import { inNodePodsMap } from '../engine/nodepods.js';
import type { RolloutNode } from '../engine/rollout/inputs.js';
import { layoutNode } from '../engine/rollout/layout.js';
import { OrderedNames } from '../engine/orderednames.js';
import {
  emptyStatusTally,
  RolloutTally,
  tallyStatus,
  type StatusTally,
} from '../engine/tallies.js';
import { rollingUpdateLeavesAlone } from '../engine/unavailability.js';
import { INDEX_CONTROLLER_UID } from './informer.js';
import { KeptSteps } from './syncsteps.js';
import { storeKey, type ReadonlyStore } from './store.js';
import type { DeclineReason } from './syncpath.js';

/** What a node's state depends on besides the node and its pods; a change means a rebuild. */
export interface SyncShape {
  readonly uid: string;
  /** The DaemonSet as it was when the state was built (manage reads its spec). */
  readonly ds: DaemonSet;
  readonly checker: EligibilityChecker;
  readonly selector: Selector;
  /**
   * The target revision's hash (the update revision's, or the stable one's while an aborted
   * rollout goes back) and its template generation (IsPodUpdated's fallback; undefined then).
   */
  readonly hash: string;
  readonly generation: string | undefined;
  /** The update revision's hash and generation when they differ from the target's (statusShare). */
  readonly statusHash?: string;
  readonly statusGeneration?: string | undefined;
  readonly minReadySeconds: number;
  /** AllowsSurge(ds): manage's mode (§5.2). */
  readonly surge: boolean;
  /**
   * The DaemonSet has canary, waves or health gates (issue 12): keep what the steps stage reads
   * (the unsettled set, the layout version; engine/rollout/stage.ts).
   */
  readonly steps?: boolean;
  /**
   * unavailableAccounting RolloutOnly (issue 12): the rolling update leaves impaired listed nodes
   * alone, so they are kept out of the rolling update's tally (engine/podplan.ts's skip set).
   */
  readonly skipImpaired?: boolean;
}

/** Manage's writes on one node (engine manageNode), when they are not the plain missing pod. */
export interface NodeWrites {
  readonly creates: readonly CreateDecision[];
  readonly deletes: readonly DeleteDecision[];
}

/** One node name's state: the node (absent when it left but pods still map to it) and its pods. */
interface Entry {
  node: Node | undefined;
  elig: Eligibility | undefined;
  /** Claimed pods targeting this node, terminal pods being deleted included (filtered on use). */
  pods: Pod[];
  /** The node's status share (S_*) and rolling-update class bits (R_*), one integer (B4). */
  c: number;
}

/** The node a claimed pod maps to in the node→pods map (nodeName, else the pinned affinity). */
function targetNode(pod: Pod): string | undefined {
  const bound = pod.spec?.nodeName ?? '';
  if (bound !== '') return bound;
  const t = getTargetNodeName(pod);
  return 'node' in t ? t.node : undefined;
}

/** Incrementally maintained node→pods map, eligibility and engine tallies of one DaemonSet. */
export class DaemonSetSyncState {
  /** The status counters' tally (engine/tallies.ts). */
  readonly totals: StatusTally = emptyStatusTally();
  /** The rolling update's tally (engine/tallies.ts). */
  readonly rollout = new RolloutTally();
  /** Node names where manage creates the plain missing pod (kept apart: B1 has 10k of them). */
  readonly missing = new Set<string>();
  /** Node names with other manage writes, and those writes. */
  readonly manageWrites = new Map<string, NodeWrites>();
  /** Node names whose outcome needs the full reconcile, with the reason. */
  readonly complex = new Map<string, DeclineReason>();
  /** Owned pods the selector no longer matches: the full reconcile releases them. */
  readonly mismatched = new Set<string>();
  /** Node names with a pod that is Ready but not yet available (minReadySeconds): time changes them. */
  readonly pending = new Set<string>();
  /**
   * Candidates of the rolling update's tally that count as updated (S_UPDATED: their oldest pod,
   * being deleted, is at the update revision), for releaseTest (ReleaseView.updatedCandidates).
   */
  updatedCandidates = 0;
  /** With shape.skipImpaired: the impaired listed nodes, kept out of the rolling update's tally. */
  readonly skipped = new Set<string>();
  /** With shape.steps: what the steps stage reads, kept as nodes are recomputed (syncsteps.ts). */
  readonly steps: KeptSteps | undefined;
  private readonly entries = new Map<string, Entry>();
  /**
   * Claimed pods by key. The node a pod was filed under is filedUnder(pod), a function of the
   * (immutable) cached pod and this state's fixed shape, so it is not stored (one object per
   * pod less).
   */
  private readonly pods = new Map<string, Pod>();
  /**
   * The nodes that should run a pod and do not count as updated (no S_UPDATED), ordered, once a
   * policy that holds some back asked (lazy): the release test counts updated nodes first.
   */
  private notUpdated: OrderedNames | undefined;
  private readonly manageInput: ManageNodeInput;
  private nodeSeq = 0;
  private podSeq = 0;
  private lastNow = Number.NEGATIVE_INFINITY;
  /** The last class context built (classContext). */
  private cx: ClassContext | undefined;

  constructor(
    readonly shape: SyncShape,
    private readonly nodes: ReadonlyStore<Node>,
    private readonly podStore: ReadonlyStore<Pod>,
  ) {
    this.steps = shape.steps === true ? new KeptSteps() : undefined;
    this.manageInput = {
      ds: shape.ds,
      hash: shape.hash,
      now: 0,
      surge: shape.surge,
      // Failed pods are declined before manage is asked (terminalPod), so no backoff is read.
      backoff: new Map(),
      backoffConfig: DEFAULT_BACKOFF,
    };
    this.rebuild();
  }

  /** Reads every node and owned pod; used at creation and when a change log was truncated. */
  private rebuild(): void {
    this.entries.clear();
    this.pods.clear();
    this.missing.clear();
    this.manageWrites.clear();
    this.complex.clear();
    this.mismatched.clear();
    this.pending.clear();
    this.skipped.clear();
    this.steps?.reset();
    this.rollout.clear();
    this.updatedCandidates = 0;
    this.notUpdated = undefined;
    Object.assign(this.totals, emptyStatusTally());
    this.nodeSeq = this.nodes.changeSeq();
    this.podSeq = this.podStore.indexChangeSeq(this.shape.uid);
    const dirty = new Set<string>();
    for (const key of this.nodes.keys()) dirty.add(key);
    for (const pod of this.podStore.byIndex(INDEX_CONTROLLER_UID, this.shape.uid)) {
      const node = this.file(pod);
      if (node !== undefined) dirty.add(node);
    }
    for (const name of dirty) this.recompute(name, this.lastNow);
  }

  /** The node name an owned pod is filed under; undefined when mismatched or unbound. */
  private filedUnder(pod: Pod): string | undefined {
    return this.shape.selector.matches(pod.metadata?.labels) ? targetNode(pod) : undefined;
  }

  /**
   * Files an owned pod under its node (or as mismatched); returns the node it affects. `key` is
   * the pod's store key; advance passes the change log's string, so no key is built per pod
   * write and the map shares the string the store and its log already hold (B3).
   */
  private file(pod: Pod, key: string = storeKey(pod)): string | undefined {
    const meta = pod.metadata;
    this.pods.set(key, pod);
    if (!this.shape.selector.matches(meta?.labels)) {
      this.mismatched.add(key);
      return undefined;
    }
    const node = targetNode(pod);
    if (node === undefined) return undefined;
    const e = this.entries.get(node);
    // An array literal is allocated at its length; a push onto [] reserves 17 slots (B4 measures
    // this state per node per DaemonSet).
    if (e === undefined)
      this.entries.set(node, { node: undefined, elig: undefined, pods: [pod], c: 0 });
    else if (e.pods.length === 0) e.pods = [pod];
    else e.pods.push(pod);
    return node;
  }

  /**
   * Replaces a filed pod by its update when both are this DaemonSet's and file under the same
   * node, and returns that node; undefined when the update moves it (then it is unfiled and
   * filed again).
   */
  private replaceInPlace(key: string, had: Pod, cur: Pod): string | undefined {
    const node = this.filedUnder(had);
    if (node === undefined) return undefined;
    const hm = had.metadata;
    const cm = cur.metadata;
    // The controller and the node a pod files under are read from its owner references, labels
    // and spec; a status update keeps those objects (trimPod shares equal ones), so they hold.
    if (
      hm?.ownerReferences !== cm?.ownerReferences ||
      hm?.labels !== cm?.labels ||
      had.spec !== cur.spec
    ) {
      if (getControllerOf(cur)?.uid !== this.shape.uid) return undefined;
      if (this.filedUnder(cur) !== node) return undefined;
    }
    const e = this.entries.get(node);
    const at = e === undefined ? -1 : e.pods.indexOf(had);
    if (at < 0) return undefined;
    e!.pods[at] = cur;
    this.pods.set(key, cur);
    return node;
  }

  /** Removes a filed pod; returns the node it affected. */
  private unfile(key: string): string | undefined {
    const had = this.pods.get(key);
    if (had === undefined) return undefined;
    this.pods.delete(key);
    this.mismatched.delete(key);
    const node = this.filedUnder(had);
    if (node === undefined) return undefined;
    const e = this.entries.get(node);
    if (e !== undefined) e.pods = e.pods.filter((p) => p !== had);
    return node;
  }

  /**
   * Catches up with the caches at time now: applies the node and pod writes since the last call,
   * and re-evaluates the nodes whose result depends on time. Cost: O(writes since then + pending).
   */
  advance(now: number): void {
    const nodeChanges = this.nodes.changesSince(this.nodeSeq);
    const podChanges = this.podStore.indexChangesSince(this.shape.uid, this.podSeq);
    // A clock that went back could make an available pod unavailable again, which the pending
    // set does not track: read everything again (rare; wall clocks only).
    if (nodeChanges === undefined || podChanges === undefined || now < this.lastNow) {
      this.lastNow = now;
      this.rebuild();
      return;
    }
    this.nodeSeq = this.nodes.changeSeq();
    this.podSeq = this.podStore.indexChangeSeq(this.shape.uid);
    const dirty = new Set<string>(nodeChanges);
    for (const key of podChanges) {
      const had = this.pods.get(key);
      const cur = this.podStore.get(key);
      if (had !== undefined && had === cur) continue;
      // An update that keeps the pod on its node keeps its place among the node's pods, as the
      // store's index does (the full reconcile reads the pods in that order).
      if (had !== undefined && cur !== undefined) {
        const node = this.replaceInPlace(key, had, cur);
        if (node !== undefined) {
          dirty.add(node);
          continue;
        }
      }
      const before = this.unfile(key);
      if (before !== undefined) dirty.add(before);
      // The log holds the pods this DaemonSet controls or controlled (or every pod, for a store
      // without the per-owner log): only those it controls now are claimed here (orphans are
      // looked at by the caller on every sync; another controller's are ignored).
      if (cur === undefined || getControllerOf(cur)?.uid !== this.shape.uid) continue;
      const after = this.file(cur, key);
      if (after !== undefined) dirty.add(after);
    }
    // minReadySeconds: a Ready pod becomes available with time alone.
    if (now !== this.lastNow) for (const name of this.pending) dirty.add(name);
    this.lastNow = now;
    for (const name of dirty) this.recompute(name, now);
  }

  /** The class context at time now (engine/nodeclass.ts); one object per time, not per node. */
  classContext(now: number): ClassContext {
    if (this.cx?.now === now) return this.cx;
    const { hash, generation, minReadySeconds, statusHash, statusGeneration } = this.shape;
    this.cx =
      statusHash === undefined
        ? { hash, generation, minReadySeconds, now }
        : { hash, generation, minReadySeconds, now, statusHash, statusGeneration };
    return this.cx;
  }

  /** Recomputes one node name's eligibility and classes, replacing its old share of the tallies. */
  private recompute(name: string, now: number): void {
    this.steps?.counts.touch(name);
    let e = this.entries.get(name);
    const node = this.nodes.get(name);
    if (e === undefined) {
      if (node === undefined) return;
      e = { node: undefined, elig: undefined, pods: [], c: 0 };
      this.entries.set(name, e);
    }
    // The store replaces a node object on every update, so identity says "unchanged".
    const wasNode = e.node;
    const wasRun = e.elig?.shouldRun ?? false;
    if (node === undefined) e.elig = undefined;
    else if (e.node !== node || e.elig === undefined) e.elig = this.shape.checker(node);
    e.node = node;
    this.steps?.nodeSeen(wasNode, wasRun, node, e.elig?.shouldRun ?? false);
    tallyStatus(this.totals, e.c, -1);
    if (!this.skipped.delete(name)) {
      this.rollout.drop(name, e.c & R_MASK);
      if (updatedCandidate(e.c)) this.updatedCandidates--;
    }
    this.missing.delete(name);
    this.manageWrites.delete(name);
    this.complex.delete(name);
    this.pending.delete(name);
    this.steps?.unsettled.delete(name);
    const wasHeldable = (e.c & (S_DESIRED | S_UPDATED)) === S_DESIRED;
    e.c = 0;
    if (node === undefined && e.pods.length === 0) {
      this.entries.delete(name);
    } else {
      this.classify(name, e, now);
      tallyStatus(this.totals, e.c, 1);
      if (rollingUpdateLeavesAlone(this.shape.skipImpaired === true, e.node))
        this.skipped.add(name);
      else {
        this.rollout.add(name, e.c & R_MASK, e.elig?.shouldRun ?? false);
        if (updatedCandidate(e.c)) this.updatedCandidates++;
      }
    }
    const isHeldable = (e.c & (S_DESIRED | S_UPDATED)) === S_DESIRED;
    if (this.notUpdated !== undefined && isHeldable !== wasHeldable) {
      if (isHeldable) this.notUpdated.add(name);
      else this.notUpdated.delete(name);
    }
  }

  /**
   * The engine's classes of one node: its status share and rolling-update class, and manage's
   * writes there (manageNode), or the reason the state cannot carry them.
   */
  private classify(name: string, e: Entry, now: number): void {
    const cx = this.classContext(now);
    // Most nodes hold only pods of the map: no copy then (B3: one recompute per pod write).
    const pods = e.pods.every(inNodePodsMap) ? e.pods : e.pods.filter(inNodePodsMap);
    if (changesWithTime(pods, cx)) this.pending.add(name);
    this.steps?.classified(name, pods);
    const elig = e.elig;
    if (elig === undefined) {
      // Not in the node list: no status share; manage's other pass deletes unbound live pods
      // pinned here, in the map's order across nodes, which the state does not keep.
      for (const p of pods)
        if (!p.spec?.nodeName && !p.metadata?.deletionTimestamp)
          return void this.complex.set(name, 'unboundOnMissingNode');
      e.c = nodeRolloutClass(pods, undefined, cx).bits;
      return;
    }
    const share = statusShare(elig.shouldRun, pods, cx);
    // The impairment bits (issue 12's node-caused counts) follow the node object, which a node
    // update replaces, so the node's entry is recomputed then.
    e.c = share | impairmentShare(share, e.node) | nodeRolloutClass(pods, elig, cx).bits;
    // Failed and succeeded pods: manage's events and the failed-pod backoff are not kept here.
    for (const p of pods)
      if (!p.metadata?.deletionTimestamp && isPodTerminal(p))
        return void this.complex.set(name, 'terminalPod');
    if (manageDependsOnPodOrder(this.shape.surge, elig, pods))
      return void this.complex.set(name, 'terminatingPods');
    if (manageIsQuiet(elig, pods)) return;
    const m = manageNode({ ...this.manageInput, now }, name, elig, pods);
    if (m.creates.length === 0 && m.deletes.length === 0) return;
    if (
      m.creates.length === 1 &&
      m.deletes.length === 0 &&
      m.creates[0]!.reason === MISSING_POD_REASON
    )
      this.missing.add(name);
    else this.manageWrites.set(name, { creates: m.creates, deletes: m.deletes });
  }

  /** Why some node needs the full reconcile, or undefined when none does. */
  complexReason(): DeclineReason | undefined {
    for (const r of this.complex.values()) return r;
    return undefined;
  }

  /** The rolling-update class of a node as the engine computes it from the kept pods. */
  classOf(name: string, now: number): RolloutClass {
    const e = this.entries.get(name);
    if (e === undefined) return UNVISITED_NODE_CLASS;
    return nodeRolloutClass(e.pods.filter(inNodePodsMap), e.elig, this.classContext(now));
  }

  /** The claimed pods of a node as the full reconcile's node→pods map holds them. */
  /**
   * Every pod the kept state files for this DaemonSet (its controlled pods; those the selector no
   * longer matches too, which make the planner decline): what decideRollout infers a stable
   * revision from when none is recorded, as the full reconcile does from its claimed pods.
   */
  filedPods(): Pod[] {
    return [...this.pods.values()];
  }

  podsOn(name: string): readonly Pod[] | undefined {
    const e = this.entries.get(name);
    if (e === undefined) return undefined;
    // Most nodes hold only pods of the map: no copy then (the steps stage asks per open node).
    return e.pods.every(inNodePodsMap) ? e.pods : e.pods.filter(inNodePodsMap);
  }

  /** The nodes that should run a pod, as the steps stage reads them (any order). */
  eligibleNodes(): RolloutNode[] {
    const out: RolloutNode[] = [];
    for (const [name, e] of this.entries) {
      if (e.node === undefined || !(e.elig?.shouldRun ?? false)) continue;
      out.push(layoutNode(name, e.node));
    }
    return out;
  }

  /** NodeShouldRunDaemonPod's shouldRun for a node (false when it is not in the node list). */
  shouldRun(name: string): boolean {
    return this.entries.get(name)?.elig?.shouldRun ?? false;
  }

  /** True when the node is in the node list. */
  listed(name: string): boolean {
    return this.entries.get(name)?.node !== undefined;
  }

  /**
   * The nodes that should run a pod and do not count as updated, as an ordered set, built on the
   * first call and kept from then on (only a policy that holds nodes back reads it).
   */
  notUpdatedInOrder(): OrderedNames {
    if (this.notUpdated === undefined) {
      const set = new OrderedNames();
      for (const [name, e] of this.entries)
        if ((e.c & (S_DESIRED | S_UPDATED)) === S_DESIRED) set.add(name);
      this.notUpdated = set;
    }
    return this.notUpdated;
  }
}

/** A node whose classes make it a rolling-update candidate that counts as updated. */
function updatedCandidate(c: number): boolean {
  return (c & S_UPDATED) !== 0 && (c & R_OLD_AVAILABLE) !== 0 && (c & S_DESIRED) !== 0;
}
