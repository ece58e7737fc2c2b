/**
 * Per-DaemonSet state kept between syncs, so that a sync costs what changed since the last one
 * rather than the size of the cluster (issue 6, B3 and B5). It mirrors, node by node, what the
 * full reconcile derives from a snapshot: the claimed pods mapped to each node, each node's
 * eligibility, the node's share of the status counters, and whether the node is "simple" (its
 * outcome in manage and the rolling update is known without looking at any other node).
 *
 * It learns what changed from the stores' change logs (the node store's log, the pod store's log
 * for this DaemonSet's UID), so it needs no hook in the event handlers and cannot miss a write
 * the caches saw; a log that no longer reaches back rebuilds it. It never decides anything a full
 * reconcile would not: fastplan.ts builds a Plan from it only when every node is simple, and
 * falls back to reconcile() otherwise; verification mode compares the two on every sync.
 */
import { getControllerOf, getTargetNodeName, isPodAvailable, isPodReady } from '../api/pod.js';
import { compareOldestFirst, isPodTerminal, isPodUpdated, podReadySince } from '../api/pod.js';
import type { Selector } from '../api/labels.js';
import { CONTROLLER_REVISION_HASH_LABEL, type Node, type Pod } from '../api/types.js';
import type { Eligibility, EligibilityChecker } from '../engine/eligibility.js';
import {
  R_AVAILABLE,
  R_LEFT_OLD,
  R_MANAGE_CREATE,
  R_MANAGE_DELETE,
  R_OLD_AVAILABLE,
  R_OLD_UNAVAILABLE,
  R_SURGE,
  R_UNAVAILABLE,
  RolloutIndex,
} from './fastrollout.js';
import { INDEX_CONTROLLER_UID } from './informer.js';
import type { ReadonlyStore } from './store.js';
import type { DeclineReason } from './syncpath.js';

/** What a node's state depends on besides the node and its pods; a change means a rebuild. */
export interface SyncShape {
  readonly uid: string;
  readonly checker: EligibilityChecker;
  readonly selector: Selector;
  /** The current revision's hash and the template generation (IsPodUpdated). */
  readonly hash: string;
  readonly generation: string | undefined;
  readonly minReadySeconds: number;
  /** AllowsSurge(ds): manage's mode (§5.2). */
  readonly surge: boolean;
}

/** The status counters of §9.1 without numberUnavailable (which is desired − available). */
export interface Counters {
  desired: number;
  current: number;
  misscheduled: number;
  ready: number;
  available: number;
  updated: number;
}

/** One node name's state: the node (absent when it left but pods still map to it) and its pods. */
interface Entry {
  node: Node | undefined;
  elig: Eligibility | undefined;
  /** Claimed pods targeting this node, terminal pods being deleted included (filtered on use). */
  pods: Pod[];
  /**
   * This node's share of the counters, as last computed: C_* bits (each counter is 0 or 1), and
   * its part in the rolling update: R_* bits (one small integer, no field more per node: B4).
   */
  c: number;
  /** The one pod the rolling update would wait on becoming available, when Ready but not yet. */
  pending: Pod | undefined;
}

const C_DESIRED = 1;
const C_CURRENT = 2;
const C_MISSCHEDULED = 4;
const C_READY = 8;
const C_AVAILABLE = 16;
const C_UPDATED = 32;

const zero = (): Counters => ({
  desired: 0,
  current: 0,
  misscheduled: 0,
  ready: 0,
  available: 0,
  updated: 0,
});

function addInto(into: Counters, c: number, sign: 1 | -1): void {
  if (c === 0) return;
  if (c & C_DESIRED) into.desired += sign;
  if (c & C_CURRENT) into.current += sign;
  if (c & C_MISSCHEDULED) into.misscheduled += sign;
  if (c & C_READY) into.ready += sign;
  if (c & C_AVAILABLE) into.available += sign;
  if (c & C_UPDATED) into.updated += sign;
}

