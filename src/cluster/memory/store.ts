/**
 * The memory cluster's storage: objects by kind, namespace and name, with the indexes the
 * controller's access patterns need (pods by node, dependents by owner uid, objects by uid), the
 * cluster-wide resourceVersion counter, the change history and the watch fan-out.
 * Stored objects are deep-frozen and shared with readers; every change stores a new object.
 */
import type { KubeObject, ResourceKind } from '../port.js';
import { ChangeHistory, type ChangeRecord } from './history.js';
import { deepFreeze } from './names.js';
import type { ObjectFilter } from './selectors.js';
import { WatchHub } from './watch.js';

/** Where a stored object lives. */
export interface ObjectRef {
  readonly kind: ResourceKind;
  readonly namespace: string;
  readonly name: string;
}

/** Whether each kind lives in a namespace (Node is the only cluster-scoped one). */
export const NAMESPACED: Readonly<Record<ResourceKind, boolean>> = {
  Node: false,
  Pod: true,
  DaemonSet: true,
  EverynodeDaemonSet: true,
  ControllerRevision: true,
  Event: true,
  Lease: true,
};

/** Every kind the store holds. */
export const KINDS = Object.keys(NAMESPACED) as ResourceKind[];

/** Called after every committed change (the garbage collector listens). */
export interface StoreListener {
  changed(kind: ResourceKind, rec: ChangeRecord): void;
}

type Mut = { metadata?: Record<string, unknown> } & Record<string, unknown>;

function nodeNameOf(obj: KubeObject | undefined): string {
  return (obj as { spec?: { nodeName?: string } } | undefined)?.spec?.nodeName ?? '';
}

function sameOwnerUids(
  a: readonly { readonly uid: string }[],
  b: readonly { readonly uid: string }[],
): boolean {
  return a.length === b.length && a.every((o, i) => o.uid === b[i]!.uid);
}

const NO_OWNERS: readonly { readonly uid: string }[] = [];

function refKey(kind: ResourceKind, ns: string, name: string): string {
  return `${kind}\u0000${ns}\u0000${name}`;
}

class KindState {
  readonly byNamespace = new Map<string, Map<string, KubeObject>>();
  /** Pods only: spec.nodeName ('' for unbound) -> "ns/name" -> pod. */
  readonly byNode = new Map<string, Map<string, KubeObject>>();
  readonly hub = new WatchHub();
  size = 0;
  constructor(
    readonly kind: ResourceKind,
    readonly history: ChangeHistory,
  ) {}

  set(ns: string, name: string, obj: KubeObject, prev: KubeObject | undefined): void {
    let m = this.byNamespace.get(ns);
    if (m === undefined) this.byNamespace.set(ns, (m = new Map<string, KubeObject>()));
    if (!m.has(name)) this.size++;
    m.set(name, obj);
    if (this.kind === 'Pod') {
      const node = nodeNameOf(obj);
      if (prev !== undefined && nodeNameOf(prev) !== node) this.unindexNode(ns, name, prev);
      let n = this.byNode.get(node);
      if (n === undefined) this.byNode.set(node, (n = new Map<string, KubeObject>()));
      n.set(`${ns}/${name}`, obj);
    }
  }

  delete(ns: string, name: string, prev: KubeObject): void {
    const m = this.byNamespace.get(ns);
    if (m?.delete(name) === true) this.size--;
    if (m?.size === 0) this.byNamespace.delete(ns);
    if (this.kind === 'Pod') this.unindexNode(ns, name, prev);
  }

  private unindexNode(ns: string, name: string, prev: KubeObject): void {
    const node = nodeNameOf(prev);
    const n = this.byNode.get(node);
    n?.delete(`${ns}/${name}`);
    if (n?.size === 0) this.byNode.delete(node);
  }
}

/** The object store; see the file comment. */
export class ObjectStore {
  private rvCounter: number;
  private readonly kinds = new Map<ResourceKind, KindState>();
  private readonly uids = new Map<string, ObjectRef>();
  /** owner uid -> dependents (ref keys) that list it in ownerReferences. */
  private readonly dependents = new Map<string, Map<string, ObjectRef>>();
  private readonly listeners: StoreListener[] = [];

  constructor(watchHistory: number, initialRv = 100) {
    this.rvCounter = initialRv;
    for (const k of KINDS)
      this.kinds.set(k, new KindState(k, new ChangeHistory(watchHistory, initialRv)));
  }

  /** The cluster-wide resourceVersion of the latest change. */
  get resourceVersion(): number {
    return this.rvCounter;
  }

  /** Registers a listener for committed changes. */
  listen(l: StoreListener): void {
    this.listeners.push(l);
  }

  private state(kind: ResourceKind): KindState {
    return this.kinds.get(kind)!;
  }

  /** The stored (frozen) object, or undefined. */
  get(kind: ResourceKind, namespace: string, name: string): KubeObject | undefined {
    return this.state(kind)
      .byNamespace.get(NAMESPACED[kind] ? namespace : '')
      ?.get(name);
  }

  /** The stored object with this uid, or undefined. */
  getByUid(uid: string): { ref: ObjectRef; obj: KubeObject } | undefined {
    const ref = this.uids.get(uid);
    if (ref === undefined) return undefined;
    const obj = this.get(ref.kind, ref.namespace, ref.name);
    return obj === undefined ? undefined : { ref, obj };
  }

