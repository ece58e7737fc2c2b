/**
 * MemoryCluster: the embedded cluster's API server, an in-process implementation of the Cluster
 * port that behaves like kube-apiserver wherever the controller can tell (README.md in this
 * folder lists how). On top of the port it offers per-client views, call counters and fault
 * injection for tests and benchmarks.
 *
 * Objects it returns are deep-frozen and shared with the store: treat them as readonly (they are
 * typed so) and structuredClone before changing. Writing to one throws a TypeError.
 */
import type { Clock } from '../../clock/clock.js';
import {
  ClusterError,
  GoneError,
  TerminalError,
  UnavailableError,
  type Cluster,
  type DeleteOptions,
  type KubeObject,
  type ListOptions,
  type ObjectList,
  type Patch,
  type ResourceKind,
  type Watch,
  type WatchEvent,
  type WatchOptions,
} from '../port.js';
import { deleteObject } from './deletion.js';
import { EventExpiry } from './eventttl.js';
import {
  CallStats,
  FaultInjector,
  type ApiCallStats,
  type FaultOptions,
  type FaultRule,
  type Verb,
} from './faults.js';
import { GarbageCollector } from './gc.js';
import { seededRandom } from './names.js';
import { Registry } from './registry.js';
import { compileFilter } from './selectors.js';
import { KINDS, NAMESPACED, ObjectStore } from './store.js';
import { MemoryWatch, type DeliveryCounter } from './watch.js';

/** Options of a MemoryCluster. */
export interface MemoryClusterOptions {
  /** Time for timestamps, grace periods and bookmarks (a virtual clock in simulations). */
  readonly clock: Clock;
  /** Random source for uids and generateName suffixes; default a fixed seed, so runs replay. */
  readonly random?: () => number;
  /** Changes kept per kind for watches from a resourceVersion; older is 410 Gone. Default 10000. */
  readonly watchHistory?: number;
  /** Interval of BOOKMARK events on watches that allow them, in clock ms. Default 60000. */
  readonly bookmarkIntervalMs?: number;
  /** Garbage-collect dependents whose owner (of a stored kind) does not exist. Default true. */
  readonly collectDanglingDependents?: boolean;
  /** Events not written for this long are removed (swept after a later Event write). Default 1 h. */
  readonly eventTtlMs?: number;
}

const DEFAULT_CLIENT = 'default';

function internalError(err: unknown): ClusterError {
  if (err instanceof ClusterError) return err;
  return new ClusterError(
    `internal error: ${err instanceof Error ? err.message : String(err)}`,
    500,
    { cause: err },
  );
}

/** The embedded cluster's API server; see the file comment. */
export class MemoryCluster implements Cluster {
  private readonly store: ObjectStore;
  private readonly registry: Registry;
  private readonly gc: GarbageCollector;
  private readonly calls = new CallStats();
  private readonly faults = new FaultInjector();
  private readonly deliveries: DeliveryCounter = { pending: 0 };
  private readonly clock: Clock;
  private readonly bookmarkIntervalMs: number;

  constructor(opts: MemoryClusterOptions) {
    this.clock = opts.clock;
    this.bookmarkIntervalMs = opts.bookmarkIntervalMs ?? 60_000;
    this.store = new ObjectStore(opts.watchHistory ?? 10_000);
    this.registry = new Registry(this.store, opts.clock, opts.random ?? seededRandom(1));
    this.gc = new GarbageCollector(this.registry, opts.collectDanglingDependents ?? true);
    this.store.listen(this.gc);
    this.store.listen(new EventExpiry(this.store, opts.clock, opts.eventTtlMs ?? 3_600_000));
  }

  // ---- the port, as the 'default' client -------------------------------------------------

  list<T extends KubeObject>(kind: ResourceKind, opts?: ListOptions): Promise<ObjectList<T>> {
    return this.doList(DEFAULT_CLIENT, kind, opts);
  }
  watch<T extends KubeObject>(
    kind: ResourceKind,
    opts: WatchOptions,
    onEvent: (e: WatchEvent<T>) => void,
  ): Promise<Watch> {
    return this.doWatch(DEFAULT_CLIENT, kind, opts, onEvent);
  }
  get<T extends KubeObject>(kind: ResourceKind, namespace: string, name: string): Promise<T> {
    return this.doGet(DEFAULT_CLIENT, kind, namespace, name);
  }
  create<T extends KubeObject>(kind: ResourceKind, obj: T): Promise<T> {
    return this.doCreate(DEFAULT_CLIENT, kind, obj);
  }
  update<T extends KubeObject>(kind: ResourceKind, obj: T): Promise<T> {
    return this.doUpdate(DEFAULT_CLIENT, kind, obj, false);
  }
  updateStatus<T extends KubeObject>(kind: ResourceKind, obj: T): Promise<T> {
    return this.doUpdate(DEFAULT_CLIENT, kind, obj, true);
  }
  patch<T extends KubeObject>(
    kind: ResourceKind,
    namespace: string,
    name: string,
    patch: Patch,
  ): Promise<T> {
    return this.doPatch(DEFAULT_CLIENT, kind, namespace, name, patch);
  }
  delete(kind: ResourceKind, namespace: string, name: string, opts?: DeleteOptions): Promise<void> {
    return this.doDelete(DEFAULT_CLIENT, kind, namespace, name, opts);
  }