/** The node a claimed pod maps to in the node→pods map (nodeName, else the pinned affinity). */
function targetNode(pod: Pod): string | undefined {
  const bound = pod.spec?.nodeName ?? '';
  if (bound !== '') return bound;
  const t = getTargetNodeName(pod);
  return 'node' in t ? t.node : undefined;
}

/** Incrementally maintained node→pods map, eligibility and status counters of one DaemonSet. */
export class DaemonSetSyncState {
  readonly totals: Counters = zero();
  /** Node names that should run a pod and have none: manage creates there, in node order. */
  readonly missing = new Set<string>();
  /** Node names whose outcome needs the full reconcile (see classify), with the reason. */
  readonly complex = new Map<string, DeclineReason>();
  /** Owned pods the selector no longer matches: the full reconcile releases them. */
  readonly mismatched = new Set<string>();
  /** Node names with a pod that is Ready but not yet available (minReadySeconds): time changes them. */
  readonly pending = new Set<string>();
  /** The rolling update's counts and node sets (fastrollout.ts). */
  readonly rollout = new RolloutIndex();
  private readonly entries = new Map<string, Entry>();
  /**
   * Claimed pods by key. The node a pod was filed under is filedUnder(pod), a function of the
   * (immutable) cached pod and this state's fixed shape, so it is not stored (one object per
   * pod less).
   */
  private readonly pods = new Map<string, Pod>();
  private nodeSeq = 0;
  private podSeq = 0;
  private lastNow = Number.NEGATIVE_INFINITY;

  constructor(
    readonly shape: SyncShape,
    private readonly nodes: ReadonlyStore<Node>,
    private readonly podStore: ReadonlyStore<Pod>,
  ) {
    this.rebuild();
  }

  /** Reads every node and owned pod; used at creation and when a change log was truncated. */
  private rebuild(): void {
    this.entries.clear();
    this.pods.clear();
    this.missing.clear();
    this.complex.clear();
    this.mismatched.clear();
    this.pending.clear();
    this.rollout.clear();
    Object.assign(this.totals, zero());
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

  /** Files an owned pod under its node (or as mismatched); returns the node it affects. */
  private file(pod: Pod): string | undefined {
    const meta = pod.metadata;
    const key = `${meta?.namespace ?? ''}/${meta?.name ?? ''}`;
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
      this.entries.set(node, {
        node: undefined,
        elig: undefined,
        pods: [pod],
        c: 0,
        pending: undefined,
      });
    else if (e.pods.length === 0) e.pods = [pod];
    else e.pods.push(pod);
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
      const before = this.unfile(key);
      if (before !== undefined) dirty.add(before);
      // The log holds the pods this DaemonSet controls or controlled (or every pod, for a store
      // without the per-owner log): only those it controls now are claimed here (orphans are
      // looked at by the caller on every sync; another controller's are ignored).
      if (cur === undefined || getControllerOf(cur)?.uid !== this.shape.uid) continue;
      const after = this.file(cur);
      if (after !== undefined) dirty.add(after);
    }
    // minReadySeconds: a Ready pod becomes available with time alone.
    if (now !== this.lastNow) for (const name of this.pending) dirty.add(name);
    this.lastNow = now;
    for (const name of dirty) this.recompute(name, now);
  }

  /** The pods the rolling update would wait on (Ready, not yet available), for its requeue. */
  pendingPods(): Pod[] {
    const out: Pod[] = [];
    for (const name of this.pending) {
      const p = this.entries.get(name)?.pending;
      if (p !== undefined) out.push(p);
    }
    return out;
  }

