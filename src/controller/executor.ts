/**
 * The executor carries one Plan out through the Cluster port, in upstream's order (§4): history
 * (with the hash-collision path of §8.4), ownerReference claims, pod creates with slow start and
 * the burst cap under expectations, deletes in parallel (§5.4), revision cleanup, then the status
 * write with one retry after a fresh GET (§9.2). Errors follow scenario 40: a sync error wins over
 * a status error, which is then only logged.
 *
 * The status write starts from the cached DaemonSet, as upstream's does, except when the cache
 * still shows an object our last successful status write (or a chain of them) replaced: the watch
 * events of those writes have not all arrived yet (the next sync often starts first, woken by pod
 * events; on a loaded machine the cache can trail by two or three writes). Writing from the cached
 * object then could only meet a Conflict and cost a GET and a second write; instead the write
 * starts from the object our last write returned, and is left out when it would not change what
 * the API server holds. What the server ends up holding is the same either way.
 */
import { getControllerOf } from '../api/pod.js';
import type { DaemonSet, DaemonSetStatus, Mutable } from '../api/types.js';
import { CONTROLLER_REVISION_HASH_LABEL } from '../api/types.js';
import { AlreadyExistsError, InvalidError, NotFoundError } from '../cluster/port.js';
import type { Cluster, JsonPatchOp, KubeObject, ResourceKind } from '../cluster/port.js';
import { collisionDecision } from '../engine/history.js';
import { statusChanged } from '../engine/status.js';
import type { ClaimAction, Plan } from '../engine/types.js';
import type { ControllerRevision } from '../api/types.js';
import type { FailedPodBackoff } from './backoff.js';
import type { ControllerExpectations } from './expectations.js';
import { nullLogger, type Logger } from './logger.js';
import type { EventSink } from './recorder.js';
import { syncNodes, SyncAggregateError } from './syncnodes.js';

export { SyncAggregateError, isNamespaceTerminating } from './syncnodes.js';

/** Upstream's BurstReplicas: the most creates (and deletes) one sync issues. */
export const DEFAULT_BURST_REPLICAS = 250;
/** Upstream's StatusUpdateRetries. */
export const STATUS_UPDATE_RETRIES = 1;

/** The adoption re-check found the DaemonSet gone, replaced or being deleted (§5.1). */
export class AdoptionRecheckError extends Error {
  override name = 'AdoptionRecheckError';
}

/** Looks an object up in the controller's caches (for claim patches that need its ownerReferences). */
export type CacheLookup = (
  kind: 'Pod' | 'ControllerRevision',
  namespace: string,
  name: string,
) => KubeObject | undefined;

/** What the executor needs. */
export interface ExecutorOptions {
  readonly cluster: Cluster;
  readonly recorder: EventSink;
  readonly expectations: ControllerExpectations;
  readonly backoff: FailedPodBackoff;
  readonly lookup: CacheLookup;
  readonly logger?: Logger;
  readonly burstReplicas?: number;
  readonly dsKind?: ResourceKind;
}

/** One plan to carry out. */
export interface ExecutionInput {
  readonly key: string;
  /** The DaemonSet the plan was computed from (from the cache). */
  readonly ds: DaemonSet;
  readonly plan: Plan;
  readonly expectationsSatisfied: boolean;
}

/** What happened. `error` is the error the sync returns (scenario 40 precedence). */
export interface ExecutionResult {
  readonly error: Error | undefined;
  readonly statusError: Error | undefined;
  readonly statusWritten: boolean;
  readonly createCalls: number;
  readonly deleteCalls: number;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

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

/**
 * Carries out Plans; one instance serves every DaemonSet. Between syncs it keeps only the object
 * each DaemonSet's last status write returned, until the cache has caught up with it.
 */
export class Executor {
  private readonly log: Logger;
  private readonly dsKind: ResourceKind;
  private readonly burst: number;
  /** Per DaemonSet key, until the cache shows something other than what the writes replaced. */
  private readonly written = new Map<string, WrittenStatus>();

  constructor(private readonly opts: ExecutorOptions) {
    this.log = (opts.logger ?? nullLogger).child({ component: 'executor' });
    this.dsKind = opts.dsKind ?? 'DaemonSet';
    this.burst = opts.burstReplicas ?? DEFAULT_BURST_REPLICAS;
  }

  /** Drops what is kept for key (its DaemonSet is gone from the cache). */
  forget(key: string): void {
    this.written.delete(key);
  }