  /**
   * A view of this cluster whose calls are counted (and matched by fault rules) under a client
   * name, e.g. 'controller', 'kubelet', 'scheduler'.
   */
  client(name: string): Cluster {
    return {
      list: (kind, opts) => this.doList(name, kind, opts),
      watch: (kind, opts, onEvent) => this.doWatch(name, kind, opts, onEvent),
      get: (kind, ns, n) => this.doGet(name, kind, ns, n),
      create: (kind, obj) => this.doCreate(name, kind, obj),
      update: (kind, obj) => this.doUpdate(name, kind, obj, false),
      updateStatus: (kind, obj) => this.doUpdate(name, kind, obj, true),
      patch: (kind, ns, n, p) => this.doPatch(name, kind, ns, n, p),
      delete: (kind, ns, n, opts) => this.doDelete(name, kind, ns, n, opts),
    };
  }

  // ---- test and benchmark hooks ----------------------------------------------------------

  /** API call counts since creation or the last resetStats(), for one client or all. */
  stats(client?: string): ApiCallStats {
    return this.calls.summary(client);
  }

  /** Zeroes the call counters. */
  resetStats(): void {
    this.calls.reset();
  }

  /** Installs a fault rule (see FaultRule); the returned function removes it. */
  injectFault(rule: FaultRule, opts?: FaultOptions): () => void {
    return this.faults.add(rule, opts);
  }

  /**
   * Fails the next `count` calls of verb on kind (from any client) with error (an instance, or a
   * factory for a fresh one per call). The returned function cancels what is left.
   */
  failNext(
    verb: Verb,
    kind: ResourceKind,
    error: ClusterError | (() => ClusterError),
    count = 1,
    opts?: FaultOptions,
  ): () => void {
    let left = count;
    const remove = this.faults.add((ctx) => {
      if (ctx.verb !== verb || ctx.kind !== kind || left <= 0) return undefined;
      if (--left === 0) remove();
      return typeof error === 'function' ? error() : error;
    }, opts);
    return remove;
  }

  /** Removes every fault rule. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** Forgets the change history, as an etcd compaction: watches from older versions get Gone. */
  compact(): void {
    this.store.compact();
  }

  /** Ends the live watches (of a kind, or all) with an error, as a dropped connection would. */
  dropWatches(
    kind?: ResourceKind,
    error: ClusterError = new UnavailableError('watch connection closed'),
  ): void {
    for (const k of kind === undefined ? KINDS : [kind]) {
      for (const w of this.store.hub(k).all()) w.fail(error);
    }
  }

  /** The cluster-wide resourceVersion of the latest change. */
  get resourceVersion(): string {
    return String(this.store.resourceVersion);
  }

  /** The number of stored objects of a kind (no API call is counted). */
  count(kind: ResourceKind): number {
    return this.store.count(kind);
  }

  /**
   * Resolves once the garbage collector has nothing queued and every watch event has been handed
   * to its handler (microtasks only: no clock time passes). Gives up after `maxTurns` turns.
   */
  async idle(maxTurns = 10_000): Promise<void> {
    for (let i = 0; i < maxTurns; i++) {
      if (!this.gc.busy && this.deliveries.pending === 0) return;
      await Promise.resolve();
    }
  }

  // ---- implementation ---------------------------------------------------------------------

  private async call<R>(
    client: string,
    verb: Verb,
    kind: ResourceKind,
    where: { namespace?: string | undefined; name?: string | undefined; object?: KubeObject },
    fn: () => R,
  ): Promise<R> {
    const entry = this.calls.record(client, verb, kind);
    try {
      if (!KINDS.includes(kind))
        throw new TerminalError(
          `the server could not find the requested resource (${kind})`,
          404,
          'NotFound',
        );
      const before = this.faultFor(client, verb, kind, where, 'before');
      if (before !== undefined) throw before;
      const result = fn();
      const after = this.faultFor(client, verb, kind, where, 'after');
      if (after !== undefined) throw after;
      return await Promise.resolve(result);
    } catch (err) {
      entry.failed++;
      throw internalError(err);
    }
  }

