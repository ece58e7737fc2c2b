/**
 * A virtual clock for tests and simulations: time moves only when advance() is called, and timers
 * fire in due-time order (ties in scheduling order).
 */
import type { Clock, TimerHandle } from './clock.js';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** A Clock whose time is set by the caller; timers fire synchronously inside advance(). */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];

  /** Starts at `start` epoch ms (default 2026-01-01T00:00:00Z). */
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Pending (not cancelled) timers. */
  pending(): number {
    return this.timers.filter((x) => !x.cancelled).length;
  }

  /** The due time of the earliest pending timer, if any. */
  nextAt(): number | undefined {
    let best: number | undefined;
    for (const x of this.timers)
      if (!x.cancelled && (best === undefined || x.at < best)) best = x.at;
    return best;
  }

  /** Moves time forward by ms, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.t + Math.max(0, ms);
    for (;;) {
      const due = this.timers
        .filter((x) => !x.cancelled && x.at <= end)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      due.cancelled = true;
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.timers = this.timers.filter((x) => !x.cancelled);
    this.t = end;
  }
}
