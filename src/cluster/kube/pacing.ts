/**
 * The client's request pacing: client-go's token bucket (qps, burst), with two differences.
 *
 * 1. Callers that must wait for a token are released in groups, not one per 1/qps: while several
 *    wait, the bucket lets up to RELEASE_WINDOW_MS of tokens gather and hands them out together.
 *    The rate and the burst are client-go's; what changes is that at 20 qps the process wakes
 *    about 5 times a second instead of 20. On this kind of machine a request sent alone after an
 *    idle pause costs two to three times the CPU of the same request sent beside others (cold
 *    caches and the wake-up itself: docs/dev/bench-cluster.md, "CPU per unit of time"), and a
 *    rate-limited controller sends every request alone. A waiting request may leave up to the
 *    window later than client-go would send it; the last of a queue leaves at the same time.
 *
 * 2. Opt-in adaptive pacing (`adaptive`): the rate starts at qps and is raised while the API
 *    server answers writes quickly and without 429, and lowered at once on a 429, a Retry-After
 *    or latency rising above what the server showed when it was quiet; never below qps, and
 *    during a Retry-After nothing is sent. The burst scales with the rate. The API server's side
 *    of the bargain is API Priority and Fairness; this is the client's.
 *
 * One timer at most is pending, and only while someone waits: an idle client costs nothing.
 */

/** Time source and timer, injectable for tests. */
export interface PacerClock {
  now(): number;
  setTimer(fn: () => void, ms: number): { cancel(): void };
}

const realClock: PacerClock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return {
      cancel: () => {
        clearTimeout(t);
      },
    };
  },
};

/** How long tokens may gather for callers already waiting before they are handed out together. */
export const RELEASE_WINDOW_MS = 200;

/** What the transport reports about each request once its response headers arrive (or it failed). */
export interface RequestOutcome {
  readonly method: string;
  /** A watch: its latency says nothing about load (it is held open), its 429 does. */
  readonly watch: boolean;
  /** HTTP status, 0 when no response came. */
  readonly status: number;
  /** From sending the request to its response headers. */
  readonly latencyMs: number;
  /** The server's Retry-After, in ms, when it sent one. */
  readonly retryAfterMs?: number;
}

/** Settings of adaptive pacing; every field has a default. */
export interface AdaptiveOptions {
  /** The highest rate (default 50 × qps). */
  readonly maxQps?: number;
  /** How often the rate is judged, ms (default 250). */
  readonly intervalMs?: number;
  /** Raise factor per interval in which callers had to wait and latency was normal (default 1.5). */
  readonly increase?: number;
  /** Factor on rising latency (default 0.7) and on a 429 (its square). */
  readonly decrease?: number;
  /**
   * Latency counts as rising when an interval's median write latency exceeds the quiet baseline
   * by this factor and by at least `minRiseMs` (defaults 2 and 20 ms).
   */
  readonly riseFactor?: number;
  readonly minRiseMs?: number;
  /** With nobody waiting for this long, the rate returns to qps (default 10 s). */
  readonly idleResetMs?: number;
}

/** What the pacer is doing, for metrics and the benchmark. */
export interface PacerStats {
  readonly qps: number;
  readonly burst: number;
  readonly adaptive: boolean;
  readonly raises: number;
  readonly backoffs: number;
  readonly tooManyRequests: number;
  /** The lowest interval median of write latency seen in the recent past (ms), if any. */
  readonly baselineMs: number | undefined;
}

/** Options of a Pacer. */
export interface PacerOptions {
  readonly qps: number;
  readonly burst: number;
  /** Adaptive pacing; absent or false: a fixed rate. */
  readonly adaptive?: AdaptiveOptions | boolean;
  readonly clock?: PacerClock;
  /** Default RELEASE_WINDOW_MS; 0 hands out each token alone, as client-go does. */
  readonly releaseWindowMs?: number;
}

/** Floating-point slack when counting whole tokens (a timer may fire a hair early). */
const EPS = 1e-9;
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Interval medians kept for the baseline: the lowest of these (about 10 s at 250 ms). */
const BASELINE_INTERVALS = 40;
/** Fewest write latencies an interval needs before it is judged. */
const MIN_SAMPLES = 4;

/**
 * A token bucket that serves callers first come, first served, hands tokens out in groups
 * (above) and, when adaptive, moves its rate with the server's answers. Never throws.
 */
export class Pacer {
  private readonly clock: PacerClock;
  private readonly baseQps: number;
  private readonly baseBurst: number;
  private readonly window: number;
  private readonly adapt: Required<AdaptiveOptions> | undefined;
  private rate: number;
  private cap: number;
  private tokens: number;
  private last: number;
  private readonly waiters: (() => void)[] = [];
  private timer: { cancel(): void } | undefined;
  private pausedUntil = 0;
  // Adaptive state.
  private intervalStart: number;
  private samples: number[] = [];
  private waited = false;
  private lastWaitAt: number;
  private medians: number[] = [];
  private counts = { raises: 0, backoffs: 0, tooManyRequests: 0 };