  /** Objects listing ownerUid among their ownerReferences. */
  dependentsOf(ownerUid: string): ObjectRef[] {
    return [...(this.dependents.get(ownerUid)?.values() ?? [])];
  }

  /** The number of stored objects of a kind. */
  count(kind: ResourceKind): number {
    return this.state(kind).size;
  }

  /** The objects that pass the filter, using the namespace and node indexes where they apply. */
  list(kind: ResourceKind, filter: ObjectFilter): KubeObject[] {
    const st = this.state(kind);
    let source: Iterable<KubeObject>[];
    if (filter.nodeName !== undefined && kind === 'Pod') {
      source = [st.byNode.get(filter.nodeName)?.values() ?? []];
    } else if (filter.namespace !== undefined) {
      source = [st.byNamespace.get(filter.namespace)?.values() ?? []];
    } else {
      source = [...st.byNamespace.values()].map((m) => m.values());
    }
    const out: KubeObject[] = [];
    for (const it of source) for (const o of it) if (filter.matches(o)) out.push(o);
    return out;
  }

  /** The change history of a kind (for watch replay). */
  history(kind: ResourceKind): ChangeHistory {
    return this.state(kind).history;
  }

  /** The live watches of a kind. */
  hub(kind: ResourceKind): WatchHub {
    return this.state(kind).hub;
  }

  /** Drops the change history up to now, as an etcd compaction would. */
  compact(): void {
    for (const st of this.kinds.values()) st.history.compact(this.rvCounter);
  }

  /** Stores a new object: stamps the next resourceVersion, freezes it, records ADDED. */
  create(kind: ResourceKind, obj: Mut): KubeObject {
    return this.commit(kind, 'ADDED', obj, undefined);
  }

  /** Replaces a stored object: stamps the next resourceVersion, freezes it, records MODIFIED. */
  update(kind: ResourceKind, obj: Mut, prev: KubeObject): KubeObject {
    return this.commit(kind, 'MODIFIED', obj, prev);
  }

  /**
   * Removes a stored object; its last state (prev, or `last` when the removing write changed it,
   * e.g. dropped the last finalizer) is recorded as DELETED at a new resourceVersion.
   */
  remove(kind: ResourceKind, prev: KubeObject, last?: Mut): KubeObject {
    const final = last ?? { ...prev, metadata: { ...prev.metadata } };
    return this.commit(kind, 'DELETED', final, prev);
  }

  private commit(
    kind: ResourceKind,
    type: ChangeRecord['type'],
    obj: Mut,
    prev: KubeObject | undefined,
  ): KubeObject {
    const rv = ++this.rvCounter;
    // The registry hands over a metadata object of its own; only a shared (frozen) one is copied.
    if (obj.metadata !== undefined && !Object.isFrozen(obj.metadata))
      obj.metadata.resourceVersion = String(rv);
    else obj.metadata = { ...obj.metadata, resourceVersion: String(rv) };
    const frozen = deepFreeze(obj) as KubeObject;
    const st = this.state(kind);
    const ns = frozen.metadata?.namespace ?? '';
    const name = frozen.metadata?.name ?? '';
    if (type === 'DELETED') st.delete(ns, name, prev!);
    else st.set(ns, name, frozen, prev);
    this.indexIdentity(kind, frozen, prev, type === 'DELETED');
    const rec: ChangeRecord = { rv, type, object: frozen, prev };
    st.history.append(rec);
    st.hub.dispatch(rec);
    for (const l of this.listeners) l.changed(kind, rec);
    return frozen;
  }

  private indexIdentity(
    kind: ResourceKind,
    obj: KubeObject,
    prev: KubeObject | undefined,
    removed: boolean,
  ): void {
    const meta = obj.metadata ?? {};
    const uid = meta.uid;
    // An object keeps its uid and place for life: only its first and last write touch the index.
    if (uid !== undefined) {
      if (removed) this.uids.delete(uid);
      else if (prev?.metadata?.uid !== uid) this.uids.set(uid, this.refOf(kind, meta));
    }
    const before = prev?.metadata?.ownerReferences ?? NO_OWNERS;
    const after = removed ? NO_OWNERS : (meta.ownerReferences ?? NO_OWNERS);
    if (before === after || sameOwnerUids(before, after)) return;
    // The dependent's uid (its hash already computed for the uid index) names it in the owner's
    // map; an object without one (never the registry's) falls back to its place.
    const key = uid ?? refKey(kind, meta.namespace ?? '', meta.name ?? '');
    for (const o of before) {
      const m = this.dependents.get(o.uid);
      m?.delete(key);
      if (m?.size === 0) this.dependents.delete(o.uid);
    }
    if (after.length === 0) return;
    const ref = this.refOf(kind, meta);
    for (const o of after) {
      let m = this.dependents.get(o.uid);
      if (m === undefined) this.dependents.set(o.uid, (m = new Map<string, ObjectRef>()));
      m.set(key, ref);
    }
  }

  private refOf(kind: ResourceKind, meta: NonNullable<KubeObject['metadata']>): ObjectRef {
    return { kind, namespace: meta.namespace ?? '', name: meta.name ?? '' };
  }
}