  /** Executes the plan; never throws (every failure is in the result). */
  async execute(input: ExecutionInput): Promise<ExecutionResult> {
    const { ds, plan } = input;
    const last = this.written.get(input.key);
    if (last !== undefined && !this.cacheBehind(ds, last)) this.written.delete(input.key);
    const result = {
      error: undefined,
      statusError: undefined,
      statusWritten: false,
      createCalls: 0,
      deleteCalls: 0,
    };
    if (plan.skip !== null) {
      this.recordPlanEvents(ds, plan);
      return result;
    }
    const recheck = this.liveRecheck(ds);
    try {
      await this.history(ds, plan, recheck);
      await this.claims(
        ds,
        plan.claims.filter((c) => c.kind === 'Pod'),
        recheck,
      );
    } catch (err) {
      // A history or claim failure fails the sync before manage and before status (§4 step 5, §5.1).
      return { ...result, error: asError(err) };
    }
    this.recordPlanEvents(ds, plan);
    let syncError: Error | undefined;
    let createCalls = 0;
    let deleteCalls = 0;
    if (input.expectationsSatisfied) {
      this.opts.backoff.apply(plan.backoffUpdates);
      const r = await syncNodes({
        key: input.key,
        ds,
        creates: plan.creates,
        deletes: plan.deletes,
        burst: this.burst,
        cluster: this.opts.cluster,
        expectations: this.opts.expectations,
        recorder: this.opts.recorder,
        logger: this.log,
      });
      syncError = r.error;
      createCalls = r.createCalls;
      deleteCalls = r.deleteCalls;
      if (syncError === undefined) syncError = await this.cleanupRevisions(ds, plan);
    }
    if (plan.error !== undefined) {
      // A step the engine could not plan (a malformed budget, say): the rest was carried out;
      // tell the user on the DaemonSet and fail the sync so that it is retried with backoff.
      this.opts.recorder.event(ds, 'Warning', 'FailedReconcile', plan.error);
      syncError ??= new Error(plan.error);
    }
    let statusError: Error | undefined;
    let statusWritten = false;
    if (plan.statusChanged) {
      const stored = await this.storeStatus(
        input.key,
        ds,
        plan.status,
        input.expectationsSatisfied && plan.skip === null,
      );
      statusError = stored.error;
      statusWritten = stored.written;
      if (statusError !== undefined && syncError !== undefined) {
        this.log.warn(
          { ds: input.key, err: String(statusError) },
          'status update failed after a sync error',
        );
      }
    }
    return {
      error: syncError ?? statusError,
      statusError,
      statusWritten,
      createCalls,
      deleteCalls,
    };
  }

  private recordPlanEvents(ds: DaemonSet, plan: Plan): void {
    for (const e of plan.events) this.opts.recorder.event(ds, e.type, e.reason, e.message);
  }

  /** One live GET of the DaemonSet per sync, made lazily before the first adoption. */
  private liveRecheck(ds: DaemonSet): () => Promise<void> {
    let done: Promise<void> | undefined;
    const meta = ds.metadata ?? {};
    return () => {
      done ??= (async () => {
        const fresh = await this.opts.cluster.get<DaemonSet>(
          this.dsKind,
          meta.namespace ?? '',
          meta.name ?? '',
        );
        if (fresh.metadata?.deletionTimestamp) {
          throw new AdoptionRecheckError(
            `${meta.namespace}/${meta.name} is being deleted; not adopting`,
          );
        }
        if (fresh.metadata?.uid !== meta.uid) {
          throw new AdoptionRecheckError(
            `${meta.namespace}/${meta.name} was replaced (uid changed); not adopting`,
          );
        }
      })();
      return done;
    };
  }

  /** constructHistory's writes: claim revisions, repair labels, relabel pods, create or renumber the current revision. */
  private async history(ds: DaemonSet, plan: Plan, recheck: () => Promise<void>): Promise<void> {
    const h = plan.history;
    if (h === null) return;
    const ns = ds.metadata?.namespace ?? '';
    await this.claims(
      ds,
      plan.claims.filter((c) => c.kind === 'ControllerRevision'),
      recheck,
    );
    for (const name of h.labelRevisions) {
      await this.ignoreNotFound(
        this.opts.cluster.patch('ControllerRevision', ns, name, {
          type: 'merge',
          body: { metadata: { labels: { [CONTROLLER_REVISION_HASH_LABEL]: name } } },
        }),
      );
    }
    for (const r of h.relabelPods) {
      await this.ignoreNotFound(
        this.opts.cluster.patch('Pod', r.namespace, r.name, {
          type: 'merge',
          body: { metadata: { labels: r.labels } },
        }),
      );
    }
    if (h.createRevision !== null) await this.createRevision(ds, h.createRevision);
    for (const u of h.updateRevisions) {
      await this.opts.cluster.patch('ControllerRevision', ns, u.name, {
        type: 'merge',
        body: { revision: u.revision },
      });
    }
  }

