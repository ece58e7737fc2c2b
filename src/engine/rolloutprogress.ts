/**
 * The rollout's status after a sync (shared/spec/rollout-features.md §3 items 1–3, 7, 9; §4): the
 * phase, the conditions Available, Progressing, Suspended and InvalidStrategy, the stable
 * revision (the update revision becomes stable when it has finished rolling out), the progress
 * deadline, and the record to keep (rolloutrecord.ts). A pure function of the decision
 * (rolloutpolicy.ts), the status counters and the stored status, which both planning paths have,
 * so both compute the same status, events and record write.
 *
 * Writes stay rare: a condition changes only at a transition, lastTransitionTime only when its
 * status changes, and progress (what moves the deadline's clock) is a change of the counters,
 * which is written then anyway. On apps/v1 the last progress goes into the revision's record at
 * most once per `progressResolutionMs` (a tenth of the deadline, 1 to 30 s); the deadline is then
 * judged from the recorded time plus that resolution, so it never fires early.
 */
import { getCondition, removeCondition, setCondition } from '../api/conditions.js';
import {
  AVAILABLE_CONDITION,
  INVALID_STRATEGY_CONDITION,
  PHASE,
  PROGRESSING_CONDITION,
  REASON,
  SUSPENDED_CONDITION,
  type RolloutPhase,
} from '../api/rolloutconditions.js';
import { isEverynodeDaemonSet, resolvePartition } from '../api/rolloutspec.js';
import {
  formatTime,
  type DaemonSet,
  type DaemonSetCondition,
  type DaemonSetStatus,
  type Mutable,
  type RolloutFailure,
} from '../api/types.js';
import { resolveBudget } from './budget.js';
import type { RolloutDecision } from './rolloutpolicy.js';
import {
  setStepsStatus,
  stepsComplete,
  stepsEvents,
  stepsProgressing,
  stepsRecord,
  stepsWaiting,
} from './rollout/stepstatus.js';
import { encodeNativeRecord, type RolloutRecord } from './rolloutrecord.js';
import type { StatusCounters } from './status.js';
import type { ImpairmentCounts } from './tallies.js';
import { rolloutConverged, setUnavailabilityStatus, type RemovalStatus } from './unavailability.js';
import type { PlanEvent } from './types.js';

/** The annotation write that keeps an apps/v1 DaemonSet's record (on its update revision). */
export interface RecordWrite {
  readonly revision: string;
  readonly value: string;
}

/** What rolloutStatus adds to a sync's plan. */
export interface RolloutOutcome {
  /** The status with the rollout's conditions (and, on the CRD, its fields) set. */
  readonly status: DaemonSetStatus;
  readonly events: readonly PlanEvent[];
  /** apps/v1 only: the record to write on the update revision, when it changed. */
  readonly recordWrite: RecordWrite | null;
  /** When to look again (the progress deadline), epoch ms, or null. */
  readonly requeueAt: number | null;
  /** The phase (status.rollout.phase on the CRD; in plans and logs for both kinds). */
  readonly phase: RolloutPhase | undefined;
}

/** What rolloutStatus reads. */
export interface RolloutStatusInput {
  readonly ds: DaemonSet;
  readonly decision: RolloutDecision;
  /** The counters this sync writes (relative to the update revision). */
  readonly counters: StatusCounters;
  /** The stored status with this sync's counters set (withCounters); not changed here. */
  readonly status: DaemonSetStatus;
  readonly now: number;
  /** apps/v1 only: the record annotation the update revision holds now. */
  readonly storedRecord?: string | undefined;
  /** Desired nodes that are impaired (unavailable; not updated), for the counts and RolloutOnly. */
  readonly impairment?: ImpairmentCounts;
  /** The removal budget's outcome (engine/removals.ts); undefined when no pod write was planned. */
  readonly removals?: RemovalStatus;
}

/** The condition types the rollout status owns. */
export const OWN_CONDITIONS: readonly string[] = [
  AVAILABLE_CONDITION,
  PROGRESSING_CONDITION,
  SUSPENDED_CONDITION,
  INVALID_STRATEGY_CONDITION,
];

/** Kubernetes caps an Event's message; conditions carry the same text. */
const MAX_MESSAGE = 1024;

/** Seconds, floored: times are written with second precision and judged as written. */
const floorSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;

/** How coarsely an apps/v1 DaemonSet's record keeps the last progress (this module's header). */
export function progressResolutionMs(deadlineSeconds: number): number {
  return Math.min(30_000, Math.max(1000, deadlineSeconds * 100));
}

