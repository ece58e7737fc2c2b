/**
 * The types and small pod helpers of the scenario harness (harness.ts), apart so that the
 * harness class stays about applying plans.
 */
import {
  formatTime,
  type ControllerRevision,
  type DaemonSet,
  type Mutable,
  type Node,
  type Pod,
} from '../../src/api/types.js';
import type { BackoffConfig, Plan, PlanEvent } from '../../src/engine/types.js';
import type { UpdatePolicy } from '../../src/engine/updatepolicy.js';

/** Initial state of a Harness. */
export interface HarnessInit {
  readonly ds: DaemonSet;
  readonly nodes?: readonly Node[];
  readonly pods?: readonly Pod[];
  readonly revisions?: readonly ControllerRevision[];
  readonly now?: number;
  readonly backoffConfig?: BackoffConfig;
  /** The rolling update's node order and release set; the engine's default when absent. */
  readonly policy?: UpdatePolicy;
}

/** Options of one sync. */
export interface SyncOptions {
  /** 'remove' (default): deleted pods vanish. 'keep': deletes are issued but not observed. */
  readonly deletes?: 'remove' | 'keep';
  /** Default true; false runs §4 step 6 (status only). */
  readonly expectationsSatisfied?: boolean;
}

/** What one sync did. */
export interface SyncResult {
  readonly plan: Plan;
  /** The created pods as stored (named). */
  readonly created: readonly Pod[];
  /** Names of the pods deleted. */
  readonly deleted: readonly string[];
  readonly creates: number;
  readonly deletes: number;
  readonly events: readonly PlanEvent[];
  readonly error?: string;
}

/** A pod, or its name. */
export type PodRef = Pod | string;

// Sorted so that fixed-width names sort in creation order.
const NAME_ALPHABET = '2456789bcdfghjklmnpqrstvwxz';

/** The 5-character generateName suffix of the n-th created pod. */
export function suffix(n: number): string {
  let s = '';
  for (let i = 0; i < 5; i++) {
    s = NAME_ALPHABET[n % NAME_ALPHABET.length]! + s;
    n = Math.floor(n / NAME_ALPHABET.length);
  }
  return s;
}

/** Marks a pod Running and Ready since `at`. */
export function setReady(p: Mutable<Pod>, at: number): void {
  p.status = { ...p.status, phase: 'Running' };
  const others = (p.status.conditions ?? []).filter((c) => c.type !== 'Ready');
  p.status.conditions = [
    ...others,
    { type: 'Ready', status: 'True', lastTransitionTime: formatTime(at) },
  ];
}

/** True when the pod's Ready condition is True. */
export function isReady(p: Pod): boolean {
  return (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}
