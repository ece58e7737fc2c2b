/**
 * The cache behind an informer: wire objects by "namespace/name" key, with secondary indexes.
 * Only the informer writes to it; everyone else reads. Stored objects are never mutated: an update
 * replaces the object, so a reference someone holds stays a consistent snapshot.
 */
import type { KubeObject } from '../cluster/port.js';

/** Computes the index values of an object (zero, one or several). */
export type IndexFunc<T> = (obj: T) => readonly string[];

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
}

/** An indexed store; writes keep every index consistent with the stored objects. */
export class Store<T extends KubeObject> implements ReadonlyStore<T> {
  private readonly items = new Map<string, T>();
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(private readonly indexers: Readonly<Record<string, IndexFunc<T>>> = {}) {
    for (const name of Object.keys(indexers)) this.indices.set(name, new Map());
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

  /** Stores obj under its key and returns the object it replaced. */
  upsert(obj: T): T | undefined {
    const key = storeKey(obj);
    const old = this.items.get(key);
    if (old !== undefined) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, obj);
    return old;
  }

  /** Removes the object under key and returns it. */
  remove(key: string): T | undefined {
    const old = this.items.get(key);
    if (old === undefined) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of Object.entries(this.indexers)) {
      const idx = this.indices.get(name)!;
      for (const v of fn(obj)) {
        let set = idx.get(v);
        if (set === undefined) {
          set = new Set();
          idx.set(v, set);
        }
        set.add(key);
      }
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of Object.entries(this.indexers)) {
      const idx = this.indices.get(name)!;
      for (const v of fn(obj)) {
        const set = idx.get(v);
        if (set === undefined) continue;
        set.delete(key);
        if (set.size === 0) idx.delete(v);
      }
    }
  }
}