/** The pods the rollout still has to replace or remove, as the counters show them. */
function oldPods(c: {
  readonly currentNumberScheduled?: number | undefined;
  readonly updatedNumberScheduled?: number | undefined;
  readonly numberMisscheduled?: number | undefined;
}): number {
  return (
    (c.currentNumberScheduled ?? 0) - (c.updatedNumberScheduled ?? 0) + (c.numberMisscheduled ?? 0)
  );
}

interface ProgressingState {
  readonly phase: RolloutPhase;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

/**
 * The rollout's status for this sync (this module's header). For a DaemonSet without rollout
 * features (decision.features false) the status is returned as it came.
 */
export function rolloutStatus(input: RolloutStatusInput): RolloutOutcome {
  const { ds, decision: d, counters: c, now } = input;
  if (!d.features) {
    // Plain apps/v1: nothing added; conditions left from when it used a feature are removed.
    let status = input.status;
    for (const type of OWN_CONDITIONS) status = removeCondition(status, type);
    return { status, events: [], recordWrite: null, requeueAt: null, phase: undefined };
  }
  const crd = isEverynodeDaemonSet(ds);
  const stored = ds.status;
  const name = ds.metadata?.name ?? '';
  const events: PlanEvent[] = [];
  const desired = c.desiredNumberScheduled;
  const suspended = d.suspend !== undefined;
  const paused = d.spec.pausedBy !== undefined;
  // The update revision has finished rolling out: it is the stable one from now on.
  // With RolloutOnly, impaired nodes do not block completion (unavailability.ts).
  const converged = rolloutConverged(d.spec, c, input.impairment);
  // Canary, waves, gates (issue 12): complete once the last step has baked and no gate failed.
  const completes = !suspended && !d.aborted && converged && stepsComplete(d);
  const stableName = completes ? d.update.name : d.stable?.ref.name;
  const rolling = stableName !== d.update.name;
  const partition = resolvePartition(d.spec.partition, desired);
  const atPartition =
    partition > 0 &&
    c.updatedNumberScheduled + partition >= desired &&
    c.numberAvailable === desired;

  // Progress (§3.9): a node updated, a pod available, an old pod gone, a new rollout or a retry;
  // the clock starts again when the rollout moves on after being held.
  const storedProgressing = getCondition(stored, PROGRESSING_CONDITION);
  const wasHeld =
    storedProgressing === undefined ||
    storedProgressing.status === 'Unknown' ||
    storedProgressing.reason === REASON.partitionRolledOut;
  const progressed =
    d.newRollout ||
    d.acted.retry !== undefined ||
    c.updatedNumberScheduled > (stored?.updatedNumberScheduled ?? 0) ||
    c.numberAvailable > (stored?.numberAvailable ?? 0) ||
    oldPods(c) < oldPods(stored ?? {});
  const running =
    rolling && !paused && !suspended && !d.aborted && !atPartition && !stepsWaiting(d);
  const deadline = d.spec.progressDeadlineSeconds;
  const resolution = crd || deadline === undefined ? 0 : progressResolutionMs(deadline);
  let lastProgress = d.record.lastProgress;
  if (running && (progressed || wasHeld || lastProgress === undefined)) {
    // apps/v1: the record keeps it at the resolution (judged late by at most that much).
    if (lastProgress === undefined || now - lastProgress >= resolution)
      lastProgress = floorSecond(now);
  }
  let exceeded = false;
  let requeueAt: number | null = null;
  if (running && deadline !== undefined && lastProgress !== undefined) {
    const at = lastProgress + resolution + deadline * 1000;
    if (now > at) exceeded = true;
    else requeueAt = at + 1;
  }
  let aborted = d.aborted;
  let failure: RolloutFailure | undefined = d.failure;
  if (exceeded) {
    const message = `revision ${d.update.name} made no progress for ${deadline}s`;
    failure =
      failure?.reason === REASON.progressDeadlineExceeded
        ? failure
        : { reason: REASON.progressDeadlineExceeded, message, time: formatTime(now) };
    if (d.spec.progressDeadlineAbort) aborted = true;
  } else if (!aborted && failure?.reason === REASON.progressDeadlineExceeded) {
    failure = undefined;
  }

  const p = progressingState({
    name,
    d,
    paused,
    aborted,
    exceeded,
    rolling,
    atPartition,
    progressed,
    stored: storedProgressing,
  });
  let status: DaemonSetStatus = input.status;
  const progressing = {
    type: PROGRESSING_CONDITION,
    status: p.status,
    reason: p.reason,
    message: p.message,
  };
  status = setCondition(status, progressing, now);
  if (crd && lastProgress !== undefined) status = withLastUpdate(status, formatTime(lastProgress));
  status = setCondition(status, availableCondition(ds, c), now);
  if (suspended)
    status = setCondition(
      status,
      {
        type: SUSPENDED_CONDITION,
        status: 'True',
        reason: d.suspend === 'Freeze' ? REASON.freeze : REASON.scaleToZero,
        message: `suspended (${d.suspend}): ${d.suspend === 'Freeze' ? 'no pod is created or deleted' : 'every pod is removed'}`,
      },
      now,
    );
  else if (getCondition(status, SUSPENDED_CONDITION) !== undefined)
    status = setCondition(
      status,
      { type: SUSPENDED_CONDITION, status: 'False', reason: REASON.notSuspended, message: '' },
      now,
    );
  status = invalidStrategy(status, d, now, events, stored);

  // Events at transitions only (the stored condition says whether this is one).
  if (p.reason !== storedProgressing?.reason) {
    if (p.reason === REASON.progressDeadlineExceeded)
      events.push({ type: 'Warning', reason: REASON.progressDeadlineExceeded, message: p.message });
    if (p.reason === REASON.rolloutAborted)
      events.push({ type: 'Warning', reason: REASON.rolloutAborted, message: p.message });
  }
  events.push(...stepsEvents(d, p, p.reason !== storedProgressing?.reason));
  const stepsAt = d.steps?.requeueAt ?? null;
  if (stepsAt !== null && (requeueAt === null || stepsAt < requeueAt)) requeueAt = stepsAt;
  if (d.acted.retry !== undefined)
    events.push({
      type: 'Normal',
      reason: 'RolloutRetried',
      message: `retrying the rollout of revision ${d.update.name} (${d.acted.retry})`,
    });

  const observedControls = { ...d.record.observedControls, ...d.acted };
  const record: RolloutRecord = {
    stableRevision: stableName,
    updateRevision: d.update.name,
    lastProgress,
    observedControls,
    aborted,
    failure,
    ...stepsRecord(d),
    removals:
      d.spec.removalBudget === undefined ? [] : (input.removals?.recent ?? d.record.removals),
  };
  let recordWrite: RecordWrite | null = null;
  if (crd) {
    const s = { ...status } as Mutable<DaemonSetStatus>;
    s.updateRevision = d.update.name;
    if (stableName === undefined) delete s.stableRevision;
    else s.stableRevision = stableName;
    const rollout: Mutable<NonNullable<DaemonSetStatus['rollout']>> = { phase: p.phase };
    if (partition > 0)
      rollout.partitioned = Math.max(0, Math.min(partition, desired - c.updatedNumberScheduled));
    if (Object.keys(observedControls).length > 0) rollout.observedControls = observedControls;
    if (failure !== undefined) rollout.failure = failure;
    setStepsStatus(rollout, d);
    s.rollout = rollout;
    setUnavailabilityStatus(s, {
      spec: d.spec,
      counters: c,
      stored,
      impairment: input.impairment,
      removals: input.removals,
      recent: record.removals,
    });
    status = s;
  } else {
    const value = encodeNativeRecord(record, d.update.revision);
    if (value !== input.storedRecord) recordWrite = { revision: d.update.name, value };
  }
  return { status, events, recordWrite, requeueAt, phase: p.phase };
}

function progressingState(x: {
  name: string;
  d: RolloutDecision;
  paused: boolean;
  aborted: boolean;
  exceeded: boolean;
  rolling: boolean;
  atPartition: boolean;
  progressed: boolean;
  stored: DaemonSetCondition | undefined;
}): ProgressingState {
  const { d } = x;
  const rev = d.update.name;
  if (d.suspend !== undefined)
    return {
      phase: d.suspend === 'Freeze' ? PHASE.frozen : PHASE.scaledToZero,
      status: 'Unknown',
      reason: REASON.rolloutPaused,
      message: `DaemonSet "${x.name}" is suspended (${d.suspend})`,
    };
  if (x.aborted) {
    const to = d.stable?.ref.name;
    const f = d.failure?.reason;
    const why =
      f === 'AbortRequested'
        ? 'by request'
        : f === undefined || f === REASON.progressDeadlineExceeded
          ? 'after the progress deadline'
          : d.failure?.node === undefined
            ? `by a health gate (${f}: ${d.failure?.message ?? ''})`
            : `by a health gate (${f} on node ${d.failure.node})`;
    return {
      phase: PHASE.aborted,
      status: 'False',
      reason: REASON.rolloutAborted,
      message:
        to === undefined || to === rev
          ? `the rollout of revision ${rev} was aborted ${why}; there is no stable revision to go back to, so it is held`
          : `the rollout of revision ${rev} was aborted ${why}; going back to revision ${to}`,
    };
  }
  if (x.paused)
    return {
      phase: PHASE.paused,
      status: 'Unknown',
      reason: REASON.rolloutPaused,
      message: `DaemonSet "${x.name}" is paused (${d.spec.pausedBy})`,
    };
  if (!x.rolling)
    return {
      phase: PHASE.complete,
      status: 'True',
      reason: REASON.rolloutComplete,
      message: `revision ${rev} has rolled out`,
    };
  if (x.exceeded)
    return {
      phase: PHASE.failed,
      status: 'False',
      reason: REASON.progressDeadlineExceeded,
      message: `revision ${rev} has made no progress for ${d.spec.progressDeadlineSeconds}s`,
    };
  const step = stepsProgressing(d);
  if (step !== undefined) return step;
  if (x.atPartition)
    return {
      phase: PHASE.partitioned,
      status: 'True',
      reason: REASON.partitionRolledOut,
      message: `revision ${rev} has rolled out up to the partition (${String(d.spec.partition)})`,
    };
  const kept = x.stored?.reason;
  const reason =
    !x.progressed && (kept === REASON.newRevisionCreated || kept === REASON.revisionUpdated)
      ? kept
      : d.newRollout
        ? REASON.newRevisionCreated
        : REASON.revisionUpdated;
  return {
    phase: PHASE.rolling,
    status: 'True',
    reason,
    message: `revision ${rev} is rolling out`,
  };
}

/** Available (§4): at least desired − maxUnavailable pods are available. */
function availableCondition(
  ds: DaemonSet,
  c: StatusCounters,
): { type: string; status: 'True' | 'False'; reason: string; message: string } {
  let maxUnavailable = 0;
  try {
    maxUnavailable = resolveBudget(ds, c.desiredNumberScheduled).maxUnavailable;
  } catch {
    // A malformed budget is reported by the rolling update; count none as allowed here.
  }
  const min = Math.max(0, c.desiredNumberScheduled - maxUnavailable);
  const ok = c.numberAvailable >= min;
  return {
    type: AVAILABLE_CONDITION,
    status: ok ? 'True' : 'False',
    reason: ok ? REASON.minimumPodsAvailable : REASON.minimumPodsUnavailable,
    message: ok
      ? 'DaemonSet has minimum availability'
      : `DaemonSet does not have minimum availability (${min} available pods needed)`,
  };
}

/** The Progressing condition with lastUpdateTime set (the CRD's deadline clock). */
function withLastUpdate(status: DaemonSetStatus, time: string): DaemonSetStatus {
  const conditions = status.conditions ?? [];
  let changed = false;
  const next = conditions.map((cond) => {
    if (cond.type !== PROGRESSING_CONDITION || cond.lastUpdateTime === time) return cond;
    changed = true;
    return { ...cond, lastUpdateTime: time };
  });
  return changed ? { ...status, conditions: next } : status;
}

/** InvalidStrategy: set while an annotation does not parse (with an Event when it changes). */
function invalidStrategy(
  status: DaemonSetStatus,
  d: RolloutDecision,
  now: number,
  events: PlanEvent[],
  stored: DaemonSetStatus | undefined,
): DaemonSetStatus {
  if (d.annotationErrors.length === 0) return removeCondition(status, INVALID_STRATEGY_CONDITION);
  let message = d.annotationErrors.map((e) => e.toString()).join('; ');
  if (message.length > MAX_MESSAGE) message = `${message.slice(0, MAX_MESSAGE - 1)}…`;
  const before = getCondition(stored, INVALID_STRATEGY_CONDITION);
  if (before?.status !== 'True' || before.message !== message)
    events.push({ type: 'Warning', reason: 'InvalidStrategy', message: `ignored: ${message}` });
  return setCondition(
    status,
    { type: INVALID_STRATEGY_CONDITION, status: 'True', reason: REASON.invalidAnnotation, message },
    now,
  );
}
