/**
 * Watches on the memory cluster: each one a private queue drained in a microtask, so events reach
 * the handler asynchronously and strictly in version order. Filters follow kube's cacher: a change
 * that makes an object start matching arrives as ADDED, one that makes it stop as DELETED.
 */
import type { Clock, TimerHandle } from '../../clock/clock.js';
import { ClusterError, type KubeObject, type Watch, type WatchEvent } from '../port.js';
import type { ChangeRecord } from './history.js';
import { deepFreeze } from './names.js';
import type { ObjectFilter } from './selectors.js';

function withResourceVersion(obj: KubeObject, rv: number): KubeObject {
  return deepFreeze({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } });
}

/** Counts the watches with a delivery scheduled, so the cluster can tell when it is idle. */
export interface DeliveryCounter {
  pending: number;
}

/** What a filtered watcher sees of a change, or undefined when it sees nothing. */
export function translate(
  filter: ObjectFilter,
  rec: ChangeRecord,
): WatchEvent<KubeObject> | undefined {
  const now = filter.matches(rec.object);
  if (rec.type !== 'MODIFIED') return now ? { type: rec.type, object: rec.object } : undefined;
  const before = rec.prev !== undefined && filter.matches(rec.prev);
  if (now) return { type: before ? 'MODIFIED' : 'ADDED', object: rec.object };
  if (before) return { type: 'DELETED', object: withResourceVersion(rec.prev, rec.rv) };
  return undefined;
}

/** One running watch. */
export class MemoryWatch implements Watch {
  readonly done: Promise<void>;
  private queue: WatchEvent<KubeObject>[] = [];
  private scheduled = false;
  private ended = false;
  private resolveDone!: () => void;
  private rejectDone!: (err: unknown) => void;
  private bookmarkTimer: TimerHandle | undefined;

  constructor(
    readonly filter: ObjectFilter,
    private readonly onEvent: (event: WatchEvent<KubeObject>) => void,
    private readonly onEnd: (w: MemoryWatch) => void,
    private readonly deliveries: DeliveryCounter = { pending: 0 },
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // The owner may attach to done only after a few awaits; a Gone must not count as unhandled.
    this.done.catch(() => undefined);
  }

  /** True once stopped or failed; no event is delivered after that. */
  get stopped(): boolean {
    return this.ended;
  }

  /** Queues what this watcher sees of a change. */
  offer(rec: ChangeRecord): void {
    const ev = translate(this.filter, rec);
    if (ev !== undefined) this.push(ev);
  }

  /** Queues an event as is (initial ADDED events, bookmarks). */
  push(ev: WatchEvent<KubeObject>): void {
    if (this.ended) return;
    this.queue.push(ev);
    if (!this.scheduled) {
      this.scheduled = true;
      this.deliveries.pending++;
      queueMicrotask(() => {
        this.deliveries.pending--;
        this.flush();
      });
    }
  }

  /** Sends a BOOKMARK every intervalMs of the clock, carrying the version current at that moment. */
  startBookmarks(clock: Clock, intervalMs: number, currentRv: () => number): void {
    const tick = (): void => {
      if (this.ended) return;
      this.push({ type: 'BOOKMARK', resourceVersion: String(currentRv()) });
      this.bookmarkTimer = clock.setTimeout(tick, intervalMs);
    };
    this.bookmarkTimer = clock.setTimeout(tick, intervalMs);
  }

  stop(): void {
    if (this.end()) this.resolveDone();
  }

  /** Ends the watch with an error (Gone, a dropped connection); done rejects with it. */
  fail(err: ClusterError): void {
    if (this.end()) this.rejectDone(err);
  }

  private end(): boolean {
    if (this.ended) return false;
    this.ended = true;
    this.queue = [];
    this.bookmarkTimer?.cancel();
    this.onEnd(this);
    return true;
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    for (const ev of batch) {
      if (this.ended) return;
      try {
        this.onEvent(ev);
      } catch (err) {
        // A handler that throws has lost track of the stream: end the watch so its owner relists.
        this.fail(new ClusterError(`watch handler failed: ${String(err)}`, 500, { cause: err }));
        return;
      }
    }
  }
}

function nodeNameOf(obj: KubeObject | undefined): string | undefined {
  return (obj as { spec?: { nodeName?: string } } | undefined)?.spec?.nodeName ?? undefined;
}

/**
 * The live watches of one kind, indexed so that a change reaches only the watches that could see
 * it: by pinned spec.nodeName (one watch per kubelet), by pinned metadata.name, or unindexed.
 */
export class WatchHub {
  private readonly general = new Set<MemoryWatch>();
  private readonly byNode = new Map<string, Set<MemoryWatch>>();
  private readonly byName = new Map<string, Set<MemoryWatch>>();

  /** Starts delivering changes to w. */
  add(w: MemoryWatch): void {
    const bucket = this.bucketFor(w, true);
    bucket.add(w);
  }

  /** Stops delivering changes to w. */
  remove(w: MemoryWatch): void {
    const set = this.bucketFor(w, false);
    set.delete(w);
    if (set.size === 0 && set !== this.general) {
      this.byNode.delete(w.filter.nodeName ?? '\0');
      if (w.filter.nodeName === undefined) this.byName.delete(w.filter.name ?? '\0');
    }
  }

  /** Every live watch. */
  all(): MemoryWatch[] {
    const out = [...this.general];
    for (const s of this.byNode.values()) out.push(...s);
    for (const s of this.byName.values()) out.push(...s);
    return out;
  }

  /** Offers a change to the watches that might see it. */
  dispatch(rec: ChangeRecord): void {
    for (const w of this.general) w.offer(rec);
    if (this.byNode.size > 0) {
      const a = nodeNameOf(rec.object) ?? '';
      const b = nodeNameOf(rec.prev) ?? '';
      this.offerAll(this.byNode.get(a), rec);
      if (rec.prev !== undefined && b !== a) this.offerAll(this.byNode.get(b), rec);
    }
    if (this.byName.size > 0) this.offerAll(this.byName.get(rec.object.metadata?.name ?? ''), rec);
  }

  private offerAll(set: Set<MemoryWatch> | undefined, rec: ChangeRecord): void {
    if (set !== undefined) for (const w of set) w.offer(rec);
  }

  private bucketFor(w: MemoryWatch, create: boolean): Set<MemoryWatch> {
    const { nodeName, name } = w.filter;
    const [index, key] =
      nodeName !== undefined
        ? [this.byNode, nodeName]
        : name !== undefined
          ? [this.byName, name]
          : [undefined, ''];
    if (index === undefined) return this.general;
    let set = index.get(key);
    if (set === undefined) {
      set = new Set();
      if (create) index.set(key, set);
    }
    return set;
  }
}
