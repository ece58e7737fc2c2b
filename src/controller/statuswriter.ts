/**
 * The status write of a sync (storeDaemonSetStatus, §9.2), with what it keeps between syncs.
 *
 * The status write starts from the cached DaemonSet, as upstream's does, except when the cache
 * still shows an object our last successful status write (or a chain of them) replaced: the watch
 * events of those writes have not all arrived yet (the next sync often starts first, woken by pod
 * events; on a loaded machine the cache can trail by two or three writes). Writing from the cached
 * object then could only meet a Conflict and cost a GET and a second write; instead the write
 * starts from the object our last write returned, and is left out when it would not change what
 * the API server holds. What the server ends up holding is the same either way.
 */
import {
  AVAILABLE_CONDITION,
  INVALID_STRATEGY_CONDITION,
  PROGRESSING_CONDITION,
  SUSPENDED_CONDITION,
} from '../api/rolloutconditions.js';
import type { DaemonSet, DaemonSetStatus, Mutable } from '../api/types.js';
import type { Cluster, ResourceKind } from '../cluster/port.js';
import { statusChanged } from '../engine/status.js';
import type { Logger } from './logger.js';

/** Upstream's StatusUpdateRetries. */
export const STATUS_UPDATE_RETRIES = 1;

/** Our last successful status write of one DaemonSet: what it returned, and what came before. */
interface WrittenStatus {
  /**
   * resourceVersions of objects this write (and the chain of our writes it was based on)
   * replaced, oldest first: a cache showing one of them has not caught up with `result`.
   */
  readonly behind: readonly string[];
  /** The object the API server returned. */
  readonly result: DaemonSet;
}

/** The most resourceVersions kept per chain of status writes the cache has not caught up with. */
const MAX_BEHIND = 16;

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Writes DaemonSet status; one instance serves every DaemonSet. Between syncs it keeps only the
 * object each DaemonSet's last status write returned, until the cache has caught up with it.
 */
export class StatusWriter {
  /** Per DaemonSet key, until the cache shows something other than what the writes replaced. */
  private readonly written = new Map<string, WrittenStatus>();

  constructor(
    private readonly cluster: Cluster,
    private readonly dsKind: ResourceKind,
    private readonly log: Logger,
  ) {}

  /** Drops what is kept for key (its DaemonSet is gone from the cache). */
  forget(key: string): void {
    this.written.delete(key);
  }

  /** A sync of key starts from the cached ds: forget our last write once the cache caught up. */
  observe(key: string, ds: DaemonSet): void {
    const last = this.written.get(key);
    if (last !== undefined && !this.cacheBehind(ds, last)) this.written.delete(key);
  }

  /** True when ds is an object our last status writes replaced: the cache has not caught up. */
  private cacheBehind(ds: DaemonSet, last: WrittenStatus): boolean {
    const rv = ds.metadata?.resourceVersion;
    return (
      rv !== undefined && last.behind.includes(rv) && ds.metadata?.uid === last.result.metadata?.uid
    );
  }

  /**
   * storeDaemonSetStatus (§9.2): UpdateStatus; on failure one fresh GET and one more try. The
   * first try starts from the cached object, or from our last write's result while the cache is
   * behind it (then nothing is sent when that result already holds this status). With
   * updateObservedGen false, observedGeneration stays what the object written over holds.
   */
  async store(
    key: string,
    ds: DaemonSet,
    status: DaemonSetStatus,
    updateObservedGen: boolean,
  ): Promise<{ error: Error | undefined; written: boolean }> {
    const last = this.written.get(key);
    const generation = ds.metadata?.generation ?? 0;
    let toUpdate: Mutable<DaemonSet>;
    // What a cache may show while it has not caught up with this write.
    let behind: string[];
    if (last !== undefined && this.cacheBehind(ds, last)) {
      // Judged as upstream judges the cached object, against the generation the sync saw.
      const held: DaemonSet = {
        ...last.result,
        metadata: { ...last.result.metadata, generation },
      };
      if (!statusChanged(held, status)) return { error: undefined, written: false };
      toUpdate = withCounters(last.result, status, updateObservedGen ? generation : undefined);
      behind = [...last.behind, last.result.metadata?.resourceVersion ?? ''];
    } else {
      // Shallow: the port never changes what it is given (the API server copies, the kube client
      // serialises), and a deep copy of the whole DaemonSet per status write was the executor's
      // largest cost in B3 (a tenth of the controller's CPU per node event).
      toUpdate = { ...ds, status: { ...status } } as Mutable<DaemonSet>;
      behind = [ds.metadata?.resourceVersion ?? ''];
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.cluster.updateStatus(this.dsKind, toUpdate);
        if (result?.metadata?.resourceVersion !== undefined)
          this.written.set(key, { behind: behind.slice(-MAX_BEHIND), result });
        else this.written.delete(key);
        return { error: undefined, written: true };
      } catch (err) {
        if (attempt >= STATUS_UPDATE_RETRIES) return { error: asError(err), written: false };
        this.log.debug({ err: String(err) }, 'status update failed; retrying with a fresh read');
      }
      try {
        const fresh = await this.cluster.get<DaemonSet>(
          this.dsKind,
          ds.metadata?.namespace ?? '',
          ds.metadata?.name ?? '',
        );
        toUpdate = withCounters(fresh, status, updateObservedGen ? generation : undefined);
        behind.push(fresh.metadata?.resourceVersion ?? '');
      } catch (err) {
        return { error: asError(err), written: false };
      }
    }
  }
}

