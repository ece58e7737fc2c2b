/**
 * A set of node names that yields its members in a given order without sorting them on every
 * read: names are sorted once when many arrive (the start of a rollout, a full scan) and inserted
 * by binary search when few do; removed names stay in the array until it is compacted. The full
 * reconcile fills one from a scan, the incremental sync keeps one between syncs; both read it
 * the same way (tallies.ts).
 */
import { compareNodeNames, sortNodeNames } from './updatepolicy.js';

/** An ordered set of names; the order is compareNodeNames unless setOrder gives another. */
export class OrderedNames {
  private readonly members = new Set<string>();
  /** Sorted by the order, without duplicates; may hold names no longer members. */
  private sorted: string[] = [];
  /** Members added since the last read, not yet in `sorted` (or already there, stale). */
  private added: string[] = [];
  /**
   * sorted[0..head) holds no member: reads start there. A rollout removes names from the front
   * of its order (the nodes it updated), which would otherwise be walked past on every read
   * until a compaction (B6). Only a settle that merges added names can put a member back there.
   */
  private head = 0;
  private compare: (a: string, b: string) => number = compareNodeNames;
  private natural = true;
  private key = 'natural';

  get size(): number {
    return this.members.size;
  }

  has(name: string): boolean {
    return this.members.has(name);
  }

  add(name: string): void {
    if (this.members.has(name)) return;
    this.members.add(name);
    this.added.push(name);
  }

  delete(name: string): void {
    this.members.delete(name);
    if (this.members.size === 0) this.clear();
  }

  clear(): void {
    this.members.clear();
    this.sorted = [];
    this.added = [];
    this.head = 0;
  }

  /**
   * Orders the members by compare from now on; `key` names the order, so setting the same order
   * again costs nothing and a new one re-sorts on the next read.
   */
  setOrder(key: string, compare: (a: string, b: string) => number): void {
    if (key === this.key) return;
    this.key = key;
    this.compare = compare;
    this.natural = compare === compareNodeNames;
    this.sorted = [];
    this.head = 0;
    this.added = [...this.members];
  }

  /** The first n members in order (all of them for n = Infinity). */
  first(n: number): string[] {
    const out: string[] = [];
    if (n <= 0 || this.members.size === 0) return out;
    this.settle();
    const sorted = this.sorted;
    for (let i = this.skipHead(); i < sorted.length && out.length < n; i++) {
      const name = sorted[i]!;
      if (this.members.has(name)) out.push(name);
    }
    return out;
  }

  /** The last n members, last first. */
  last(n: number): string[] {
    const out: string[] = [];
    if (n <= 0 || this.members.size === 0) return out;
    this.settle();
    for (let i = this.sorted.length - 1; i >= 0 && out.length < n; i--) {
      const name = this.sorted[i]!;
      if (this.members.has(name)) out.push(name);
    }
    return out;
  }

  /** The members in order, read lazily (stop early to pay for what is read). */
  *inOrder(): Generator<string> {
    if (this.members.size === 0) return;
    this.settle();
    const sorted = this.sorted;
    for (let i = this.skipHead(); i < sorted.length; i++) {
      const name = sorted[i]!;
      if (this.members.has(name)) yield name;
    }
  }

  /** Moves head past the names at the front that are no members (after settle); returns it. */
  private skipHead(): number {
    const sorted = this.sorted;
    let h = this.head;
    while (h < sorted.length && !this.members.has(sorted[h]!)) h++;
    this.head = h;
    return h;
  }

  /** Merges the added names into the sorted array and drops stale names when they dominate. */
  private settle(): void {
    const added = this.added;
    if (added.length > 0) {
      this.added = [];
      this.head = 0;
      if (added.length * 8 > this.sorted.length) {
        const all = [...this.members];
        this.sorted = this.natural ? sortNodeNames(all) : all.sort(this.compare);
        return;
      }
      for (const name of added) {
        if (!this.members.has(name)) continue;
        const at = this.lowerBound(name);
        if (this.sorted[at] !== name) this.sorted.splice(at, 0, name);
      }
    }
    if (this.sorted.length > 2 * this.members.size + 64) {
      this.sorted = this.sorted.filter((n) => this.members.has(n));
      this.head = 0;
    }
  }

  private lowerBound(name: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(this.sorted[mid]!, name) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
