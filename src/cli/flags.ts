/**
 * Flag values every command parses the same way: durations (Go syntax, through the one parser in
 * src/sim/duration.ts), counts and rates. Each bad value is a UsageError naming the flag (exit 2).
 */
import { durationError, formatDuration, parseDuration as parseAny } from '../sim/duration.js';
import { UsageError } from './errors.js';

/** Bounds for one duration flag, in ms. */
export interface DurationBounds {
  readonly min?: number;
  readonly max?: number;
}

/**
 * A duration flag in ms: Go's syntax ("500ms", "15s", "1m30s", "2h"), a bare number is seconds.
 * Out-of-bounds values are refused with the bound in the message.
 */
export function parseDuration(name: string, v: string, bounds: DurationBounds = {}): number {
  const ms = parseAny(v);
  if (ms === undefined) {
    // Go's reason only when it says more than "invalid" (a missing or unknown unit, a sign).
    const why = durationError(v);
    const detail = why === undefined || why.startsWith('invalid') ? '' : ` (${why})`;
    throw new UsageError(
      `${name}: expected a duration such as 30s, 5m or 1m30s, got "${v}"${detail}`,
    );
  }
  if (bounds.min !== undefined && ms < bounds.min)
    throw new UsageError(`${name}: must be at least ${formatDuration(bounds.min)}, got "${v}"`);
  if (bounds.max !== undefined && ms > bounds.max)
    throw new UsageError(`${name}: must be at most ${formatDuration(bounds.max)}, got "${v}"`);
  return ms;
}

/** An integer flag ≥ min. */
export function positiveInt(name: string, v: string, min = 1): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isSafeInteger(n) || n < min)
    throw new UsageError(`${name}: expected an integer ≥ ${min}, got "${v}"`);
  return n;
}

/** A number flag > 0. */
export function positiveNumber(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new UsageError(`${name}: expected a number > 0, got "${v}"`);
  return n;
}
