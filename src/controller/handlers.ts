/**
 * Informer event handlers (spec §3, §2.7): they turn cache changes into DaemonSet keys on the
 * queue and record observed creates and deletes in the expectations. They never trust an event's
 * payload beyond routing it: the sync reads the caches.
 */
import { labelSelectorAsSelector, sameLabels } from '../api/labels.js';
import { getControllerOf, isPodReady } from '../api/pod.js';
import type { ControllerRevision, DaemonSet, Node, OwnerReference, Pod } from '../api/types.js';
import type { KubeObject } from '../cluster/port.js';
import { makeEligibilityChecker, type EligibilityChecker } from '../engine/eligibility.js';
import type { ControllerExpectations } from './expectations.js';
import { isTombstone, type DeletedFinalStateUnknown, INDEX_NAMESPACE } from './informer.js';
import type { Logger } from './logger.js';
import { storeKey, type ReadonlyStore } from './store.js';

/** What the handlers need from the controller. */
export interface HandlerContext {
  readonly dsStore: ReadonlyStore<DaemonSet>;
  readonly expectations: ControllerExpectations;
  readonly enqueue: (key: string) => void;
  readonly enqueueAfter: (key: string, ms: number) => void;
  readonly logger: Logger;
  /**
   * Queues a key because of a node event (the node-event delay, controller option
   * nodeEventDelayMs); absent, node events queue at once through enqueue, as upstream does.
   */
  readonly enqueueForNode?: (key: string) => void;
  /** Whether the node cache holds this node; read only when enqueueForNode is given. */
  readonly hasNode?: (name: string) => boolean;
}

type MaybeTombstone<T> = T | DeletedFinalStateUnknown<T>;

function unwrap<T>(x: MaybeTombstone<T>): T {
  return isTombstone(x) ? x.obj : x;
}

function sameRef(a: OwnerReference | undefined, b: OwnerReference | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.uid === b.uid && a.kind === b.kind && a.name === b.name && a.apiVersion === b.apiVersion;
}

/** DaemonSet keys ownerKey keeps per namespace before it starts over. */
const OWNER_KEYS_MAX = 4096;

/** The §3 handlers for DaemonSets, pods, nodes and ControllerRevisions. */
export class EventHandlers {
  private readonly checkers = new WeakMap<object, EligibilityChecker>();

  private readonly enqueueForNode: (key: string) => void;

  /** DaemonSet store keys by namespace and name (ownerKey). */
  private readonly ownerKeys = new Map<string, Map<string, string>>();

  constructor(private readonly ctx: HandlerContext) {
    this.enqueueForNode = ctx.enqueueForNode ?? ctx.enqueue;
  }

  /** Owner resolution: Kind, then the name in the lister, then the UID; any mismatch means none. */
  resolveControllerRef(namespace: string, ref: OwnerReference): DaemonSet | undefined {
    const key = this.ownerKey(namespace, ref);
    return key === undefined ? undefined : this.ctx.dsStore.get(key);
  }

  /** The store key of the DaemonSet ref resolves to (resolveControllerRef), built once. */
  private ownerKey(namespace: string, ref: OwnerReference): string | undefined {
    // The keys of DaemonSets found before, by namespace and name: a pod event would otherwise
    // join a fresh key and hash it for the lookup (B3: every pod event of every owned pod).
    let byName = this.ownerKeys.get(namespace);
    let key = byName?.get(ref.name);
    const known = key !== undefined;
    key ??= namespace === '' ? ref.name : `${namespace}/${ref.name}`;
    const ds = this.ctx.dsStore.get(key);
    if (ds === undefined) return undefined;
    if (!known) {
      if (byName === undefined) {
        byName = new Map();
        this.ownerKeys.set(namespace, byName);
      }
      // Bounded: names of DaemonSets that existed; cleared if a long life collects many.
      if (byName.size >= OWNER_KEYS_MAX) byName.clear();
      byName.set(ref.name, key);
    }
    if (ref.kind !== (ds.kind ?? 'DaemonSet')) return undefined;
    if (ds.metadata?.uid !== ref.uid) return undefined;
    return key;
  }

