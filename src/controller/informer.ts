/**
 * A reflector and informer over the Cluster port. It lists, then watches from the list's
 * resourceVersion with bookmarks, and keeps an indexed Store current. Unlike client-node's
 * informer it hands the old object to update handlers, relists (and diffs against the cache) on
 * 410 Gone, restarts with exponential backoff and jitter on any other error, and restarts a
 * watch that has been silent for longer than a timeout. stop() ends it at once, whatever it is
 * waiting for: a list or a watch still in flight on a server that stopped answering is left to
 * the transport's own timeout (its answer is ignored, a late watch is stopped when it opens).
 */
import type { Pod } from '../api/types.js';
import { getControllerOf, getTargetNodeName } from '../api/pod.js';
import { GoneError } from '../cluster/port.js';
import type { Cluster, KubeObject, ResourceKind, Watch, WatchEvent } from '../cluster/port.js';
import type { Clock, TimerHandle } from '../clock/clock.js';
import { nullLogger, type Logger } from './logger.js';
import { Store, storeKey, type IndexFunc, type StoreOptions } from './store.js';

export { trimPod } from './trim.js';

/** A delete the informer inferred from a relist: the last state it knew of the object. */
export interface DeletedFinalStateUnknown<T> {
  readonly tombstone: true;
  readonly key: string;
  readonly obj: T;
}

/** True for a tombstone rather than an object. */
export function isTombstone<T>(
  x: T | DeletedFinalStateUnknown<T>,
): x is DeletedFinalStateUnknown<T> {
  return typeof x === 'object' && x !== null && (x as { tombstone?: unknown }).tombstone === true;
}

/** Callbacks for cache changes; they run synchronously and must not throw (errors are logged). */
export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T | DeletedFinalStateUnknown<T>): void;
}

/** Reflector restart backoff: initial delay doubling to max, each multiplied by 1 + jitter × random(). */
export interface ReflectorBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly jitter: number;
}

/** client-go's reflector defaults: 800 ms doubling to 30 s, jitter 1.0. */
export const DEFAULT_REFLECTOR_BACKOFF: ReflectorBackoff = {
  initialMs: 800,
  maxMs: 30_000,
  jitter: 1,
};
/** A watch that delivers nothing (not even a bookmark) for this long is restarted. */
export const DEFAULT_WATCH_TIMEOUT_MS = 5 * 60 * 1000;

/** Options of an Informer. */
export interface InformerOptions<T extends KubeObject> {
  readonly cluster: Cluster;
  readonly kind: ResourceKind;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Jitter source in [0, 1); defaults to Math.random. */
  readonly random?: () => number;
  /** Limit to one namespace; absent or '' means all. */
  readonly namespace?: string;
  /**
   * Applied to every object before it is cached or handed to handlers (e.g. trimPod); prev is the
   * cached version of the same object, if any, whose unchanged parts the result may share.
   */
  readonly transform?: (obj: T, prev?: T) => T;
  readonly indexers?: Readonly<Record<string, IndexFunc<T>>>;
  /** What the store keeps besides objects and indexes: change logs, ordinals (StoreOptions). */
  readonly store?: StoreOptions;
  readonly watchTimeoutMs?: number;
  readonly backoff?: ReflectorBackoff;
}

/** Counters of the reflector's work. */
export interface InformerStats {
  lists: number;
  relists: number;
  watches: number;
  restarts: number;
  events: number;
}

/** Keeps `store` in step with the cluster for one kind and tells handlers what changed. */
export class Informer<T extends KubeObject> {
  /** The cache; read-only to everyone but this informer. */
  readonly store: Store<T>;
  readonly stats: InformerStats = { lists: 0, relists: 0, watches: 0, restarts: 0, events: 0 };
  private readonly opts: InformerOptions<T>;
  private readonly log: Logger;
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly syncWaiters: (() => void)[] = [];
  private synced = false;
  private stopped = false;
  private listing = false;
  private resourceVersion = '';
  private failures = 0;
  private generation = 0;
  private current: Watch | undefined;
  private sleeping: { timer: TimerHandle; wake: () => void } | undefined;
  private loop: Promise<void> | undefined;
  /**
   * The requests in flight, each told when stop() is called so none can hold the loop. One
   * listener per request, removed when it settles: a long-lived promise raced against every
   * request would keep each one's result (a whole relist) reachable for the informer's life.
   */
  private readonly stopListeners = new Set<(err: Error) => void>();

  constructor(opts: InformerOptions<T>) {
    this.opts = opts;
    this.log = (opts.logger ?? nullLogger).child({ informer: opts.kind });
    this.store = new Store<T>(opts.indexers ?? {}, opts.store);
  }

  /** Registers handlers; register before start() so that the initial adds are seen. */
  addEventHandler(h: InformerHandlers<T>): void {
    this.handlers.push(h);
  }

  /** Starts list and watch in the background; idempotent. */
  start(): void {
    this.loop ??= this.run();
  }

