/**
 * The controller's admission check, at the entry of every sync and before either planning path
 * (issue 17): a DaemonSet the API server would refuse is never acted on. It gets a Warning Event
 * `FailedValidation` naming the fields and the status condition `Invalid` (True, same message),
 * and the sync ends with InvalidDaemonSetError (not retried until the object changes); no pod or
 * revision is written, and other DaemonSets sync on. The verdict is kept per uid and generation,
 * so a steady sync pays one map lookup. When the object is fixed, the condition is removed.
 *
 * apps/v1 DaemonSets were validated by kube-apiserver (or the embedded one); checking them again
 * costs one validation per generation and catches what bypassed it. everynode's CRD arrives as
 * the user wrote it (its schema checks what a schema can), so it is decoded, defaulted and
 * validated here with the same strategy as the API server's (api/dsstrategy.ts).
 */
import {
  getCondition,
  INVALID_CONDITION,
  removeCondition,
  setCondition,
} from '../api/conditions.js';
import { admitStoredDaemonSet, storedDefaults } from '../api/dsstrategy.js';
import { formatInvalid, validateDaemonSet, type FieldError } from '../api/validation.js';
import type { DaemonSet, DaemonSetStatus } from '../api/types.js';
import { ConflictError, type Cluster, type ResourceKind } from '../cluster/port.js';
import type { Clock } from '../clock/clock.js';
import type { Logger } from './logger.js';
import type { EventSink } from './recorder.js';

/** The engine or the admission check cannot act on this DaemonSet; retrying before it changes is pointless. */
export class InvalidDaemonSetError extends Error {
  override name = 'InvalidDaemonSetError';
}

/** The reason of the Event and of the condition. */
export const FAILED_VALIDATION = 'FailedValidation';

/** Kubernetes caps an Event's message; the condition carries the same text. */
const MAX_MESSAGE = 1024;

/** What the admission check needs from the controller. */
export interface AdmissionOptions {
  readonly cluster: Cluster;
  readonly recorder: EventSink;
  readonly clock: Clock;
  readonly dsKind: ResourceKind;
  readonly logger: Logger;
}

interface Verdict {
  readonly uid: string;
  readonly generation: string;
  /** The cached object this verdict's `ds` was made from (the CRD's defaults depend on it). */
  source: DaemonSet;
  /** The object to plan with, when valid. */
  ds: DaemonSet | undefined;
  readonly message: string | undefined;
  reported: boolean;
}

/** See the file comment. One instance per controller. */
export class DaemonSetAdmission {
  private readonly verdicts = new Map<string, Verdict>();

  constructor(private readonly opts: AdmissionOptions) {}

  /**
   * The DaemonSet to plan with (the cached object, or the CRD defaulted), or undefined when
   * settle() must run: the object is invalid, or a stale Invalid condition is to be removed.
   */
  admit(key: string, cached: DaemonSet): DaemonSet | undefined {
    const v = this.verdict(key, cached);
    if (v.message !== undefined) return undefined;
    if (cached.status?.conditions !== undefined && isInvalidTrue(cached.status)) return undefined;
    if (v.source !== cached) {
      v.source = cached;
      v.ds = this.plannable(cached);
    }
    return v.ds;
  }

  /**
   * The slow path after admit() answered undefined. Invalid: the Event (once per generation) and
   * the condition, then InvalidDaemonSetError. Valid with a stale condition: the condition is
   * removed and the DaemonSet as written is returned for planning.
   */
  async settle(key: string, cached: DaemonSet): Promise<DaemonSet> {
    const v = this.verdict(key, cached);
    if (v.message === undefined) {
      const written = await this.writeStatus(cached, (s) => removeCondition(s, INVALID_CONDITION));
      v.source = written;
      v.ds = this.plannable(written);
      return v.ds;
    }
    if (!v.reported) {
      v.reported = true;
      this.opts.recorder.event(cached, 'Warning', FAILED_VALIDATION, v.message);
      this.opts.logger.error({ ds: key, errors: v.message }, 'DaemonSet refused: not acting on it');
    }
    const message = v.message;
    await this.writeStatus(cached, (s) =>
      setCondition(
        s,
        { type: INVALID_CONDITION, status: 'True', reason: FAILED_VALIDATION, message },
        this.opts.clock.now(),
      ),
    );
    throw new InvalidDaemonSetError(message);
  }

  /** Drops what is kept for a DaemonSet that is gone. */
  forget(key: string): void {
    this.verdicts.delete(key);
  }

  private verdict(key: string, cached: DaemonSet): Verdict {
    const uid = cached.metadata?.uid ?? '';
    const generation = String(cached.metadata?.generation ?? cached.metadata?.resourceVersion);
    const hit = this.verdicts.get(key);
    if (hit !== undefined && hit.uid === uid && hit.generation === generation) return hit;
    const errors = this.check(cached);
    const v: Verdict = {
      uid,
      generation,
      source: cached,
      ds: errors.length === 0 ? this.plannable(cached) : undefined,
      message: errors.length === 0 ? undefined : this.describe(cached, errors),
      reported: false,
    };
    this.verdicts.set(key, v);
    return v;
  }

  private check(cached: DaemonSet): readonly FieldError[] {
    return this.opts.dsKind === 'DaemonSet'
      ? validateDaemonSet(cached)
      : admitStoredDaemonSet(cached).errors;
  }

  /** apps/v1 as stored; the CRD with the defaults kube-apiserver did not apply to it. */
  private plannable(cached: DaemonSet): DaemonSet {
    return this.opts.dsKind === 'DaemonSet' ? cached : storedDefaults(cached);
  }

  private describe(cached: DaemonSet, errors: readonly FieldError[]): string {
    const group = (cached.apiVersion ?? 'apps/v1').split('/')[0] ?? '';
    const kind = `${cached.kind ?? 'DaemonSet'}${group === '' ? '' : `.${group}`}`;
    const text = formatInvalid(kind, cached.metadata?.name ?? '', errors);
    return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
  }

  /**
   * Writes the status that `change` makes of the stored one, unless it is unchanged; one retry
   * on a Conflict with a fresh read. Returns the object as stored afterwards.
   */
  private async writeStatus(
    cached: DaemonSet,
    change: (s: DaemonSetStatus) => DaemonSetStatus,
  ): Promise<DaemonSet> {
    const { cluster, dsKind } = this.opts;
    let current = cached;
    for (let attempt = 0; ; attempt++) {
      const status = current.status ?? {
        currentNumberScheduled: 0,
        numberMisscheduled: 0,
        desiredNumberScheduled: 0,
        numberReady: 0,
      };
      const next = change(status);
      if (next === status) return current;
      try {
        return await cluster.updateStatus(dsKind, { ...current, status: next });
      } catch (err) {
        if (attempt > 0 || !(err instanceof ConflictError)) throw err;
        const meta = current.metadata ?? {};
        current = await cluster.get<DaemonSet>(dsKind, meta.namespace ?? '', meta.name ?? '');
      }
    }
  }
}

function isInvalidTrue(status: DaemonSetStatus): boolean {
  return getCondition(status, INVALID_CONDITION)?.status === 'True';
}
