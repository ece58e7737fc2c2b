/**
 * Controller expectations (spec §5.5): how many pod creates and deletes a DaemonSet's last sync
 * issued that the informer has not yet shown. While any are outstanding the sync only writes
 * status, so a cache that lags behind our own writes never causes duplicate pods.
 */
import type { Clock } from '../clock/clock.js';

/** Upstream's ExpectationsTimeout: an entry older than this counts as satisfied. */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

/** One key's outstanding adds and deletes, and when they were set (epoch ms). */
export interface ExpectationRecord {
  readonly adds: number;
  readonly dels: number;
  readonly timestamp: number;
}

/** Per-key expectations; all operations are synchronous and never throw. */
export class ControllerExpectations {
  private readonly records = new Map<string, { adds: number; dels: number; timestamp: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = EXPECTATIONS_TIMEOUT_MS,
  ) {}

  /** Replaces the record of key and restarts its timeout. */
  setExpectations(key: string, adds: number, dels: number): void {
    this.records.set(key, { adds, dels, timestamp: this.clock.now() });
  }

  /** One create of key was observed (a pod add event, or a create that failed). */
  creationObserved(key: string): void {
    this.lowerExpectations(key, 1, 0);
  }

  /** One delete of key was observed (a delete event, a new deletionTimestamp, a failed delete). */
  deletionObserved(key: string): void {
    this.lowerExpectations(key, 0, 1);
  }

  /** Lowers outstanding adds and deletes; counts may go negative, which is harmless. */
  lowerExpectations(key: string, adds: number, dels: number): void {
    const r = this.records.get(key);
    if (r === undefined) return;
    r.adds -= adds;
    r.dels -= dels;
  }

  /** True with no record, with nothing outstanding, or when the record has expired. */
  satisfiedExpectations(key: string): boolean {
    const r = this.records.get(key);
    if (r === undefined) return true;
    if (r.adds <= 0 && r.dels <= 0) return true;
    return this.clock.now() - r.timestamp > this.ttlMs;
  }

  /** Forgets key entirely (the DaemonSet was deleted or is missing from the cache). */
  deleteExpectations(key: string): void {
    this.records.delete(key);
  }

  /** A copy of key's record, if any. */
  get(key: string): ExpectationRecord | undefined {
    const r = this.records.get(key);
    return r === undefined ? undefined : { ...r };
  }

  /** The number of keys with a record. */
  size(): number {
    return this.records.size;
  }
}
