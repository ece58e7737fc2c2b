/**
 * `kubectl rollout status daemonset/x` (§9.4): whether a rollout is done, worded like kubectl.
 */
import { PROGRESSING_CONDITION, REASON } from '../api/rolloutconditions.js';
import type { DaemonSet } from '../api/types.js';

/** One look at a rollout: kubectl's message (without its trailing newline) and whether it is done. */
export interface RolloutStatus {
  readonly done: boolean;
  readonly message: string;
}

/** The strategy has no rollout to watch (OnDelete); kubectl stops with this error. */
export class RolloutStatusUnsupportedError extends Error {
  override name = 'RolloutStatusUnsupportedError';
  constructor() {
    super('rollout status is only available for RollingUpdate strategy type');
  }
}

/**
 * DaemonSetStatusViewer.Status: not done until the spec is observed, every desired node runs an
 * updated pod and every one is available. Throws RolloutStatusUnsupportedError unless the
 * strategy is RollingUpdate.
 */
export function rolloutStatus(ds: DaemonSet): RolloutStatus {
  if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate')
    throw new RolloutStatusUnsupportedError();
  const name = ds.metadata?.name ?? '';
  const s = ds.status;
  if ((ds.metadata?.generation ?? 0) > (s?.observedGeneration ?? 0)) {
    return { done: false, message: 'Waiting for daemon set spec update to be observed...' };
  }
  const desired = s?.desiredNumberScheduled ?? 0;
  const updated = s?.updatedNumberScheduled ?? 0;
  const available = s?.numberAvailable ?? 0;
  if (updated < desired) {
    return {
      done: false,
      message: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`,
    };
  }
  if (available < desired) {
    return {
      done: false,
      message: `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...`,
    };
  }
  return { done: true, message: `daemon set "${name}" successfully rolled out` };
}

/** Progressing reasons whose message says where a canary or a wave stands. */
const STEP_REASONS: ReadonlySet<string> = new Set([
  REASON.canary,
  REASON.canaryBaking,
  REASON.waveBaking,
  REASON.awaitingPromotion,
]);

/**
 * What everynode's status adds to a rollout still under way (issue 12): the canary or wave step,
 * unavailable pods their nodes explain, removals the removal budget holds back, the Prometheus
 * gate's last answer. Empty when none of it is in the status, so a plain apps/v1 DaemonSet keeps
 * kubectl's exact line.
 */
export function stepDetail(ds: DaemonSet): string {
  const p = ds.status?.conditions?.find((c) => c.type === PROGRESSING_CONDITION);
  const s = ds.status;
  const parts: string[] = [];
  const wave = s?.rollout?.wave;
  if (p?.status === 'True' && p.reason !== undefined && STEP_REASONS.has(p.reason) && p.message)
    parts.push(p.message);
  else if (wave?.name !== undefined && wave.nodes !== undefined)
    parts.push(`wave ${wave.name}: ${wave.updated ?? 0} of ${wave.nodes} nodes updated`);
  const nodeCaused = s?.numberUnavailableNodeCaused ?? 0;
  if (nodeCaused > 0)
    parts.push(
      `${nodeCaused} unavailable ${nodeCaused === 1 ? 'pod is' : 'pods are'} on impaired nodes`,
    );
  const pending = s?.pendingRemovals ?? 0;
  if (pending > 0)
    parts.push(
      `${pending} ${pending === 1 ? 'removal waits' : 'removals wait'} for the removal budget`,
    );
  // The Prometheus gate's last answer (CRD status.rollout.metric), while the rollout is under way.
  const m = s?.rollout?.metric;
  if (m?.lastResult !== undefined) {
    const counts = [
      (m.failures ?? 0) > 0 ? `${m.failures} failing` : undefined,
      (m.inconclusive ?? 0) > 0 ? `${m.inconclusive} inconclusive` : undefined,
    ].filter((x) => x !== undefined);
    parts.push(
      `prometheus gate: last answer ${m.lastResult}${m.lastQueryTime !== undefined ? ` at ${m.lastQueryTime}` : ''}${counts.length > 0 ? ` (${counts.join(', ')} in a row)` : ''}`,
    );
  }
  return parts.join('; ');
}
