/**
 * Failed-pod backoff across syncs (spec §5.6). The engine decides with a read-only copy of this
 * state (Snapshot.backoff) and returns the entries it advanced (Plan.backoffUpdates); this store
 * keeps them between syncs and drops stale entries every minute, like flowcontrol.Backoff's GC.
 */
import type { BackoffConfig, BackoffEntry, BackoffState } from '../engine/types.js';
import type { Clock, TimerHandle } from '../clock/clock.js';

/** Production backoff: 1 s initial delay, 15 min maximum. */
export const DEFAULT_BACKOFF: BackoffConfig = { initialMs: 1000, maxMs: 15 * 60 * 1000 };
/** Upstream's BackoffGCInterval. */
export const BACKOFF_GC_INTERVAL_MS = 60 * 1000;

/** Failed-pod backoff entries keyed by "<ds.uid>/<observedGeneration>/<node>". */
export class FailedPodBackoff {
  private readonly entries = new Map<string, BackoffEntry>();
  private gcTimer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    readonly config: BackoffConfig = DEFAULT_BACKOFF,
  ) {}

  /** A copy of the current state, safe to hand to the engine. */
  snapshot(): BackoffState {
    return new Map(this.entries);
  }

  /** Stores the entries a plan advanced. */
  apply(updates: ReadonlyMap<string, BackoffEntry>): void {
    for (const [k, v] of updates) this.entries.set(k, v);
  }

  /** Removes entries not updated for 2 × max, after which upstream treats a key as fresh. */
  gc(): void {
    const now = this.clock.now();
    for (const [k, v] of this.entries) {
      if (now - v.lastUpdateMs > 2 * this.config.maxMs) this.entries.delete(k);
    }
  }

  /** Starts the periodic GC on the Clock. */
  start(): void {
    if (this.gcTimer !== undefined) return;
    const tick = (): void => {
      this.gc();
      this.gcTimer = this.clock.setTimeout(tick, BACKOFF_GC_INTERVAL_MS);
    };
    this.gcTimer = this.clock.setTimeout(tick, BACKOFF_GC_INTERVAL_MS);
  }

  /** Stops the periodic GC. */
  stop(): void {
    this.gcTimer?.cancel();
    this.gcTimer = undefined;
  }

  /** The number of entries. */
  size(): number {
    return this.entries.size;
  }
}