  /** Recomputes one node name's eligibility, class and counters, replacing its old share. */
  private recompute(name: string, now: number): void {
    let e = this.entries.get(name);
    const node = this.nodes.get(name);
    if (e === undefined) {
      if (node === undefined) return;
      e = { node: undefined, elig: undefined, pods: [], c: 0, pending: undefined };
      this.entries.set(name, e);
    }
    // The store replaces a node object on every update, so identity says "unchanged".
    if (node === undefined) e.elig = undefined;
    else if (e.node !== node || e.elig === undefined) e.elig = this.shape.checker(node);
    e.node = node;
    addInto(this.totals, e.c, -1);
    this.rollout.drop(name, e.c);
    this.missing.delete(name);
    this.complex.delete(name);
    this.pending.delete(name);
    e.pending = undefined;
    e.c = 0;
    if (node === undefined && e.pods.length === 0) {
      this.entries.delete(name);
      return;
    }
    this.classify(name, e, now);
    addInto(this.totals, e.c, 1);
    this.rollout.add(name, e.c, e.elig?.shouldRun ?? false);
  }

  /**
   * Classifies one node for manage, the rolling update and status, or marks it complex (the
   * sync then goes to reconcile()). Handled: an existing node with no pods (manage creates when
   * it should run); an existing node where a pod may continue, with at most one live pod, or in
   * surge mode one new and one old (manage deletes the old one when it is not Ready or the new one
   * is available), besides any terminating pods, no live pod terminal; a node that left, whose
   * live pods are all bound. Complex: duplicates, failed or succeeded pods, pods on
   * nodes they may not continue on, a surge node that should run a pod with only terminating
   * pods, more than one (manage creates with a reason naming the first; one is kept).
   * Rollout counts follow rollingupdate.ts (classify, maxUnavailableMode, surgeMode) node by node.
   */
  private classify(name: string, e: Entry, now: number): void {
    const { hash, generation, minReadySeconds, surge } = this.shape;
    // The node→pods map leaves out terminal pods that are being deleted (§7).
    const pods = e.pods.filter((p) => !(p.metadata?.deletionTimestamp && isPodTerminal(p)));
    const elig = e.elig;
    if (pods.length === 0) {
      if (elig?.shouldRun) {
        // A rolling-update state with nothing running (an empty entry added for it).
        e.c = C_DESIRED | R_UNAVAILABLE;
        this.missing.add(name);
      }
      return;
    }
    let live = 0;
    let newPod: Pod | undefined;
    let oldPod: Pod | undefined;
    let ok = true;
    let terminal = false;
    let unbound = false;
    let waits = false;
    for (const p of pods) {
      if (minReadySeconds > 0 && this.waitsOn(p, now) !== undefined) waits = true;
      if (p.metadata?.deletionTimestamp) continue;
      live++;
      if (isPodTerminal(p)) terminal = true;
      if (!p.spec?.nodeName) unbound = true;
      if (isPodUpdated(p, hash, generation)) {
        if (newPod !== undefined) ok = false;
        newPod = p;
      } else {
        if (oldPod !== undefined) ok = false;
        oldPod = p;
      }
    }
    if (waits) this.pending.add(name);
    if (elig === undefined) {
      // Manage deletes unbound live pods pinned to a missing node. (An old pod there is a
      // candidate that should not run in maxUnavailable mode; surge mode fails, R_LEFT_OLD.)
      if (unbound) return void this.complex.set(name, 'unboundOnMissingNode');
    } else {
      if (!elig.shouldContinueRunning) return void this.complex.set(name, 'ineligibleNode');
      if (terminal) return void this.complex.set(name, 'terminalPod');
      if (live > 2) return void this.complex.set(name, 'duplicatePods');
      if (live === 2) {
        // Without surge manage deletes a duplicate; with it, one new and one old pod by the
        // revision label stay, and the rolling update must see them the same way.
        const label = (p: Pod | undefined): string | undefined =>
          p?.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
        if (!surge || !ok || label(newPod) !== hash || label(oldPod) === hash)
          return void this.complex.set(name, 'duplicatePods');
        if (!isPodReady(oldPod!) || isPodAvailable(newPod!, minReadySeconds, now))
          e.c |= R_MANAGE_DELETE;
      }
      // Surge manage creates beside terminating pods, with a reason that names the first in the
      // map's order: kept when there is only one (scenario 76), else not.
      if (live === 0 && surge && elig.shouldRun) {
        if (pods.length > 1) return void this.complex.set(name, 'terminatingPods');
        e.c |= R_MANAGE_CREATE;
      }
      // Status reads the oldest pod of the node (terminating ones included).
      let oldest = pods[0]!;
      for (let i = 1; i < pods.length; i++)
        if (compareOldestFirst(pods[i]!, oldest) < 0) oldest = pods[i]!;
      if (!elig.shouldRun) {
        e.c |= C_MISSCHEDULED;
      } else {
        e.c |= C_DESIRED | C_CURRENT;
        if (isPodReady(oldest)) {
          e.c |= C_READY;
          if (minReadySeconds <= 0 || isPodAvailable(oldest, minReadySeconds, now))
            e.c |= C_AVAILABLE;
        }
        if (isPodUpdated(oldest, hash, generation)) e.c |= C_UPDATED;
      }
    }
    // The rolling update's view of the node (it is in the node→pods map).
    if (!ok) {
      e.c |= R_UNAVAILABLE | R_SURGE;
      return;
    }
    const newAvailable = newPod !== undefined && isPodAvailable(newPod, minReadySeconds, now);
    const oldAvailable = oldPod !== undefined && isPodAvailable(oldPod, minReadySeconds, now);
    if (newPod !== undefined) e.pending = this.waitsOn(newPod, now);
    if ((oldPod === undefined) === (newPod === undefined)) e.c |= R_UNAVAILABLE;
    else if (newPod !== undefined ? !newAvailable : !oldAvailable) e.c |= R_UNAVAILABLE;
    if (oldPod !== undefined ? oldAvailable : newAvailable) e.c |= R_AVAILABLE;
    if (oldPod !== undefined && newPod !== undefined && !newAvailable) e.c |= R_SURGE;
    if (oldPod !== undefined && newPod === undefined)
      e.c |= oldAvailable ? R_OLD_AVAILABLE : R_OLD_UNAVAILABLE;
    // Where no manage runs, surge mode fails on an old pod alone and deletes one beside an
    // available new pod: not kept here (R_LEFT_OLD sends a surge-mode sync to reconcile()).
    if (elig === undefined && oldPod !== undefined && (newPod === undefined || newAvailable))
      e.c |= R_LEFT_OLD;
  }

