/**
 * The sim timeline's lines about everynode's rollout status: each change of phase (or, on apps/v1,
 * of the Progressing reason) and the InvalidStrategy condition coming and going. The observer
 * calls it on every sample; `last` is what was journaled for the DaemonSet so far.
 */
import type { DaemonSet } from '../api/types.js';
import type { Journal } from './journal.js';
import { invalidStrategy, rolloutChange } from './report/grid/rolloutstate.js';

/** What was last journaled for one DaemonSet. */
export interface RolloutJournalState {
  /** rolloutstate.ts rolloutChange's signature. */
  signature?: string | undefined;
  /** InvalidStrategy's message while it is True. */
  invalid?: string | undefined;
  /** The Prometheus gate's last query time journaled (status.rollout.metric). */
  metricAt?: string | undefined;
}

/** Journals what changed in ds's rollout status since `last`, and updates `last`. */
export function journalRollout(
  journal: Journal,
  key: string,
  ds: DaemonSet,
  last: RolloutJournalState,
): void {
  const change = rolloutChange(ds);
  if (change !== undefined && change.sig !== last.signature)
    journal.add('rollout', `${key}: ${change.text}`, key);
  last.signature = change?.sig;
  const invalid = invalidStrategy(ds);
  if (invalid !== last.invalid) {
    if (invalid !== undefined) journal.add('warning', `${key}: InvalidStrategy: ${invalid}`, key);
    else
      journal.add('rollout', `${key}: InvalidStrategy cleared: the annotations parse again`, key);
  }
  last.invalid = invalid;
  // Each answer of the Prometheus gate (CRD status.rollout.metric), so a trip reads as a story.
  const m = ds.status?.rollout?.metric;
  if (m?.lastQueryTime !== undefined && m.lastQueryTime !== last.metricAt) {
    const counts = [
      (m.failures ?? 0) > 0 ? `${m.failures} failing` : undefined,
      (m.inconclusive ?? 0) > 0 ? `${m.inconclusive} inconclusive` : undefined,
    ].filter((x) => x !== undefined);
    journal.add(
      'rollout',
      `${key}: prometheus gate answered ${m.lastResult ?? '?'}${counts.length > 0 ? ` (${counts.join(', ')} in a row)` : ''}`,
      key,
    );
  }
  last.metricAt = m?.lastQueryTime;
}
