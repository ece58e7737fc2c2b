/**
 * The simulation's own view of the cluster: one list+watch per kind through the Cluster port,
 * indexed by node and owner, shared by the scheduler, kubelets, node lifecycle and the observer
 * (one watch each instead of one per component keeps 10,000 nodes cheap).
 */
import { getTargetNodeName } from '../api/pod.js';
import type { ControllerRevision, DaemonSet, Event, Node, Pod } from '../api/types.js';
import type { Cluster, KubeObject, ResourceKind, Watch, WatchEvent } from '../cluster/port.js';

/** What changed: the object before (undefined when added) and after (undefined when deleted). */
export interface Change<T> {
  readonly old: T | undefined;
  readonly obj: T | undefined;
  /** The object's "namespace/name" key (keyOf), computed once per change for every listener. */
  readonly key: string;
}

/** Callbacks a component registers; they must only record work, never call the cluster inline. */
export interface WorldListener {
  onNode?(change: Change<Node>): void;
  onPod?(change: Change<Pod>): void;
  onDaemonSet?(change: Change<DaemonSet>): void;
  onRevision?(change: Change<ControllerRevision>): void;
  onEvent?(event: Event): void;
}

const keyOf = (o: KubeObject): string => {
  const ns = o.metadata?.namespace ?? '';
  return ns === '' ? (o.metadata?.name ?? '') : `${ns}/${o.metadata?.name ?? ''}`;
};

/** The owner uid of an object's controller reference, if any. */
export function controllerUid(o: KubeObject): string | undefined {
  return o.metadata?.ownerReferences?.find((r) => r.controller === true)?.uid;
}

/** Indexed caches of nodes, pods, DaemonSets, revisions and events, kept current by watches. */
export class World {
  readonly nodes = new Map<string, Node>();
  readonly pods = new Map<string, Pod>();
  readonly daemonSets = new Map<string, DaemonSet>();
  readonly revisions = new Map<string, ControllerRevision>();
  /** Every Event recorded during the run, by "namespace/name", latest version (aggregated counts);
   * kept after the API server expires them, so the report and checks see the whole run. */
  readonly events = new Map<string, Event>();
  /** Pod keys by spec.nodeName (bound pods only). */
  readonly podsByNode = new Map<string, Set<string>>();
  /** Pod keys by controller owner uid. */
  readonly podsByOwner = new Map<string, Set<string>>();
  /** Keys of unbound pods by the node their affinity names (DaemonSet pods before binding). */
  readonly unboundByTarget = new Map<string, Set<string>>();
  /**
   * Names of the nodes whose object or pods changed since the observer last took them
   * (takeTouched), so it can count those nodes again instead of all of them.
   */
  private touched = new Set<string>();
  /** Bumped on every change, so observers can skip work when nothing happened. */
  version = 0;
  private readonly listeners: WorldListener[] = [];
  private readonly watches: Watch[] = [];

  /** dsKind: the kind the DaemonSets are stored as (apps/v1, or everynode's CRD). */
  constructor(
    private readonly cluster: Cluster,
    private readonly dsKind: 'DaemonSet' | 'EverynodeDaemonSet' = 'DaemonSet',
  ) {}

  /** Registers a listener (before start, so it sees the initial objects too). */
  listen(l: WorldListener): void {
    this.listeners.push(l);
  }

  /** Lists and watches every kind; resolves once the initial lists are in. */
  async start(): Promise<void> {
    // Each kind's own map is the watch's cache of what it last saw (no second map per kind):
    // the apply functions below keep it exactly as the watch delivers.
    await this.follow<Node>('Node', this.nodes, (c, k) => {
      this.applyNode(c, k);
    });
    await this.follow<Pod>('Pod', this.pods, (c, k) => {
      this.applyPod(c, k);
    });
    await this.follow<DaemonSet>(this.dsKind, this.daemonSets, (c, k) => {
      this.applyMap(this.daemonSets, c, k, 'onDaemonSet');
    });
    await this.follow<ControllerRevision>('ControllerRevision', this.revisions, (c, k) => {
      this.applyMap(this.revisions, c, k, 'onRevision');
    });
    // Events are kept after they are deleted, so their watch keeps a cache of its own.
    await this.follow<Event>('Event', new Map<string, Event>(), (c, k, cache) => {
      if (c.obj === undefined) {
        cache.delete(k);
        return;
      }
      cache.set(k, c.obj);
      this.events.set(k, c.obj);
      for (const l of this.listeners) l.onEvent?.(c.obj);
    });
  }

  /** The nodes touched since the last call (see `touched`), and a fresh set for what follows. */
  takeTouched(): ReadonlySet<string> {
    const t = this.touched;
    this.touched = new Set();
    return t;
  }

  /** Stops every watch. */
  stop(): void {
    for (const w of this.watches.splice(0)) w.stop();
  }

