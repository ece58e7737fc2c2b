/**
 * DaemonSet status conditions, written as apimachinery's helpers write them: one condition per
 * type, lastTransitionTime moved only when the status changes. Shared by everyone who adds a
 * condition (the controller's Invalid condition today; Available, Progressing, Suspended next).
 */
import { formatTime, type DaemonSetCondition, type DaemonSetStatus } from './types.js';

/** The condition the controller sets on a DaemonSet it refuses to act on (issue 17). */
export const INVALID_CONDITION = 'Invalid';

/** What a caller decides about a condition; the time is the helper's business. */
export interface ConditionChange {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

/** The condition of a type, or undefined. */
export function getCondition(
  status: DaemonSetStatus | undefined,
  type: string,
): DaemonSetCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * The status with the condition set (added, or replaced in place). lastTransitionTime is `now`
 * when the condition is new or its status changed, and kept otherwise. Returns the same object
 * when nothing would change, so callers can skip a write.
 */
export function setCondition(
  status: DaemonSetStatus | undefined,
  change: ConditionChange,
  now: number,
): DaemonSetStatus {
  const base: DaemonSetStatus = status ?? {
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    desiredNumberScheduled: 0,
    numberReady: 0,
  };
  const old = getCondition(base, change.type);
  if (
    old !== undefined &&
    old.status === change.status &&
    old.reason === change.reason &&
    old.message === change.message
  ) {
    return base;
  }
  const next: DaemonSetCondition = {
    type: change.type,
    status: change.status,
    lastTransitionTime:
      old !== undefined && old.status === change.status && old.lastTransitionTime !== undefined
        ? old.lastTransitionTime
        : formatTime(now),
    reason: change.reason,
    message: change.message,
  };
  const others = base.conditions ?? [];
  const conditions =
    old === undefined ? [...others, next] : others.map((c) => (c === old ? next : c));
  return { ...base, conditions };
}

/** The status without the condition of that type; the same object when there is none. */
export function removeCondition(status: DaemonSetStatus, type: string): DaemonSetStatus {
  if (getCondition(status, type) === undefined) return status;
  const conditions = (status.conditions ?? []).filter((c) => c.type !== type);
  if (conditions.length > 0) return { ...status, conditions };
  const { conditions: _, ...rest } = status;
  return rest;
}
