/**
 * Event expiry, as kube-apiserver's --event-ttl (default 1 h): an Event not written for the TTL
 * is removed. Without timers: expired events are swept in a microtask after a later Event write,
 * so a long simulation that records many events keeps a bounded number of them.
 */
import type { Clock } from '../../clock/clock.js';
import type { ResourceKind } from '../port.js';
import type { ChangeRecord } from './history.js';
import type { ObjectStore, StoreListener } from './store.js';

interface Expiry {
  readonly at: number;
  readonly namespace: string;
  readonly name: string;
}

/** Removes Events whose last write is older than the TTL; see the file comment. */
export class EventExpiry implements StoreListener {
  private queue: Expiry[] = [];
  private head = 0;
  /** "ns/name" -> the latest expiry time, so an event written again is not swept early. */
  private readonly latest = new Map<string, number>();
  private scheduled = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  changed(kind: ResourceKind, rec: ChangeRecord): void {
    if (kind !== 'Event') return;
    const namespace = rec.object.metadata?.namespace ?? '';
    const name = rec.object.metadata?.name ?? '';
    const key = `${namespace}/${name}`;
    if (rec.type === 'DELETED') {
      this.latest.delete(key);
      return;
    }
    const at = this.clock.now() + this.ttlMs;
    this.latest.set(key, at);
    this.queue.push({ at, namespace, name });
    if (!this.scheduled && this.queue[this.head]!.at <= this.clock.now()) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.sweep();
      });
    }
  }

  private sweep(): void {
    this.scheduled = false;
    const now = this.clock.now();
    while (this.head < this.queue.length && this.queue[this.head]!.at <= now) {
      const e = this.queue[this.head++]!;
      const key = `${e.namespace}/${e.name}`;
      if (this.latest.get(key) !== e.at) continue;
      const obj = this.store.get('Event', e.namespace, e.name);
      if (obj !== undefined) this.store.remove('Event', obj);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
