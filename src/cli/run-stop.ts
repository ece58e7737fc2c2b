/**
 * How `everynode run` comes to an end, whatever state it is in: the first SIGTERM/SIGINT (or
 * --run-for, or convergence) requests an orderly stop; a second signal, or a stop that takes
 * longer than --shutdown-timeout, ends the process at once. The orderly path itself lives in
 * runCommand and ControllerProcess; this only decides when, and enforces the bounds.
 */
import type { Logger } from '../controller/logger.js';
import { formatDuration } from '../sim/duration.js';
import { SIGNAL_NUMBER } from './signals.js';

/** Exit code when the orderly stop took longer than the shutdown timeout. */
export const EXIT_SHUTDOWN_TIMEOUT = 1;

/** Node's timers fire at once past this (2^31-1 ms, 24.8 days), with a TimeoutOverflowWarning. */
const MAX_TIMER_MS = 2_147_483_647;

/** A timer that may be longer than Node allows: waits in steps. cancel() stops it. */
export function longTimeout(fn: () => void, ms: number): { cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const due = performance.now() + ms;
  const step = (): void => {
    const left = due - performance.now();
    if (left <= 0) {
      if (!cancelled) fn();
      return;
    }
    timer = setTimeout(step, Math.min(left, MAX_TIMER_MS));
  };
  step();
  return {
    cancel: () => {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

/** What a Stopper needs. */
export interface StopperOptions {
  readonly logger: Logger;
  /** Called before a forced exit so buffered log lines are written. */
  readonly flush: () => void;
  /** How long the orderly stop may take once requested. */
  readonly shutdownTimeoutMs: number;
  /** Ends the process; tests replace it. */
  readonly exit?: (code: number) => void;
}

/** The stop request of one run, and the bounds on how long stopping may take. */
export class Stopper {
  /** Resolves with the reason once a stop is requested. */
  readonly requested: Promise<string>;
  private resolve!: (reason: string) => void;
  private reason: string | undefined;
  private readonly timers: { cancel(): void }[] = [];
  private readonly exit: (code: number) => void;

  constructor(private readonly opts: StopperOptions) {
    this.requested = new Promise((resolve) => (this.resolve = resolve));
    this.exit =
      opts.exit ??
      ((code) => {
        process.exit(code);
      });
  }

  /** True once a stop has been requested. */
  get stopping(): boolean {
    return this.reason !== undefined;
  }

  /** Requests the orderly stop (idempotent) and starts the shutdown timeout. */
  request(reason: string): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    const ms = this.opts.shutdownTimeoutMs;
    const t = setTimeout(() => {
      this.opts.logger.error(
        { reason, shutdownTimeoutMs: ms },
        `shutdown did not finish within ${formatDuration(ms)}; exiting`,
      );
      this.opts.flush();
      this.exit(EXIT_SHUTDOWN_TIMEOUT);
    }, ms);
    // The timer bounds the stop; it must not be what keeps a finished process alive.
    t.unref();
    this.timers.push({
      cancel: () => {
        clearTimeout(t);
      },
    });
    this.resolve(reason);
  }

  /** A stop signal: the first asks for the orderly stop, the second forces the exit (128+n). */
  signal(signal: NodeJS.Signals): void {
    if (this.reason === undefined) {
      this.opts.logger.info({ signal }, 'signal received');
      this.request(signal);
      return;
    }
    const code = 128 + (SIGNAL_NUMBER[signal as keyof typeof SIGNAL_NUMBER] ?? 15);
    this.opts.logger.warn({ signal, exitCode: code }, 'second signal received; exiting at once');
    this.opts.flush();
    this.exit(code);
  }

  /** Requests the stop after ms (any length, beyond Node's 24.8-day timer limit too). */
  after(ms: number, reason: string): void {
    this.timers.push(
      longTimeout(() => {
        this.opts.logger.info({ reason }, 'stopping');
        this.request(reason);
      }, ms),
    );
  }

  /** Cancels the timers (the run is over). */
  dispose(): void {
    for (const t of this.timers.splice(0)) t.cancel();
  }
}
