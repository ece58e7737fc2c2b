/**
 * `everynode rollout status`: kubectl's status lines for a DaemonSet rollout, following the
 * DaemonSet with a watch until the rollout is done.
 */
import { GoneError, type Watch } from '../cluster/port.js';
import type { Clock, TimerHandle } from '../clock/clock.js';
import type { DaemonSet } from '../api/types.js';
import { controlledRolloutStatus } from './rollout-conditions.js';
import { getDs, kindOf, RolloutError, type RolloutTarget } from './rollout-target.js';

/** Options of `rollout status`. */
export interface StatusOptions {
  /** Keep watching until done (kubectl's default); false prints the status once. */
  readonly watch: boolean;
  /** Give up after this long (0 or undefined: never), "timed out waiting for the condition". */
  readonly timeoutMs?: number | undefined;
  readonly clock: Clock;
  readonly write: (text: string) => void;
  /** Called with every version of the DaemonSet read or watched (the tree view redraws on it). */
  readonly onObject?: (ds: DaemonSet) => void;
}

/**
 * `rollout status` (§9.4, scenario 58): prints kubectl's status line whenever it changes and
 * resolves once the rollout is done or at its partition (or after one look with watch false).
 * Rejects with a RolloutError for OnDelete, a deleted DaemonSet, the timeout, a passed progress
 * deadline, a failed health gate or an abort; with a ClusterError otherwise.
 */
export async function rolloutStatusWatch(t: RolloutTarget, opts: StatusOptions): Promise<void> {
  let last = '';
  const report = (ds: DaemonSet): boolean => {
    opts.onObject?.(ds);
    let s;
    try {
      s = controlledRolloutStatus(ds);
    } catch (err) {
      if (err instanceof RolloutError) throw err;
      throw new RolloutError(err instanceof Error ? err.message : String(err));
    }
    if (s.message !== last) opts.write(`${s.message}\n`);
    last = s.message;
    return s.done;
  };
  // The timeout covers the whole command, the first read included: a server that accepts the
  // connection and never answers must not outlast it.
  let timer: TimerHandle | undefined;
  const ms = opts.timeoutMs ?? 0;
  const deadline =
    ms > 0
      ? new Promise<never>((_, reject) => {
          timer = opts.clock.setTimeout(() => {
            reject(new RolloutError('timed out waiting for the condition'));
          }, ms);
        })
      : undefined;
  deadline?.catch(() => undefined);
  const within = <R>(p: Promise<R>): Promise<R> =>
    deadline === undefined ? p : Promise.race([p, deadline]);
  let following: { done: Promise<void>; stop: () => void } | undefined;
  try {
    const first = await within(getDs(t));
    if (report(first) || !opts.watch) return;
    following = followUntilDone(t, first, report);
    await within(following.done);
  } finally {
    timer?.cancel();
    following?.stop();
  }
}

/**
 * Watches the DaemonSet from `first` until report() says done; `done` rejects on an error or the
 * DaemonSet's deletion. stop() ends the watch (and `done` resolves).
 */
function followUntilDone(
  t: RolloutTarget,
  first: DaemonSet,
  report: (ds: DaemonSet) => boolean,
): { done: Promise<void>; stop: () => void } {
  let finish: (err?: unknown) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    let watch: Watch | undefined;
    let finished = false;
    finish = (err?: unknown): void => {
      if (finished) return;
      finished = true;
      watch?.stop();
      if (err === undefined) resolve();
      else reject(err instanceof Error ? err : new Error('rollout status failed', { cause: err }));
    };
    const follow = async (rv: string): Promise<void> => {
      let lastRv = rv;
      const w = await t.cluster.watch<DaemonSet>(
        kindOf(t),
        { namespace: t.namespace, fieldSelector: `metadata.name=${t.name}`, resourceVersion: rv },
        (ev) => {
          if (finished) return;
          if (ev.type === 'BOOKMARK') {
            lastRv = ev.resourceVersion;
            return;
          }
          lastRv = ev.object.metadata?.resourceVersion ?? lastRv;
          if (ev.type === 'DELETED') {
            finish(new RolloutError('object has been deleted'));
            return;
          }
          try {
            if (report(ev.object)) finish();
          } catch (err) {
            finish(err);
          }
        },
      );
      if (finished) {
        w.stop();
        return;
      }
      watch = w;
      try {
        await w.done;
        // The server ended the watch (its timeout): go on from where it stopped.
        if (!finished) await follow(lastRv);
      } catch (err) {
        if (finished) return;
        if (!(err instanceof GoneError)) throw err;
        const ds = await getDs(t);
        if (report(ds)) finish();
        else await follow(ds.metadata?.resourceVersion ?? '');
      }
    };
    follow(first.metadata?.resourceVersion ?? '').catch((err: unknown) => {
      finish(err);
    });
  });
  return {
    done,
    stop: () => {
      finish();
    },
  };
}