  /** The pods bound to a node. */
  podsOn(node: string): Pod[] {
    const keys = this.podsByNode.get(node);
    if (keys === undefined) return [];
    const out: Pod[] = [];
    for (const k of keys) {
      const p = this.pods.get(k);
      if (p !== undefined) out.push(p);
    }
    return out;
  }

  /** The pods controlled by an owner uid. */
  podsOf(uid: string): Pod[] {
    const keys = this.podsByOwner.get(uid);
    return keys === undefined
      ? []
      : [...keys].map((k) => this.pods.get(k)!).filter((p) => p !== undefined);
  }

  /**
   * Lists a kind, then watches it from the list's version. `cache` holds what the watch last saw
   * by key; `apply` must keep it so (set on add and update, delete on delete), which is how the
   * previous version of a changed object is found.
   */
  private async follow<T extends KubeObject>(
    kind: ResourceKind,
    cache: Map<string, T>,
    apply: (c: Change<T>, key: string, cache: Map<string, T>) => void,
  ): Promise<void> {
    const list = await this.cluster.list<T>(kind);
    for (const o of list.items) {
      const key = keyOf(o);
      apply({ old: undefined, obj: o, key }, key, cache);
    }
    const onEvent = (e: WatchEvent<T>): void => {
      if (e.type === 'BOOKMARK') return;
      const k = keyOf(e.object);
      const old = cache.get(k);
      if (e.type === 'DELETED') apply({ old: old ?? e.object, obj: undefined, key: k }, k, cache);
      else apply({ old, obj: e.object, key: k }, k, cache);
    };
    this.watches.push(
      await this.cluster.watch<T>(kind, { resourceVersion: list.resourceVersion }, onEvent),
    );
  }

  private applyNode(c: Change<Node>, name: string): void {
    this.version++;
    this.touched.add(name);
    if (c.obj === undefined) this.nodes.delete(name);
    else this.nodes.set(name, c.obj);
    for (const l of this.listeners) l.onNode?.(c);
  }

  private applyPod(c: Change<Pod>, key: string): void {
    this.version++;
    const oldNode = c.old?.spec?.nodeName;
    const newNode = c.obj?.spec?.nodeName;
    // Most changes (status writes) move a pod neither between nodes nor owners: no index work.
    if (oldNode && oldNode !== newNode) this.podsByNode.get(oldNode)?.delete(key);
    if (newNode && newNode !== oldNode) index(this.podsByNode, newNode, key);
    const oldTarget = c.old === undefined ? undefined : unboundTarget(c.old);
    const newTarget = c.obj === undefined ? undefined : unboundTarget(c.obj);
    if (oldTarget !== newTarget) {
      if (oldTarget !== undefined) this.unboundByTarget.get(oldTarget)?.delete(key);
      if (newTarget !== undefined) index(this.unboundByTarget, newTarget, key);
    }
    for (const n of [oldNode, newNode, oldTarget, newTarget]) if (n) this.touched.add(n);
    // Owner references of a pod are shared between its versions unless a write changed them.
    const oldRefs = c.old?.metadata?.ownerReferences;
    const newRefs = c.obj?.metadata?.ownerReferences;
    if (c.old === undefined || c.obj === undefined || oldRefs !== newRefs) {
      const oldOwner = c.old === undefined ? undefined : controllerUid(c.old);
      const newOwner = c.obj === undefined ? undefined : controllerUid(c.obj);
      if (oldOwner && oldOwner !== newOwner) this.podsByOwner.get(oldOwner)?.delete(key);
      if (newOwner && newOwner !== oldOwner) index(this.podsByOwner, newOwner, key);
    }
    if (c.obj === undefined) this.pods.delete(key);
    else this.pods.set(key, c.obj);
    for (const l of this.listeners) l.onPod?.(c);
  }

  private applyMap<T extends KubeObject>(
    map: Map<string, T>,
    c: Change<T>,
    key: string,
    hook: 'onDaemonSet' | 'onRevision',
  ): void {
    this.version++;
    if (c.obj === undefined) map.delete(key);
    else map.set(key, c.obj);
    for (const l of this.listeners) (l[hook] as ((c: Change<T>) => void) | undefined)?.(c);
  }
}

/** The node an unbound pod's affinity names; undefined for a bound pod or one naming none. */
function unboundTarget(p: Pod): string | undefined {
  return p.spec?.nodeName ? undefined : podNode(p);
}

/** The node a pod counts on: its nodeName, or while unbound the node its affinity names. */
export function podNode(p: Pod): string | undefined {
  const target = getTargetNodeName(p);
  return 'node' in target ? target.node : undefined;
}

function index(m: Map<string, Set<string>>, k: string, v: string): void {
  let s = m.get(k);
  if (s === undefined) m.set(k, (s = new Set()));
  s.add(v);
}

/** The "namespace/name" key of an object. */
export { keyOf };
