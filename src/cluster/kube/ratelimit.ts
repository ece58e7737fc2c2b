/**
 * Client-side rate limiting like client-go's default: a token bucket that refills at `qps` tokens
 * per second up to `burst`, and makes callers wait (in FIFO order) for a token.
 */

/** Time source, injectable for tests. */
export interface RateClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: RateClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A token bucket; `acquire` resolves once a token is available, in the order callers asked. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly clock: RateClock = realClock,
  ) {
    if (!(qps > 0) || !(burst >= 1))
      throw new RangeError(`qps must be > 0 and burst >= 1 (got ${qps}/${burst})`);
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Waits for one token. Calls are served first come, first served. */
  acquire(): Promise<void> {
    const turn = this.tail.then(() => this.take());
    // A failed sleep must not wedge later callers.
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
  }

  private async take(): Promise<void> {
    this.refill();
    while (this.tokens < 1) {
      await this.clock.sleep(((1 - this.tokens) / this.qps) * 1000);
      this.refill();
    }
    this.tokens -= 1;
  }
}