  constructor(opts: PacerOptions) {
    if (!(opts.qps > 0) || !(opts.burst >= 1))
      throw new RangeError(`qps must be > 0 and burst >= 1 (got ${opts.qps}/${opts.burst})`);
    this.clock = opts.clock ?? realClock;
    this.baseQps = opts.qps;
    this.baseBurst = opts.burst;
    this.window = opts.releaseWindowMs ?? RELEASE_WINDOW_MS;
    const a = opts.adaptive === true ? {} : opts.adaptive === false ? undefined : opts.adaptive;
    this.adapt =
      a === undefined
        ? undefined
        : {
            maxQps: Math.max(opts.qps, a.maxQps ?? opts.qps * 50),
            intervalMs: a.intervalMs ?? 250,
            increase: a.increase ?? 1.5,
            decrease: a.decrease ?? 0.7,
            riseFactor: a.riseFactor ?? 2,
            minRiseMs: a.minRiseMs ?? 20,
            idleResetMs: a.idleResetMs ?? 10_000,
          };
    this.rate = opts.qps;
    this.cap = opts.burst;
    this.tokens = opts.burst;
    this.last = this.clock.now();
    this.intervalStart = this.last;
    this.lastWaitAt = this.last;
  }

  /** The current rate and burst. */
  get qps(): number {
    return this.rate;
  }

  /** Counters and the current rate. */
  stats(): PacerStats {
    return {
      qps: this.rate,
      burst: this.cap,
      adaptive: this.adapt !== undefined,
      ...this.counts,
      baselineMs: this.baseline(),
    };
  }

  /** Resolves once the caller may send; callers are served in the order they asked. */
  acquire(): Promise<void> {
    const now = this.clock.now();
    this.refill(now);
    if (this.adapt !== undefined) this.maybeResetIdle(now);
    if (this.waiters.length === 0 && this.tokens >= 1 - EPS && now >= this.pausedUntil) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    this.waited = true;
    this.lastWaitAt = now;
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.schedule(now);
    });
  }

  /** Takes the outcome of one request into account (adaptive pacing only; else nothing). */
  observe(o: RequestOutcome): void {
    const a = this.adapt;
    if (a === undefined) return;
    const now = this.clock.now();
    if (o.status === 429 || o.retryAfterMs !== undefined) {
      this.counts.tooManyRequests += o.status === 429 ? 1 : 0;
      if (o.retryAfterMs !== undefined && o.retryAfterMs > 0)
        this.pausedUntil = Math.max(this.pausedUntil, now + o.retryAfterMs);
      this.setRate(this.rate * a.decrease * a.decrease, now);
      this.counts.backoffs++;
      return;
    }
    if (o.watch || !WRITE_METHODS.has(o.method) || o.status === 0) return;
    this.samples.push(o.latencyMs);
    const base = this.baseline();
    // One answer far beyond the baseline is enough to back off at once.
    if (base !== undefined && o.latencyMs > 4 * base && o.latencyMs > base + 5 * a.minRiseMs) {
      this.backOff(now);
      return;
    }
    if (now - this.intervalStart >= a.intervalMs && this.samples.length >= MIN_SAMPLES)
      this.judge(now);
  }

  private judge(now: number): void {
    const a = this.adapt!;
    const sorted = this.samples.slice().sort((x, y) => x - y);
    const median = sorted[sorted.length >> 1]!;
    const base = this.baseline();
    this.medians.push(median);
    if (this.medians.length > BASELINE_INTERVALS) this.medians.shift();
    const rising =
      base !== undefined && median > base * a.riseFactor && median > base + a.minRiseMs;
    if (rising) this.backOff(now);
    else if (this.waited && this.rate < a.maxQps) {
      this.setRate(this.rate * a.increase, now);
      this.counts.raises++;
    }
    this.startInterval(now);
  }

  private backOff(now: number): void {
    const a = this.adapt!;
    if (this.rate > this.baseQps) this.counts.backoffs++;
    this.setRate(this.rate * a.decrease, now);
    this.startInterval(now);
  }

  private startInterval(now: number): void {
    this.intervalStart = now;
    this.samples = [];
    this.waited = this.waiters.length > 0;
  }

  private baseline(): number | undefined {
    if (this.medians.length === 0) return undefined;
    let m = Infinity;
    for (const v of this.medians) if (v < m) m = v;
    return m;
  }

  /** After a long time with nobody waiting, the next burst starts at the configured rate. */
  private maybeResetIdle(now: number): void {
    if (this.waiters.length === 0 && now - this.lastWaitAt > this.adapt!.idleResetMs)
      this.setRate(this.baseQps, now);
  }

  private setRate(qps: number, now: number): void {
    const a = this.adapt!;
    this.refill(now);
    this.rate = Math.min(a.maxQps, Math.max(this.baseQps, qps));
    this.cap = Math.max(1, Math.round((this.baseBurst * this.rate) / this.baseQps));
    this.tokens = Math.min(this.tokens, this.cap);
    if (this.waiters.length > 0) {
      // The pending release was timed for the old rate.
      this.timer?.cancel();
      this.timer = undefined;
      this.schedule(now);
    }
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.cap, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  /** Arms the one timer for when enough tokens for a group of waiters will have gathered. */
  private schedule(now: number): void {
    if (this.timer !== undefined || this.waiters.length === 0) return;
    const group = Math.max(1, Math.min(this.cap, Math.floor((this.rate * this.window) / 1000)));
    const need = Math.min(this.waiters.length, group);
    const ms = Math.max(this.pausedUntil - now, ((need - this.tokens) / this.rate) * 1000, 0);
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      this.release();
    }, Math.ceil(ms));
  }

  private release(): void {
    const now = this.clock.now();
    this.refill(now);
    if (now >= this.pausedUntil) {
      while (this.waiters.length > 0 && this.tokens >= 1 - EPS) {
        this.tokens -= 1;
        this.waiters.shift()!();
      }
    }
    this.schedule(now);
  }
}
