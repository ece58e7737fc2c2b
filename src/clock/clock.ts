/**
 * The clock every runtime component reads time from (the controller, the embedded cluster, the
 * simulator, the CLI), so that everything can run on one virtual clock (virtual.ts) and replay
 * exactly from a seed. It sits below all of them and imports nothing.
 */

/** A handle for a scheduled callback. */
export interface TimerHandle {
  cancel(): void;
}

/** Time source and timers. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Runs fn after ms (virtual or real). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

/** The wall clock. */
export class RealClock implements Clock {
  now(): number {
    return Date.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = setTimeout(fn, ms);
    return {
      cancel: () => {
        clearTimeout(t);
      },
    };
  }
}
