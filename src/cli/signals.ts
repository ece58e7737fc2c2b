/**
 * SIGTERM and SIGINT for `everynode run`, from the first moment of the process. bin/everynode.js
 * (and main.ts, for `node src/cli/main.ts`) start recording signals before the modules load; the
 * run command then takes them over, so a SIGTERM that arrives while the process is still loading
 * is a request to stop like any other, not a kill (exit 143) half-way through start-up.
 *
 * The hand-over goes through a global registered under Symbol.for, which bin/everynode.js can
 * set without importing anything.
 */

/** The signals `run` treats as a request to stop. */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** The number of each stop signal, for the conventional 128+n exit code of a forced exit. */
export const SIGNAL_NUMBER: Readonly<Record<(typeof STOP_SIGNALS)[number], number>> = {
  SIGINT: 2,
  SIGTERM: 15,
};

interface Early {
  readonly received: NodeJS.Signals[];
  listener: ((signal: NodeJS.Signals) => void) | undefined;
}

const KEY = Symbol.for('everynode.early-signals');

function slot(): { [KEY]?: Early } {
  return globalThis as { [KEY]?: Early };
}

/** Starts recording stop signals (idempotent; bin/everynode.js may have done it already). */
export function catchSignalsEarly(): void {
  const g = slot();
  if (g[KEY] !== undefined) return;
  const early: Early = { received: [], listener: undefined };
  early.listener = (signal) => {
    early.received.push(signal);
  };
  for (const s of STOP_SIGNALS) process.on(s, early.listener);
  g[KEY] = early;
}

/**
 * Hands stop signals to `handler` from now on: first the ones recorded since start-up, in order,
 * then each new one. Returns a function that removes the handler again.
 */
export function takeSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  const early = slot()[KEY];
  const pending = early?.received.splice(0) ?? [];
  for (const s of STOP_SIGNALS) process.on(s, handler);
  if (early?.listener !== undefined) {
    for (const s of STOP_SIGNALS) process.off(s, early.listener);
    early.listener = undefined;
  }
  for (const s of pending) handler(s);
  return () => {
    for (const s of STOP_SIGNALS) process.off(s, handler);
  };
}