  /** Creates the current revision; on AlreadyExists runs the collision path of §8.4. */
  private async createRevision(ds: DaemonSet, rev: ControllerRevision): Promise<void> {
    try {
      await this.opts.cluster.create('ControllerRevision', rev);
      return;
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      const ns = rev.metadata?.namespace ?? ds.metadata?.namespace ?? '';
      const existing = await this.opts.cluster.get<ControllerRevision>(
        'ControllerRevision',
        ns,
        rev.metadata?.name ?? '',
      );
      // Our own revision that the cache has not shown yet needs no live read of the DaemonSet.
      if (collisionDecision(ds, existing, ds) === 'use-existing') return;
      const live = await this.opts.cluster.get<DaemonSet>(this.dsKind, ns, ds.metadata?.name ?? '');
      const decision = collisionDecision(ds, existing, live);
      if (decision === 'use-existing') return;
      if (decision === 'stale-count-retry') {
        throw new Error(
          `collisionCount of ${ns}/${ds.metadata?.name} changed since it was read; retrying`,
          {
            cause: err,
          },
        );
      }
      const toUpdate = structuredClone(live) as Mutable<DaemonSet>;
      toUpdate.status = {
        ...(toUpdate.status ?? {}),
        collisionCount: decision.bumpTo,
      } as Mutable<DaemonSetStatus>;
      await this.opts.cluster.updateStatus(this.dsKind, toUpdate);
      this.log.info(
        { revision: rev.metadata?.name, collisionCount: decision.bumpTo },
        'revision hash collision',
      );
      throw err;
    }
  }

  /** Adopts and releases; any error other than NotFound (and Invalid on release) fails the claim. */
  private async claims(
    ds: DaemonSet,
    actions: readonly ClaimAction[],
    recheck: () => Promise<void>,
  ): Promise<void> {
    const errors: Error[] = [];
    for (const a of actions) {
      try {
        if (a.action === 'adopt') {
          await recheck();
          await this.opts.cluster.patch(a.kind, a.namespace, a.name, {
            type: 'json',
            ops: this.adoptOps(ds, a),
          });
        } else {
          const ops = this.releaseOps(ds, a);
          if (ops !== null)
            await this.opts.cluster.patch(a.kind, a.namespace, a.name, { type: 'json', ops });
        }
      } catch (err) {
        if (err instanceof NotFoundError) continue;
        if (a.action === 'release' && err instanceof InvalidError) continue;
        errors.push(asError(err));
        // A failed re-check fails every adoption of this pass; no point trying the rest.
        if (err instanceof AdoptionRecheckError) break;
      }
    }
    if (errors.length === 1) throw errors[0]!;
    if (errors.length > 1) throw new SyncAggregateError(errors);
  }

  private adoptOps(ds: DaemonSet, a: ClaimAction): JsonPatchOp[] {
    const ref = {
      apiVersion: ds.apiVersion ?? 'apps/v1',
      kind: ds.kind ?? 'DaemonSet',
      name: ds.metadata?.name ?? '',
      uid: ds.metadata?.uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    };
    const cached = this.opts.lookup(a.kind, a.namespace, a.name);
    const refs = cached?.metadata?.ownerReferences;
    const ops: JsonPatchOp[] = [{ op: 'test', path: '/metadata/uid', value: a.uid }];
    if (refs !== undefined && refs.length > 0)
      ops.push({ op: 'add', path: '/metadata/ownerReferences/-', value: ref });
    else ops.push({ op: 'add', path: '/metadata/ownerReferences', value: [ref] });
    return ops;
  }

  private releaseOps(ds: DaemonSet, a: ClaimAction): JsonPatchOp[] | null {
    const cached = this.opts.lookup(a.kind, a.namespace, a.name);
    const refs = cached?.metadata?.ownerReferences ?? [];
    const uid = ds.metadata?.uid ?? '';
    const idx = refs.findIndex((r) => r.uid === uid);
    if (idx < 0 || getControllerOf(cached ?? {})?.uid !== uid) return null;
    return [
      { op: 'test', path: '/metadata/uid', value: a.uid },
      { op: 'test', path: `/metadata/ownerReferences/${idx}/uid`, value: uid },
      { op: 'remove', path: `/metadata/ownerReferences/${idx}` },
    ];
  }

  /** cleanupHistory's deletes (and dedup's duplicates); runs only after manage succeeded. */
  private async cleanupRevisions(ds: DaemonSet, plan: Plan): Promise<Error | undefined> {
    const names = plan.history?.deleteRevisions ?? [];
    const ns = ds.metadata?.namespace ?? '';
    const results = await Promise.allSettled(
      names.map((n) => this.ignoreNotFound(this.opts.cluster.delete('ControllerRevision', ns, n))),
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length === 0) return undefined;
    return new Error('failed to clean up revisions', {
      cause: new SyncAggregateError(failed.map((f) => asError(f.reason))),
    });
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
  private async storeStatus(
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
        const result = await this.opts.cluster.updateStatus(this.dsKind, toUpdate);
        if (result?.metadata?.resourceVersion !== undefined)
          this.written.set(key, { behind: behind.slice(-MAX_BEHIND), result });
        else this.written.delete(key);
        return { error: undefined, written: true };
      } catch (err) {
        if (attempt >= STATUS_UPDATE_RETRIES) return { error: asError(err), written: false };
        this.log.debug({ err: String(err) }, 'status update failed; retrying with a fresh read');
      }
      try {
        const fresh = await this.opts.cluster.get<DaemonSet>(
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

  private async ignoreNotFound(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
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
  out.status = s;
  return out;
}