  /** DaemonSets in obj's namespace whose non-empty selector matches its labels. */
  matchingDaemonSets(obj: KubeObject): DaemonSet[] {
    const ns = obj.metadata?.namespace ?? '';
    const out: DaemonSet[] = [];
    for (const ds of this.ctx.dsStore.byIndex(INDEX_NAMESPACE, ns)) {
      try {
        const sel = labelSelectorAsSelector(ds.spec?.selector);
        if (sel.empty || sel.nothing || !sel.matches(obj.metadata?.labels)) continue;
        out.push(ds);
      } catch {
        // A DaemonSet with an unparseable selector selects nothing; its own sync reports it.
      }
    }
    if (out.length > 1) {
      this.ctx.logger.warn(
        { object: storeKey(obj), daemonSets: out.map((d) => storeKey(d)) },
        'user error: more than one DaemonSet selects this object',
      );
    }
    return out;
  }

  // DaemonSets.

  addDaemonSet(ds: DaemonSet): void {
    this.ctx.enqueue(storeKey(ds));
  }

  updateDaemonSet(old: DaemonSet, cur: DaemonSet): void {
    // Deleted and recreated under the same name: the old one's expectations must not carry over.
    if (old.metadata?.uid !== cur.metadata?.uid) this.deleteDaemonSet(old);
    this.ctx.enqueue(storeKey(cur));
  }

  deleteDaemonSet(obj: MaybeTombstone<DaemonSet>): void {
    const key = isTombstone(obj) ? obj.key : storeKey(obj);
    this.ctx.expectations.deleteExpectations(key);
    this.ctx.enqueue(key);
  }

  // Pods.

