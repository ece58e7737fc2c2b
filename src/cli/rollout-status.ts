/**
 * `everynode rollout status`: kubectl's status lines for a DaemonSet rollout, following the
 * DaemonSet with a watch until the rollout is done.
 */
import { GoneError, type Watch } from '../cluster/port.js';
import type { Clock, TimerHandle } from '../clock/clock.js';
import type { DaemonSet } from '../api/types.js';
import { rolloutStatus } from '../engine/rolloutstatus.js';
import { getDs, kindOf, RolloutError, type RolloutTarget } from './rollout-target.js';

/** Options of `rollout status`. */
export interface StatusOptions {
  /** Keep watching until done (kubectl's default); false prints the status once. */
  readonly watch: boolean;
  /** Give up after this long (0 or undefined: never), "timed out waiting for the condition". */
  readonly timeoutMs?: number | undefined;
  readonly clock: Clock;
  readonly write: (text: string) => void;
}

/**
 * `rollout status` (§9.4, scenario 58): prints kubectl's status line whenever it changes and
 * resolves once the rollout is done (or after one look with watch false). Rejects with a
 * RolloutError for OnDelete, a deleted DaemonSet or the timeout; with a ClusterError otherwise.
 */
export async function rolloutStatusWatch(t: RolloutTarget, opts: StatusOptions): Promise<void> {
  let last = '';
  const report = (ds: DaemonSet): boolean => {
    let s;
    try {
      s = rolloutStatus(ds);
    } catch (err) {
      throw new RolloutError(err instanceof Error ? err.message : String(err));
    }
    if (s.message !== last) opts.write(`${s.message}\n`);
    last = s.message;
    return s.done;
  };
  const first = await getDs(t);
  if (report(first) || !opts.watch) return;
  await new Promise<void>((resolve, reject) => {
    let watch: Watch | undefined;
    let timer: TimerHandle | undefined;
    let finished = false;
    const finish = (err?: unknown): void => {
      if (finished) return;
      finished = true;
      timer?.cancel();
      watch?.stop();
      if (err === undefined) resolve();
      else reject(err instanceof Error ? err : new Error('rollout status failed', { cause: err }));
    };
    if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
      timer = opts.clock.setTimeout(() => {
        finish(new RolloutError('timed out waiting for the condition'));
      }, opts.timeoutMs);
    }
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
}
