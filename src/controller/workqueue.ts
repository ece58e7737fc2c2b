/**
 * The work queue of DaemonSet keys (spec §3): de-duplicated, one worker per key at a time, per-key
 * exponential backoff on failure, delayed adds through the Clock, and a shutdown that lets
 * in-flight work finish. Modelled on client-go's workqueue, holding keys and never objects.
 */
import type { Clock, TimerHandle } from '../clock/clock.js';

/** Hooks the queue calls so that metrics (prom-client or a test counter) can be attached. */
export interface WorkQueueMetrics {
  /** The number of keys waiting to be handed to a worker, after every change. */
  depth(n: number): void;
  /** A key was added (including duplicates that were folded). */
  add(): void;
  /** A key was re-added with rate limiting after a failure. */
  retry(): void;
  /** Milliseconds a key waited between being queued and being handed to a worker. */
  latency(ms: number): void;
  /** Milliseconds a worker held a key (get to done). */
  workDuration(ms: number): void;
}

/** Metrics hooks that do nothing. */
export const noopQueueMetrics: WorkQueueMetrics = {
  depth() {},
  add() {},
  retry() {},
  latency() {},
  workDuration() {},
};

/** Per-key exponential backoff: base × 2^failures, capped; forget() resets a key. */
export class ItemExponentialRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();

  /** Defaults are upstream's: 5 ms doubling up to 1000 s. */
  constructor(
    readonly baseMs = 5,
    readonly maxMs = 1_000_000,
  ) {}

  /** The delay before the next retry of key; every call counts as one more failure. */
  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity for large n; the cap keeps the result finite.
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }

  /** How many failures key has had since the last forget. */
  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Clears the failure count of key. */
  forget(key: string): void {
    this.failures.delete(key);
  }
}

/** A rate limiter: the delay before a key's next retry, its failure count, and a reset. */
export interface RateLimiter {
  when(key: string): number;
  retries(key: string): number;
  forget(key: string): void;
}

/**
 * An overall token bucket (qps, burst) on the Clock: every retry takes a token, and a retry
 * without one waits until the bucket refills. It bounds the retry rate across all keys.
 */
export class BucketRateLimiter implements RateLimiter {
  private tokens: number;
  private last: number;

  /** Defaults are upstream's: 10 qps with a burst of 100. */
  constructor(
    private readonly clock: Clock,
    readonly qps = 10,
    readonly burst = 100,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_key: string): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.qps);
  }

  retries(_key: string): number {
    return 0;
  }

  forget(_key: string): void {
    // The bucket is shared by all keys; nothing is kept per key.
  }
}

/** upstream's DefaultControllerRateLimiter: the larger of per-key exponential and the overall bucket. */
export class ControllerRateLimiter implements RateLimiter {
  readonly item: ItemExponentialRateLimiter;
  readonly bucket: BucketRateLimiter;

  constructor(
    clock: Clock,
    item = new ItemExponentialRateLimiter(),
    bucket = new BucketRateLimiter(clock),
  ) {
    this.item = item;
    this.bucket = bucket;
  }

  when(key: string): number {
    return Math.max(this.item.when(key), this.bucket.when(key));
  }

  retries(key: string): number {
    return this.item.retries(key);
  }

  forget(key: string): void {
    this.item.forget(key);
  }
}

/** Options for a WorkQueue. */
export interface WorkQueueOptions {
  readonly clock: Clock;
  /** Default: ControllerRateLimiter (5 ms–1000 s per key, 10 qps / burst 100 overall). */
  readonly rateLimiter?: RateLimiter;
  readonly metrics?: WorkQueueMetrics;
}

/**
 * A rate-limited, delaying work queue. A key is never handed to two workers at once; a key added
 * while it is being processed is handed out again after done(). After shutdown, get() resolves
 * undefined and adds are dropped.
 */
export class WorkQueue {
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;
  private readonly metrics: WorkQueueMetrics;
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly addedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly delayed = new Map<
    string,
    { readonly readyAt: number; readonly timer: TimerHandle }
  >();
  private readonly coalescing = new Map<string, TimerHandle>();
  private shuttingDown = false;
  private drained: (() => void) | undefined;

  constructor(opts: WorkQueueOptions) {
    this.clock = opts.clock;
    this.limiter = opts.rateLimiter ?? new ControllerRateLimiter(opts.clock);
    this.metrics = opts.metrics ?? noopQueueMetrics;
  }

