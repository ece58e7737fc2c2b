/**
 * Tracks the simulation components' own asynchronous work, so the runner knows when an instant
 * of virtual time is finished: nothing queued, nothing in flight.
 */

/** Counts in-flight promises and queued flushes; errors are collected, never thrown into the void. */
export class WorkTracker {
  private inflight = 0;
  private readonly flushes = new Set<() => Promise<void>>();
  private scheduled = false;
  readonly errors: unknown[] = [];

  /** True when no work is queued or running. */
  get idle(): boolean {
    return this.inflight === 0 && this.flushes.size === 0 && !this.scheduled;
  }

  /** Runs a promise-returning job now, counting it until it settles. */
  run(job: () => Promise<unknown>): void {
    this.inflight++;
    job()
      .catch((err: unknown) => {
        this.errors.push(err);
      })
      .finally(() => {
        this.inflight--;
      });
  }

  /**
   * Asks for `flush` to run once, after the current synchronous work (a watch callback, a timer)
   * has returned; several requests in the same turn collapse into one call, which batches writes.
   */
  request(flush: () => Promise<void>): void {
    this.flushes.add(flush);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      const fns = [...this.flushes];
      this.flushes.clear();
      for (const f of fns) this.run(f);
    });
  }
}