  /** The injected error for a call, if any; its context is built only when a rule is installed. */
  private faultFor(
    client: string,
    verb: Verb,
    kind: ResourceKind,
    where: { namespace?: string | undefined; name?: string | undefined; object?: KubeObject },
    when: 'before' | 'after',
  ): ClusterError | undefined {
    if (!this.faults.active) return undefined;
    const ctx = {
      verb,
      kind,
      client,
      namespace: where.namespace ?? '',
      name: where.name ?? '',
      ...(where.object !== undefined ? { object: where.object } : {}),
    };
    return this.faults.check(ctx, when);
  }

  private doList<T extends KubeObject>(
    client: string,
    kind: ResourceKind,
    opts?: ListOptions,
  ): Promise<ObjectList<T>> {
    return this.call(client, 'list', kind, { namespace: opts?.namespace }, () => {
      const filter = compileFilter(kind, opts, NAMESPACED[kind]);
      const items = this.store.list(kind, filter) as T[];
      return { items, resourceVersion: String(this.store.resourceVersion) };
    });
  }

  private doWatch<T extends KubeObject>(
    client: string,
    kind: ResourceKind,
    opts: WatchOptions,
    onEvent: (e: WatchEvent<T>) => void,
  ): Promise<Watch> {
    return this.call(client, 'watch', kind, { namespace: opts.namespace }, () => {
      const filter = compileFilter(kind, opts, NAMESPACED[kind]);
      const hub = this.store.hub(kind);
      const handler = onEvent as (e: WatchEvent<KubeObject>) => void;
      const w = new MemoryWatch(
        filter,
        handler,
        (x) => {
          hub.remove(x);
        },
        this.deliveries,
      );
      const rvText = opts.resourceVersion;
      if (rvText === '' || rvText === '0') {
        // "Any version": start with the current state as ADDED events, as kube's watch cache does.
        for (const obj of this.store.list(kind, filter)) w.push({ type: 'ADDED', object: obj });
      } else {
        if (!/^[0-9]+$/.test(rvText)) {
          throw new TerminalError(`invalid resource version: ${rvText}`, 400, 'BadRequest');
        }
        const history = this.store.history(kind);
        const records = history.since(Number(rvText));
        if (records === undefined) {
          w.fail(new GoneError(`too old resource version: ${rvText} (${history.floor})`));
          return w;
        }
        for (const rec of records) w.offer(rec);
      }
      hub.add(w);
      if (opts.allowBookmarks === true) {
        w.startBookmarks(this.clock, this.bookmarkIntervalMs, () => this.store.resourceVersion);
      }
      return w;
    });
  }

  private doGet<T extends KubeObject>(
    client: string,
    kind: ResourceKind,
    namespace: string,
    name: string,
  ): Promise<T> {
    return this.call(
      client,
      'get',
      kind,
      { namespace, name },
      () => this.registry.mustGet(kind, namespace, name) as T,
    );
  }

  private doCreate<T extends KubeObject>(client: string, kind: ResourceKind, obj: T): Promise<T> {
    const where = { namespace: obj.metadata?.namespace, name: obj.metadata?.name, object: obj };
    return this.call(client, 'create', kind, where, () => this.registry.create(kind, obj) as T);
  }

  private doUpdate<T extends KubeObject>(
    client: string,
    kind: ResourceKind,
    obj: T,
    status: boolean,
  ): Promise<T> {
    const where = { namespace: obj.metadata?.namespace, name: obj.metadata?.name, object: obj };
    const verb = status ? 'updateStatus' : 'update';
    return this.call(client, verb, kind, where, () => this.registry.update(kind, obj, status) as T);
  }

  private doPatch<T extends KubeObject>(
    client: string,
    kind: ResourceKind,
    namespace: string,
    name: string,
    patch: Patch,
  ): Promise<T> {
    return this.call(
      client,
      'patch',
      kind,
      { namespace, name },
      () => this.registry.patch(kind, namespace, name, patch) as T,
    );
  }

  private doDelete(
    client: string,
    kind: ResourceKind,
    namespace: string,
    name: string,
    opts?: DeleteOptions,
  ): Promise<void> {
    return this.call(client, 'delete', kind, { namespace, name }, () => {
      deleteObject(this.registry, kind, namespace, name, opts);
    });
  }
}
