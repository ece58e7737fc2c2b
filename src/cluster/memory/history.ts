/**
 * The per-kind window of recent changes that watches replay from (kube-apiserver's watch cache).
 * Versions older than the window are gone: a watch from them fails with 410 Gone.
 */
import type { KubeObject } from '../port.js';

/** One stored change: the object after it (for DELETED, its last state) and the one before. */
export interface ChangeRecord {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: KubeObject;
  readonly prev: KubeObject | undefined;
}

/** A bounded, ordered log of changes of one kind. */
export class ChangeHistory {
  private records: ChangeRecord[] = [];
  private start = 0;
  /** Every change with a version above floor is still held. */
  private floorRv: number;

  constructor(
    private readonly limit: number,
    initialRv: number,
  ) {
    this.floorRv = initialRv;
  }

  /** The oldest version a watch may start from. */
  get floor(): number {
    return this.floorRv;
  }

  /** Appends a change (versions must increase) and drops the oldest beyond the limit. */
  append(rec: ChangeRecord): void {
    this.records.push(rec);
    while (this.records.length - this.start > this.limit) {
      this.floorRv = this.records[this.start]!.rv;
      this.start++;
    }
    if (this.start > 1024 && this.start * 2 > this.records.length) {
      this.records = this.records.slice(this.start);
      this.start = 0;
    }
  }

  /** The changes after rv, oldest first; undefined when rv is older than the window. */
  since(rv: number): ChangeRecord[] | undefined {
    if (rv < this.floorRv) return undefined;
    let lo = this.start;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.records[mid]!.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.records.slice(lo);
  }

  /** Forgets everything up to rv, as an etcd compaction does. */
  compact(rv: number): void {
    this.records = this.records.slice(this.start).filter((r) => r.rv > rv);
    this.start = 0;
    this.floorRv = Math.max(this.floorRv, rv);
  }
}
