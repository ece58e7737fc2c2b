/**
 * The cache behind an informer: wire objects by "namespace/name" key, with secondary indexes.
 * Only the informer writes to it; everyone else reads. Stored objects are never mutated: an update
 * replaces the object, so a reference someone holds stays a consistent snapshot.
 */
import type { KubeObject } from '../cluster/port.js';

/**
 * Computes the index values of an object (zero, one or several). `unchanged`, when given, is a
 * cheap test that two versions of an object have the same values (true only when they surely do),
 * so that an update need not compute them twice (B1, B3: three pod indexes per pod event).
 */
export type IndexFunc<T> = ((obj: T) => readonly string[]) & {
  readonly unchanged?: (a: T, b: T) => boolean;
};

/** The key an object is stored under: "namespace/name", or "name" for cluster-scoped kinds. */
export function storeKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace ?? '';
  const name = obj.metadata?.name ?? '';
  return ns === '' ? name : `${ns}/${name}`;
}

/** Read access to a cache; what the controller and other components see. */
export interface ReadonlyStore<T extends KubeObject> {
  /** The object stored under key, if any. */
  get(key: string): T | undefined;
  /** Every stored object, in no particular order. */
  list(): T[];
  /** Every stored key. */
  keys(): string[];
  /** Objects whose index `name` contains `value`; empty for an unknown index. */
  byIndex(name: string, value: string): T[];
  /** The number of stored objects. */
  size(): number;
  /** The position after the last write; pass it to changesSince later to learn what changed. */
  changeSeq(): number;
  /**
   * Keys written (upserted or removed) since seq, oldest first, repeats included; undefined when
   * the log no longer reaches back that far or the store keeps none (read everything again).
   */
  changesSince(seq: number): readonly string[] | undefined;
  /**
   * A number that orders keys as list() does (insertion order); undefined for an absent key or
   * in a store that keeps no ordinals.
   */
  ordinal(key: string): number | undefined;
  /** changeSeq for the keys filed under value in the logged index (the whole store without one). */
  indexChangeSeq(value: string): number;
  /**
   * Like changesSince, for keys that were or became filed under value in the logged index (a
   * superset: every key written, when the store logs no index).
   */
  indexChangesSince(value: string, seq: number): readonly string[] | undefined;
}

/** What a store keeps beyond its objects and indexes. */
export interface StoreOptions {
  /** Keep a log of written keys for changesSince; default true. */
  readonly log?: boolean;
  /** Keep insertion ordinals for ordinal(); default true. */
  readonly ordinals?: boolean;
  /** An index (one of the indexers) whose values get their own change logs. */
  readonly logIndex?: string | undefined;
}

/** Log entries kept beyond twice the store's size before the oldest half is dropped. */
const LOG_SLACK = 4096;

/** An indexed store; writes keep every index consistent with the stored objects. */
export class Store<T extends KubeObject> implements ReadonlyStore<T> {
  private readonly items = new Map<string, T>();
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  /**
   * Written keys, so an incremental consumer (the controller's per-DaemonSet sync state) reads
   * only what changed since its last look instead of every object. log[i] has seq logBase + i.
   */
  private log: string[] = [];
  private logBase = 0;
  /** Insertion ordinals: a Map iterates in insertion order and an update keeps the position. */
  private readonly ords = new Map<string, number>();
  /** Per-value logs of the logged index: a DaemonSet reads its own pods' writes, not everyone's. */
  private readonly valueLogs = new Map<string, { log: string[]; base: number }>();
  private nextOrd = 0;
  /** The indexers with their maps, resolved once: writes run per watch event (B3). */
  private readonly indexList: {
    readonly fn: IndexFunc<T>;
    readonly idx: Map<string, Set<string>>;
    readonly logged: boolean;
  }[] = [];

  private writes = 0;
  private readonly keepLog: boolean;
  private readonly keepOrdinals: boolean;
  private readonly logIndex: string | undefined;