  /** Why some node needs the full reconcile, or undefined when none does. */
  complexReason(): DeclineReason | undefined {
    for (const r of this.complex.values()) return r;
    return undefined;
  }

  /** The node's live pod of an old revision, if it holds one (classify's oldPod). */
  oldPodOn(name: string): Pod | undefined {
    const { hash, generation } = this.shape;
    for (const p of this.entries.get(name)?.pods ?? [])
      if (!p.metadata?.deletionTimestamp && !isPodUpdated(p, hash, generation)) return p;
    return undefined;
  }

  /** The node, its eligibility and its pods as the node→pods map has them (for manage). */
  nodeView(name: string): { node: Node; elig: Eligibility; pods: Pod[] } | undefined {
    const e = this.entries.get(name);
    if (e?.node === undefined || e.elig === undefined) return undefined;
    const pods = e.pods.filter((p) => !(p.metadata?.deletionTimestamp && isPodTerminal(p)));
    return { node: e.node, elig: e.elig, pods };
  }

  /** The pod when it is Ready but not available yet (it changes with time alone), else undefined. */
  private waitsOn(p: Pod, now: number): Pod | undefined {
    const min = this.shape.minReadySeconds;
    if (min <= 0 || !isPodReady(p) || isPodAvailable(p, min, now)) return undefined;
    return p;
  }

  /** When the rolling update would requeue for pod p (rollingupdate.ts newPodAvailable). */
  requeueAtOf(p: Pod, now: number): number | null {
    const since = podReadySince(p);
    if (since === undefined) return null;
    const at = since + this.shape.minReadySeconds * 1000 + 1;
    return at > now ? at : null;
  }
}