  addPod(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      // Arrived already terminating (e.g. after a relist): count it as a delete.
      this.deletePod(pod);
      return;
    }
    const ref = getControllerOf(pod);
    if (ref !== undefined) {
      const key = this.ownerKey(pod.metadata?.namespace ?? '', ref);
      if (key === undefined) return;
      this.ctx.expectations.creationObserved(key);
      this.ctx.enqueue(key);
      return;
    }
    for (const ds of this.matchingDaemonSets(pod)) this.ctx.enqueue(storeKey(ds));
  }

  updatePod(old: Pod, cur: Pod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    const ns = cur.metadata?.namespace ?? '';
    if (cur.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) {
      this.deletePod(cur);
      return;
    }
    const curRef = getControllerOf(cur);
    // The cache keeps an unchanged ownerReferences array from version to version (trimPod).
    const oldRef =
      old.metadata?.ownerReferences === cur.metadata?.ownerReferences
        ? curRef
        : getControllerOf(old);
    const refChanged = !sameRef(curRef, oldRef);
    if (refChanged && oldRef !== undefined) {
      const oldKey = this.ownerKey(ns, oldRef);
      if (oldKey !== undefined) this.ctx.enqueue(oldKey);
    }
    if (curRef !== undefined) {
      const key = this.ownerKey(ns, curRef);
      if (key === undefined) return;
      this.ctx.enqueue(key);
      const minReady = this.ctx.dsStore.get(key)?.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(cur)) {
        // Availability flips minReadySeconds after readiness; look again just after that.
        this.ctx.enqueueAfter(key, (minReady + 1) * 1000);
      }
      return;
    }
    if (refChanged || !sameLabels(old.metadata?.labels, cur.metadata?.labels)) {
      for (const ds of this.matchingDaemonSets(cur)) this.ctx.enqueue(storeKey(ds));
    }
  }

  deletePod(obj: MaybeTombstone<Pod>): void {
    const pod = unwrap(obj);
    const ref = getControllerOf(pod);
    if (ref === undefined) return;
    const key = this.ownerKey(pod.metadata?.namespace ?? '', ref);
    if (key === undefined) return;
    this.ctx.expectations.deletionObserved(key);
    // A pod deleted because its node left (the pod GC) is part of that node event: with the
    // node-event delay it is coalesced like the node's own events.
    const nodeName = pod.spec?.nodeName;
    if (this.ctx.hasNode !== undefined && nodeName && !this.ctx.hasNode(nodeName))
      this.enqueueForNode(key);
    else this.ctx.enqueue(key);
  }

  // Nodes.

  addNode(node: Node): void {
    for (const ds of this.ctx.dsStore.list()) {
      if (this.eligibility(node, ds)?.shouldRun === true) this.enqueueForNode(storeKey(ds));
    }
  }

  updateNode(old: Node, cur: Node): void {
    const taintsEqual =
      JSON.stringify(old.spec?.taints ?? []) === JSON.stringify(cur.spec?.taints ?? []);
    if (taintsEqual && sameLabels(old.metadata?.labels, cur.metadata?.labels)) return;
    for (const ds of this.ctx.dsStore.list()) {
      const a = this.eligibility(old, ds);
      const b = this.eligibility(cur, ds);
      if (a?.shouldRun !== b?.shouldRun || a?.shouldContinueRunning !== b?.shouldContinueRunning) {
        this.enqueueForNode(storeKey(ds));
      }
    }
  }

  private eligibility(
    node: Node,
    ds: DaemonSet,
  ): { shouldRun: boolean; shouldContinueRunning: boolean } | undefined {
    try {
      // One checker per pod spec: building it merges the tolerations and reads the selector, and
      // node events run it for every DaemonSet. A frozen spec (the memory cluster's, kept across
      // status writes) cannot change; otherwise one per DaemonSet object, which the cache
      // replaces on every change.
      const spec = ds.spec?.template?.spec;
      const owner: object = spec !== undefined && Object.isFrozen(spec) ? spec : ds;
      let check = this.checkers.get(owner);
      if (check === undefined) {
        check = makeEligibilityChecker(ds);
        this.checkers.set(owner, check);
      }
      return check(node);
    } catch (err) {
      this.ctx.logger.debug(
        { ds: storeKey(ds), node: node.metadata?.name, err: String(err) },
        'eligibility failed',
      );
      return undefined;
    }
  }

  // ControllerRevisions.

  addRevision(rev: ControllerRevision): void {
    if (rev.metadata?.deletionTimestamp) {
      this.deleteRevision(rev);
      return;
    }
    // An owned revision enqueues nothing: our own creates would otherwise cause an extra sync.
    if (getControllerOf(rev) !== undefined) return;
    for (const ds of this.matchingDaemonSets(rev)) this.ctx.enqueue(storeKey(ds));
  }

  updateRevision(old: ControllerRevision, cur: ControllerRevision): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    const ns = cur.metadata?.namespace ?? '';
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    const refChanged = !sameRef(curRef, oldRef);
    if (refChanged && oldRef !== undefined) {
      const oldDs = this.resolveControllerRef(ns, oldRef);
      if (oldDs !== undefined) this.ctx.enqueue(storeKey(oldDs));
    }
    if (curRef !== undefined) {
      const ds = this.resolveControllerRef(ns, curRef);
      if (ds !== undefined) this.ctx.enqueue(storeKey(ds));
      return;
    }
    if (refChanged || !sameLabels(old.metadata?.labels, cur.metadata?.labels)) {
      for (const ds of this.matchingDaemonSets(cur)) this.ctx.enqueue(storeKey(ds));
    }
  }

  deleteRevision(obj: MaybeTombstone<ControllerRevision>): void {
    const rev = unwrap(obj);
    const ref = getControllerOf(rev);
    if (ref === undefined) return;
    const ds = this.resolveControllerRef(rev.metadata?.namespace ?? '', ref);
    if (ds !== undefined) this.ctx.enqueue(storeKey(ds));
  }
}
