/**
 * apps/v1 DaemonSet validation with field paths, worded like kube-apiserver.
 * CONTRACT STUB: the api helper implements the bodies; signatures are fixed.
 */
import type { DaemonSet } from './types.js';

export type FieldErrorType = 'Invalid' | 'Required' | 'NotSupported' | 'Forbidden' | 'Duplicate' | 'TooLong';

/** One field error; toString() reads like kube-apiserver's, e.g.
 * `spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when maxSurge is 0`. */
export interface FieldError {
  readonly type: FieldErrorType;
  readonly field: string;
  readonly value?: unknown;
  readonly detail: string;
  /** For NotSupported: the supported values. */
  readonly supported?: readonly string[];
  toString(): string;
}

/** Builds a FieldError (exported so other layers report the same shape). */
export declare function fieldError(
  type: FieldErrorType,
  field: string,
  value: unknown,
  detail: string,
  supported?: readonly string[],
): FieldError;

/** ValidateDaemonSet on a defaulted object (create). */
export declare function validateDaemonSet(ds: DaemonSet): FieldError[];

/** ValidateDaemonSetUpdate: validateDaemonSet plus the immutable selector. */
export declare function validateDaemonSetUpdate(next: DaemonSet, prev: DaemonSet): FieldError[];

/** ValidateDaemonSetStatusUpdate: non-negative counters, collisionCount not decremented. */
export declare function validateDaemonSetStatusUpdate(next: DaemonSet, prev: DaemonSet): FieldError[];

/** `DaemonSet.apps "name" is invalid: [err1, err2]`, as kubectl prints an Invalid status. */
export declare function formatInvalid(kind: string, name: string, errors: readonly FieldError[]): string;
