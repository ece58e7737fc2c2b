/**
 * The failed-pod backoff of manage (§5.6), flowcontrol.Backoff without jitter: the key a node's
 * failed pods back off under, whether it is in backoff now, and the next entry.
 */
import type { DaemonSet } from '../api/types.js';
import type { BackoffConfig, BackoffEntry } from './types.js';

/** Production failed-pod backoff: 1 s initial, 15 min maximum (§5.6). */
export const DEFAULT_BACKOFF: BackoffConfig = Object.freeze({
  initialMs: 1000,
  maxMs: 15 * 60 * 1000,
});

/** The failed-pod backoff key "<uid>/<observedGeneration>/<node>" (§5.6). */
export function failedPodsBackoffKey(ds: DaemonSet, node: string): string {
  return `${ds.metadata?.uid ?? ''}/${ds.status?.observedGeneration ?? 0}/${node}`;
}

/** flowcontrol.Backoff hasExpired: no update for more than twice the maximum delay. */
function hasExpired(entry: BackoffEntry, now: number, cfg: BackoffConfig): boolean {
  return now - entry.lastUpdateMs > 2 * cfg.maxMs;
}

/** IsInBackOffSinceUpdate: true while less than the current delay has passed since the last update. */
export function isInBackoff(
  entry: BackoffEntry | undefined,
  now: number,
  cfg: BackoffConfig,
): boolean {
  if (entry === undefined || hasExpired(entry, now, cfg)) return false;
  return now - entry.lastUpdateMs < entry.delayMs;
}

/** Backoff.Next without jitter: the initial delay for a new or expired entry, else double, capped. */
export function nextBackoff(
  entry: BackoffEntry | undefined,
  now: number,
  cfg: BackoffConfig,
): BackoffEntry {
  if (entry === undefined || hasExpired(entry, now, cfg))
    return { delayMs: cfg.initialMs, lastUpdateMs: now };
  return { delayMs: Math.min(entry.delayMs * 2, cfg.maxMs), lastUpdateMs: now };
}

/** A short human duration: 500ms, 2s, 1m4s, 15m. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const total = Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return s > 0 ? `${m}m${s}s` : `${m}m`;
  return `${s}s`;
}
