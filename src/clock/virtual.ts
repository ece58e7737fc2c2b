/**
 * The one virtual clock: a Clock whose time moves only when its owner moves it, with timers that
 * fire in due-time order (ties in the order they were set). The simulator steps it timer by
 * timer (nextDue, advanceTo, fireDue); tests and the embedded cluster move it by a duration
 * (advance). Runs on it are deterministic and as fast as the CPU allows.
 */
import type { Clock, TimerHandle } from './clock.js';

interface Timer {
  readonly at: number;
  readonly seq: number;
  fn: (() => void) | null;
}

/** Where a virtual clock starts: 2026-01-01T00:00:00Z, so timestamps look real and replay alike. */
export const VIRTUAL_EPOCH_MS = Date.UTC(2026, 0, 1, 0, 0, 0);

/**
 * A timer heap ordered by due time, then by insertion order, so timers due at the same instant
 * always fire in the order they were set.
 */
export class VirtualClock implements Clock {
  private current: number;
  private readonly heap: Timer[] = [];
  private seq = 0;
  private live = 0;

  constructor(startMs = VIRTUAL_EPOCH_MS) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: Timer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.push(timer);
    this.live++;
    return {
      cancel: () => {
        if (timer.fn !== null) {
          timer.fn = null;
          this.live--;
        }
      },
    };
  }

  /** The number of timers set and not yet fired or cancelled. */
  pending(): number {
    return this.live;
  }

  /** When the next live timer is due, or undefined when none is set. */
  nextDue(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /**
   * Fires every timer due at or before now, in order (including ones set by those timers for
   * now); returns how many fired.
   */
  fireDue(): number {
    let fired = 0;
    for (;;) {
      this.dropCancelled();
      const top = this.heap[0];
      if (top === undefined || top.at > this.current) return fired;
      this.pop();
      const fn = top.fn!;
      top.fn = null;
      this.live--;
      fired++;
      fn();
    }
  }

  /** Moves time forward to `ms` (never backwards) without firing anything. */
  advanceTo(ms: number): void {
    if (ms > this.current) this.current = ms;
  }

  /**
   * Moves time forward by ms, firing every timer that falls due on the way, in due-time order,
   * each at its own due time (so a timer set by a timer and due before the end fires too).
   */
  advance(ms: number): void {
    const end = this.current + Math.max(0, ms);
    for (;;) {
      const next = this.nextDue();
      if (next === undefined || next > end) break;
      this.advanceTo(next);
      this.fireDue();
    }
    this.advanceTo(end);
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.fn === null) this.pop();
  }

  private less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  /** Swaps two heap entries (a temporary, not a destructuring pair: this runs per timer set). */
  private swap(i: number, j: number): void {
    const h = this.heap;
    const t = h[i]!;
    h[i] = h[j]!;
    h[j] = t;
  }
}