  /** Queues key unless it is already waiting; a key being processed runs again after done(). */
  add(key: string): void {
    if (this.shuttingDown) return;
    this.metrics.add();
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    if (!this.addedAt.has(key)) this.addedAt.set(key, this.clock.now());
    if (this.processing.has(key)) return;
    this.queue.push(key);
    this.metrics.depth(this.queue.length);
    this.dispatch();
  }

  /**
   * Adds key after ms on the Clock. Several delayed adds of one key keep only the earliest, so a
   * key has at most one pending timer.
   */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.clock.now() + ms;
    const pending = this.delayed.get(key);
    if (pending !== undefined) {
      if (pending.readyAt <= readyAt) return;
      pending.timer.cancel();
    }
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { readyAt, timer });
  }

  /**
   * Adds key ms after the first of a burst of calls; calls while one is pending fold into it, and
   * the window does not slide, so a steady stream still yields one add per ms. A key already
   * waiting for a worker, or handed to one meanwhile, needs no add: that sync reads the caches
   * after the calls. Separate from addAfter, whose timed requeues must not be dropped this way.
   */
  addCoalesced(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    if (this.coalescing.has(key)) {
      this.metrics.add();
      return;
    }
    if (this.dirty.has(key) && !this.processing.has(key)) {
      this.metrics.add();
      return;
    }
    const timer = this.clock.setTimeout(() => {
      this.coalescing.delete(key);
      this.add(key);
    }, ms);
    this.coalescing.set(key, timer);
  }

  /** Adds key after its per-key backoff delay (a failed sync). */
  addRateLimited(key: string): void {
    if (this.shuttingDown) return;
    this.metrics.retry();
    this.addAfter(key, this.limiter.when(key));
  }

  /** Resets the backoff of key (a successful sync). */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  /** Failures of key since its last forget. */
  numRequeues(key: string): number {
    return this.limiter.retries(key);
  }

  /** Resolves with the next key to process, or undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    if (this.queue.length > 0) return Promise.resolve(this.take());
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks key as processed; if it was re-added meanwhile, it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    const started = this.startedAt.get(key);
    if (started !== undefined) this.metrics.workDuration(this.clock.now() - started);
    this.startedAt.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) {
      this.queue.push(key);
      this.metrics.depth(this.queue.length);
      this.dispatch();
    }
    if (this.shuttingDown && this.processing.size === 0) this.drained?.();
  }

  /** Keys waiting for a worker (not counting delayed adds). */
  len(): number {
    return this.queue.length;
  }

  /** Keys currently held by workers. */
  inFlight(): number {
    return this.processing.size;
  }

  /**
   * Milliseconds (on the queue's clock) that each key held by a worker has been held so far:
   * client-go's workqueue_unfinished_work_seconds and longest_running_processor_seconds.
   */
  processingAges(): number[] {
    const now = this.clock.now();
    const ages: number[] = [];
    for (const t of this.startedAt.values()) ages.push(now - t);
    return ages;
  }

  /** Keys with a pending delayed add (timed or coalesced; a key with both counts twice). */
  delayedCount(): number {
    return this.delayed.size + this.coalescing.size;
  }

  /** True once shutdown has begun. */
  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /**
   * Stops handing out keys, drops queued and delayed ones, and resolves once every key held by a
   * worker has been marked done.
   */
  shutDownWithDrain(): Promise<void> {
    this.shuttingDown = true;
    for (const d of this.delayed.values()) d.timer.cancel();
    this.delayed.clear();
    for (const t of this.coalescing.values()) t.cancel();
    this.coalescing.clear();
    this.queue.length = 0;
    this.metrics.depth(0);
    for (const w of this.waiters.splice(0)) w(undefined);
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.drained = resolve;
    });
  }

  private dispatch(): void {
    while (this.waiters.length > 0 && this.queue.length > 0) {
      const waiter = this.waiters.shift()!;
      waiter(this.take());
    }
  }

  private take(): string {
    const key = this.queue.shift()!;
    this.metrics.depth(this.queue.length);
    const coalesced = this.coalescing.get(key);
    if (coalesced !== undefined) {
      coalesced.cancel();
      this.coalescing.delete(key);
    }
    this.processing.add(key);
    this.dirty.delete(key);
    const now = this.clock.now();
    const added = this.addedAt.get(key);
    if (added !== undefined) this.metrics.latency(now - added);
    this.addedAt.delete(key);
    this.startedAt.set(key, now);
    return key;
  }
}
