/**
 * `kubectl rollout status daemonset/x` (§9.4): whether a rollout is done, worded like kubectl.
 */
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