  /** True once the first list has been stored and announced. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once hasSynced() (immediately when already synced). */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** True while a list is in flight, i.e. a burst of handler calls may be about to arrive. */
  busy(): boolean {
    return this.listing;
  }

  /** Stops the watch and the loop; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const l of this.stopListeners) l(new Error('informer stopped'));
    this.stopListeners.clear();
    this.current?.stop();
    if (this.sleeping !== undefined) {
      this.sleeping.timer.cancel();
      this.sleeping.wake();
    }
    await this.loop;
  }

  private async run(): Promise<void> {
    let needList = true;
    let gones = 0;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.listAndReplace();
          needList = false;
        }
        const delivered = await this.watchOnce();
        gones = 0;
        if (delivered === 0 && !this.stopped) {
          // A watch that ended on its own without delivering anything: do not spin on a server
          // that closes watches at once; wait as after a failure.
          await this.sleep(this.nextDelay());
        } else {
          this.failures = 0;
        }
      } catch (err) {
        if (this.stopped) break;
        if (err instanceof GoneError) {
          // The version we watch from is too old: relist. Back off only if Gone repeats, so a
          // server that keeps answering Gone cannot spin us.
          needList = true;
          this.stats.relists++;
          this.log.info({ err: String(err) }, 'watch version expired; relisting');
          if (++gones > 1) await this.sleep(this.nextDelay());
          continue;
        }
        this.stats.restarts++;
        const delay = this.nextDelay();
        this.log.warn(
          { err: String(err), delayMs: delay },
          'list/watch failed; restarting after backoff',
        );
        await this.sleep(delay);
      }
    }
  }

  private nextDelay(): number {
    const b = this.opts.backoff ?? DEFAULT_REFLECTOR_BACKOFF;
    const base = Math.min(b.maxMs, b.initialMs * 2 ** this.failures);
    this.failures++;
    const random = this.opts.random ?? Math.random;
    return Math.round(base * (1 + b.jitter * random()));
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        this.sleeping = undefined;
        resolve();
      };
      this.sleeping = { timer: this.opts.clock.setTimeout(wake, ms), wake };
    });
  }

  /** Lists, then makes the store equal to the list, announcing the difference. */
  private async listAndReplace(): Promise<void> {
    this.listing = true;
    try {
      const ns = this.opts.namespace ?? '';
      const list = await this.untilStopped(
        this.opts.cluster.list<T>(this.opts.kind, ns === '' ? {} : { namespace: ns }),
      );
      if (this.stopped) return;
      this.stats.lists++;
      const fresh = new Map<string, T>();
      for (const item of list.items) {
        const obj =
          this.opts.transform === undefined
            ? item
            : this.opts.transform(item, this.store.get(storeKey(item)));
        fresh.set(storeKey(obj), obj);
      }
      for (const key of this.store.keys()) {
        if (fresh.has(key)) continue;
        const old = this.store.remove(key)!;
        this.emitDelete({ tombstone: true, key, obj: old });
      }
      for (const obj of fresh.values()) {
        const old = this.store.upsert(obj);
        if (old === undefined) this.emitAdd(obj);
        else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
          this.emitUpdate(old, obj);
        }
      }
      this.resourceVersion = list.resourceVersion;
      if (!this.synced) {
        this.synced = true;
        for (const w of this.syncWaiters.splice(0)) w();
      }
    } finally {
      this.listing = false;
    }
  }

  /**
   * Runs one watch until it ends: resolves on stop or silence timeout with the number of events
   * delivered (a timeout counts as one), rejects on error.
   */
  private async watchOnce(): Promise<number> {
    const gen = ++this.generation;
    const timeoutMs = this.opts.watchTimeoutMs ?? DEFAULT_WATCH_TIMEOUT_MS;
    let timer: TimerHandle | undefined;
    let timedOut = false;
    let delivered = 0;
    let w: Watch | undefined;
    const clock = this.opts.clock;
    // The timer is not re-armed per event (a timer per watch event cost B3): each event records
    // its time, and the timer, when it fires, waits out whatever silence is still owed.
    let lastEvent = clock.now();
    const arm = (ms: number): void => {
      timer = clock.setTimeout(() => {
        const silent = clock.now() - lastEvent;
        if (silent < timeoutMs) {
          arm(timeoutMs - silent);
          return;
        }
        timedOut = true;
        this.log.info({ timeoutMs }, 'watch silent for too long; restarting');
        w?.stop();
      }, ms);
    };
    arm(timeoutMs);
    try {
      const ns = this.opts.namespace ?? '';
      const opening = this.opts.cluster.watch<T>(
        this.opts.kind,
        {
          resourceVersion: this.resourceVersion,
          allowBookmarks: true,
          ...(ns === '' ? {} : { namespace: ns }),
        },
        (ev) => {
          if (gen !== this.generation || this.stopped || timedOut) return;
          delivered++;
          lastEvent = clock.now();
          this.handle(ev);
        },
      );
      // A watch that opens after stop() (its open outlived the loop) is stopped at once.
      opening.then(
        (late) => {
          if (this.stopped) late.stop();
        },
        () => undefined,
      );
      w = await this.untilStopped(opening);
      this.stats.watches++;
      this.current = w;
      if (this.stopped || timedOut) w.stop();
      await w.done;
      return timedOut ? Math.max(1, delivered) : delivered;
    } finally {
      timer?.cancel();
      this.current = undefined;
    }
  }

  /** p, or a rejection as soon as stop() is called. */
  private untilStopped<R>(p: Promise<R>): Promise<R> {
    if (this.stopped) {
      p.catch(() => undefined);
      return Promise.reject(new Error('informer stopped'));
    }
    return new Promise<R>((resolve, reject) => {
      const onStop = (err: Error): void => {
        reject(err);
      };
      this.stopListeners.add(onStop);
      p.then(
        (v) => {
          this.stopListeners.delete(onStop);
          resolve(v);
        },
        (e: unknown) => {
          this.stopListeners.delete(onStop);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  private handle(ev: WatchEvent<T>): void {
    this.stats.events++;
    if (ev.type === 'BOOKMARK') {
      this.resourceVersion = ev.resourceVersion;
      return;
    }
    // One key string per event: a fresh concatenation is flattened and hashed on each Map use.
    const key = storeKey(ev.object);
    const obj =
      this.opts.transform === undefined
        ? ev.object
        : this.opts.transform(ev.object, this.store.get(key));
    const rv = obj.metadata?.resourceVersion;
    if (rv !== undefined && rv !== '') this.resourceVersion = rv;
    if (ev.type === 'DELETED') {
      this.store.remove(key);
      this.emitDelete(obj);
      return;
    }
    const old = this.store.upsert(obj, key);
    if (old === undefined) this.emitAdd(obj);
    else this.emitUpdate(old, obj);
  }

  // One method per kind rather than a closure per event: these run for every watch event (B3).
  private emitAdd(obj: T): void {
    for (const h of this.handlers) {
      try {
        h.onAdd?.(obj);
      } catch (err) {
        this.handlerThrew(err);
      }
    }
  }

  private emitUpdate(old: T, obj: T): void {
    for (const h of this.handlers) {
      try {
        h.onUpdate?.(old, obj);
      } catch (err) {
        this.handlerThrew(err);
      }
    }
  }

  private emitDelete(obj: T | DeletedFinalStateUnknown<T>): void {
    for (const h of this.handlers) {
      try {
        h.onDelete?.(obj);
      } catch (err) {
        this.handlerThrew(err);
      }
    }
  }

  private handlerThrew(err: unknown): void {
    this.log.error({ err: String(err) }, 'event handler threw');
  }
}

/** Index names the controller's caches use. */
export const INDEX_NAMESPACE = 'namespace';
export const INDEX_NODE = 'node';
export const INDEX_CONTROLLER_UID = 'controllerUID';

/** Index by namespace. */
export const byNamespace: IndexFunc<KubeObject> = Object.assign(
  (o: KubeObject) => [o.metadata?.namespace ?? ''],
  { unchanged: (a: KubeObject, b: KubeObject) => a.metadata?.namespace === b.metadata?.namespace },
);

/** Owner references shared between two versions (frozen, or shared by trimPod when equal). */
const sameOwners = (a: KubeObject, b: KubeObject): boolean =>
  a.metadata?.ownerReferences === b.metadata?.ownerReferences;

/** Index by the UID of the controller owner reference, if any. */
export const byControllerUID: IndexFunc<KubeObject> = Object.assign(
  (o: KubeObject) => {
    const ref = getControllerOf(o);
    return ref === undefined ? [] : [ref.uid];
  },
  { unchanged: sameOwners },
);

/** Index name of orphans (no controller reference) by namespace; see orphansByNamespace. */
export const INDEX_ORPHAN_NAMESPACE = 'orphanNamespace';

/**
 * Index of objects without a controller reference, by namespace: with the controller-UID index it
 * gives a sync every pod it may claim (its own and the orphans it may adopt) without scanning the
 * namespace (B3: five DaemonSets in one namespace made each sync read every DaemonSet's pods).
 */
export const orphansByNamespace: IndexFunc<KubeObject> = Object.assign(
  (o: KubeObject) => (getControllerOf(o) === undefined ? [o.metadata?.namespace ?? ''] : []),
  {
    unchanged: (a: KubeObject, b: KubeObject) =>
      sameOwners(a, b) && a.metadata?.namespace === b.metadata?.namespace,
  },
);

/** Index pods by target node: spec.nodeName, else the node the affinity pins them to. */
export const podByNode: IndexFunc<Pod> = Object.assign(
  (p: Pod) => {
    const t = getTargetNodeName(p);
    return 'node' in t ? [t.node] : [];
  },
  // The target node is read from the spec alone; trimPod keeps an unchanged spec's object.
  { unchanged: (a: Pod, b: Pod) => a.spec === b.spec },
);