  constructor(
    private readonly indexers: Readonly<Record<string, IndexFunc<T>>> = {},
    opts: StoreOptions = {},
  ) {
    // The pod cache keeps only the per-owner logs: a global log and ordinals would cost memory
    // per cached pod (B4) that nothing reads.
    this.keepLog = opts.log ?? true;
    this.keepOrdinals = opts.ordinals ?? true;
    this.logIndex = opts.logIndex;
    for (const [name, fn] of Object.entries(indexers)) {
      const idx = new Map<string, Set<string>>();
      this.indices.set(name, idx);
      this.indexList.push({ fn, idx, logged: name === this.logIndex });
    }
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  size(): number {
    return this.items.size;
  }

  changeSeq(): number {
    return this.writes;
  }

  changesSince(seq: number): readonly string[] | undefined {
    if (!this.keepLog || seq < this.logBase || seq > this.writes) return undefined;
    return this.log.slice(seq - this.logBase);
  }

  ordinal(key: string): number | undefined {
    return this.ords.get(key);
  }

  indexChangeSeq(value: string): number {
    if (this.logIndex === undefined) return this.changeSeq();
    const l = this.valueLogs.get(value);
    return l === undefined ? 0 : l.base + l.log.length;
  }

  indexChangesSince(value: string, seq: number): readonly string[] | undefined {
    if (this.logIndex === undefined) return this.changesSince(seq);
    const l = this.valueLogs.get(value);
    if (l === undefined) return seq === 0 ? [] : undefined;
    if (seq < l.base || seq > l.base + l.log.length) return undefined;
    return l.log.slice(seq - l.base);
  }

  private logValue(value: string, key: string): void {
    let l = this.valueLogs.get(value);
    if (l === undefined) {
      l = { log: [], base: 0 };
      this.valueLogs.set(value, l);
    }
    l.log.push(key);
    const size = this.indices.get(this.logIndex!)?.get(value)?.size ?? 0;
    if (l.log.length > 2 * size + LOG_SLACK) {
      const drop = l.log.length >> 1;
      l.log = l.log.slice(drop);
      l.base += drop;
    }
  }

  private logWrite(key: string): void {
    this.writes++;
    if (!this.keepLog) return;
    this.log.push(key);
    // Bounded: a consumer that fell this far behind reads everything again, which costs no more
    // than replaying a log longer than the store.
    if (this.log.length > 2 * this.items.size + LOG_SLACK) {
      const drop = this.log.length >> 1;
      this.log = this.log.slice(drop);
      this.logBase += drop;
    }
  }

  byIndex(name: string, value: string): T[] {
    const keys = this.indices.get(name)?.get(value);
    if (keys === undefined) return [];
    const out: T[] = [];
    for (const k of keys) {
      const obj = this.items.get(k);
      if (obj !== undefined) out.push(obj);
    }
    return out;
  }

  /**
   * Stores obj under its key (storeKey(obj), which a caller that has it may pass) and returns the
   * object it replaced.
   */
  upsert(obj: T, key: string = storeKey(obj)): T | undefined {
    const old = this.items.get(key);
    if (old === undefined && this.keepOrdinals) this.ords.set(key, this.nextOrd++);
    this.items.set(key, obj);
    if (old === undefined) this.index(key, obj);
    else this.reindex(key, old, obj);
    this.logWrite(key);
    return old;
  }

  /** Removes the object under key and returns it. */
  remove(key: string): T | undefined {
    const old = this.items.get(key);
    if (old === undefined) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    this.ords.delete(key);
    this.logWrite(key);
    return old;
  }

  private index(key: string, obj: T): void {
    for (const { fn, idx, logged } of this.indexList) {
      for (const v of fn(obj)) this.add(idx, logged, v, key);
    }
  }

  private unindex(key: string, obj: T): void {
    for (const { fn, idx, logged } of this.indexList) {
      for (const v of fn(obj)) this.drop(idx, logged, v, key);
    }
  }

  /**
   * Moves key from old's index values to cur's. Most updates (a pod's status) change no indexed
   * value; then the sets are left alone (B3: four pod indexes per pod event) and the logged
   * index still records the write once per value, which is all changesSince promises.
   */
  private reindex(key: string, old: T, cur: T): void {
    for (const { fn, idx, logged } of this.indexList) {
      if (fn.unchanged?.(old, cur) === true) {
        if (logged) for (const v of fn(cur)) this.logValue(v, key);
        continue;
      }
      const was = fn(old);
      const now = fn(cur);
      if (sameValues(was, now)) {
        if (logged) for (const v of now) this.logValue(v, key);
        continue;
      }
      for (const v of was) this.drop(idx, logged, v, key);
      for (const v of now) this.add(idx, logged, v, key);
    }
  }

  private add(idx: Map<string, Set<string>>, logged: boolean, v: string, key: string): void {
    if (logged) this.logValue(v, key);
    let set = idx.get(v);
    if (set === undefined) {
      set = new Set();
      idx.set(v, set);
    }
    set.add(key);
  }

  private drop(idx: Map<string, Set<string>>, logged: boolean, v: string, key: string): void {
    if (logged) this.logValue(v, key);
    const set = idx.get(v);
    if (set === undefined) return;
    set.delete(key);
    if (set.size === 0) idx.delete(v);
  }
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