/**
 * The fresh object with the fields a sync may change (§11) set from status; the rest kept.
 * observedGeneration is set to `observedGeneration` when given, else kept as fresh holds it
 * (upstream's retry with updateObservedGen false).
 */
function withCounters(
  fresh: DaemonSet,
  status: DaemonSetStatus,
  observedGeneration: number | undefined,
): Mutable<DaemonSet> {
  const out = structuredClone(fresh) as Mutable<DaemonSet>;
  const s = { ...(out.status ?? {}) } as Mutable<DaemonSetStatus>;
  s.currentNumberScheduled = status.currentNumberScheduled;
  s.numberMisscheduled = status.numberMisscheduled;
  s.desiredNumberScheduled = status.desiredNumberScheduled;
  s.numberReady = status.numberReady;
  s.updatedNumberScheduled = status.updatedNumberScheduled;
  s.numberAvailable = status.numberAvailable;
  s.numberUnavailable = status.numberUnavailable;
  if (observedGeneration !== undefined) s.observedGeneration = observedGeneration;
  withRolloutFields(s, status);
  out.status = s;
  return out;
}

/** The condition types the rollout status owns (engine/rolloutprogress.ts). */
const ROLLOUT_CONDITIONS = new Set([
  AVAILABLE_CONDITION,
  PROGRESSING_CONDITION,
  SUSPENDED_CONDITION,
  INVALID_STRATEGY_CONDITION,
]);

/**
 * everynode's rollout status (§4) set on a fresh object from the sync's status: the conditions
 * it owns replaced (others, such as admission's Invalid, kept as the fresh object has them), and
 * the CRD's revisions and status.rollout.
 */
function withRolloutFields(s: Mutable<DaemonSetStatus>, status: DaemonSetStatus): void {
  const ours = (status.conditions ?? []).filter((c) => ROLLOUT_CONDITIONS.has(c.type));
  const theirs = (s.conditions ?? []).filter((c) => !ROLLOUT_CONDITIONS.has(c.type));
  const conditions = [...theirs, ...ours] as Mutable<DaemonSetStatus>['conditions'];
  if (conditions!.length > 0) s.conditions = conditions;
  else delete s.conditions;
  const { updateRevision, stableRevision, rollout } = status;
  if (updateRevision === undefined) delete s.updateRevision;
  else s.updateRevision = updateRevision;
  if (stableRevision === undefined) delete s.stableRevision;
  else s.stableRevision = stableRevision;
  if (rollout === undefined) delete s.rollout;
  else s.rollout = structuredClone(rollout) as Mutable<typeof rollout>;
  // Issue 12's CRD fields (engine/unavailability.ts): absent on apps/v1, so nothing is added there.
  const { numberUnavailableNodeCaused: node, numberUnavailableRolloutCaused: rollout2 } = status;
  if (node === undefined) delete s.numberUnavailableNodeCaused;
  else s.numberUnavailableNodeCaused = node;
  if (rollout2 === undefined) delete s.numberUnavailableRolloutCaused;
  else s.numberUnavailableRolloutCaused = rollout2;
  if (status.pendingRemovals === undefined) delete s.pendingRemovals;
  else s.pendingRemovals = status.pendingRemovals;
  if (status.removals === undefined) delete s.removals;
  else s.removals = [...status.removals];
}
