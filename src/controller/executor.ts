/**
 * The executor carries one Plan out through the Cluster port, in upstream's order (§4): history
 * (with the hash-collision path of §8.4), ownerReference claims, pod creates with slow start and
 * the burst cap under expectations, deletes in parallel (§5.4), revision cleanup, then the status
 * write with one retry after a fresh GET (§9.2). Errors follow scenario 40: a sync error wins over
 * a status error, which is then only logged. The status write itself is statuswriter.ts.
 */
import { getControllerOf } from '../api/pod.js';
import type { DaemonSet, DaemonSetStatus, Mutable } from '../api/types.js';
import { CONTROLLER_REVISION_HASH_LABEL } from '../api/types.js';
import { ROLLOUT_STATE_ANNOTATION } from '../api/rolloutspec.js';
import { AlreadyExistsError, InvalidError, NotFoundError } from '../cluster/port.js';
import type { Cluster, JsonPatchOp, KubeObject, ResourceKind } from '../cluster/port.js';
import { collisionDecision } from '../engine/history.js';
import type { ClaimAction, Plan } from '../engine/types.js';
import type { ControllerRevision } from '../api/types.js';
import type { FailedPodBackoff } from './backoff.js';
import type { ControllerExpectations } from './expectations.js';
import { nullLogger, type Logger } from './logger.js';
import { OwnRevisions, REVISION_NOT_RECOGNIZED, revisionNotRecognized } from './ownrevisions.js';
import type { EventSink } from './recorder.js';
import type { StatusPacer } from './statuspacing.js';
import { StatusWriter } from './statuswriter.js';
import { syncNodes, SyncAggregateError } from './syncnodes.js';

export { SyncAggregateError, isNamespaceTerminating } from './syncnodes.js';
export { STATUS_UPDATE_RETRIES } from './statuswriter.js';

/** Upstream's BurstReplicas: the most creates (and deletes) one sync issues. */
export const DEFAULT_BURST_REPLICAS = 250;

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
  /** Holds back status writes within its interval (statuspacing.ts); absent: every write goes. */
  readonly statusPacer?: StatusPacer;
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
  /** A changed status left for a sync this much later (status pacing); undefined otherwise. */
  readonly statusDeferredMs?: number;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Carries out Plans; one instance serves every DaemonSet. Between syncs it keeps only the object
 * each DaemonSet's last status write returned, until the cache has caught up with it, and the
 * last revision it created for each (ownrevisions.ts: its own revision is no hash collision).
 */
export class Executor {
  private readonly log: Logger;
  private readonly dsKind: ResourceKind;
  private readonly burst: number;
  private readonly status: StatusWriter;
  private readonly ownRevisions = new OwnRevisions();

  constructor(private readonly opts: ExecutorOptions) {
    this.log = (opts.logger ?? nullLogger).child({ component: 'executor' });
    this.dsKind = opts.dsKind ?? 'DaemonSet';
    this.burst = opts.burstReplicas ?? DEFAULT_BURST_REPLICAS;
    this.status = new StatusWriter(opts.cluster, this.dsKind, this.log);
  }

  /** Drops what is kept for key (its DaemonSet is gone from the cache). */
  forget(key: string): void {
    this.status.forget(key);
    this.ownRevisions.forget(key);
    this.opts.statusPacer?.forget(key);
  }

  /** Executes the plan; never throws (every failure is in the result). */
  async execute(input: ExecutionInput): Promise<ExecutionResult> {
    const { ds, plan } = input;
    this.status.observe(input.key, ds);
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
    // An apps/v1 DaemonSet's rollout record lives on its update revision (engine/rolloutrecord.ts).
    const record = await this.writeRecord(ds, plan);
    syncError ??= record;
    if (plan.error !== undefined) {
      // A step the engine could not plan (a malformed budget, say): the rest was carried out;
      // tell the user on the DaemonSet and fail the sync so that it is retried with backoff.
      this.opts.recorder.event(ds, 'Warning', 'FailedReconcile', plan.error);
      syncError ??= new Error(plan.error);
    }
    let statusError: Error | undefined;
    let statusWritten = false;
    let statusDeferredMs: number | undefined;
    const updateObservedGen = input.expectationsSatisfied && plan.skip === null;
    const pacer = this.opts.statusPacer;
    const wait = plan.statusChanged
      ? (pacer?.delay(input.key, ds, plan.status, updateObservedGen) ?? 0)
      : 0;
    if (wait > 0) statusDeferredMs = wait;
    else if (plan.statusChanged) {
      pacer?.wrote(input.key);
      const stored = await this.status.store(input.key, ds, plan.status, updateObservedGen);
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
      ...(statusDeferredMs === undefined ? {} : { statusDeferredMs }),
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
      this.ownRevisions.record(ds, await this.opts.cluster.create('ControllerRevision', rev));
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
      // Our own revision of this very spec, not recognised: no collision, and a bump would loop.
      if (this.ownRevisions.isOwn(ds, existing)) {
        const e = revisionNotRecognized(ds, rev.metadata?.name ?? '', err);
        this.opts.recorder.event(ds, 'Warning', REVISION_NOT_RECOGNIZED, e.message);
        throw e;
      }
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

  /**
   * Writes the rollout record of an apps/v1 DaemonSet as the annotation rollout.everynode.dev/state
   * on its update revision (a merge patch of that one annotation); a revision that is gone is
   * fine (the next sync plans again). Returns the error of a failed write.
   */
  private async writeRecord(ds: DaemonSet, plan: Plan): Promise<Error | undefined> {
    const w = plan.recordWrite;
    if (w === undefined || w === null) return undefined;
    try {
      await this.ignoreNotFound(
        this.opts.cluster.patch('ControllerRevision', ds.metadata?.namespace ?? '', w.revision, {
          type: 'merge',
          body: { metadata: { annotations: { [ROLLOUT_STATE_ANNOTATION]: w.value } } },
        }),
      );
      return undefined;
    } catch (err) {
      return asError(err);
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
