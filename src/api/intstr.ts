/**
 * IntOrString arithmetic for maxUnavailable and maxSurge, with upstream's rounding.
 * CONTRACT STUB: the api helper implements the bodies; signatures are fixed.
 */
import type { IntOrString } from './types.js';

/** Thrown when a value is neither a non-negative integer nor a string like "25%". */
export class InvalidIntOrStringError extends Error {
  override name = 'InvalidIntOrStringError';
}

/** Value objects for IntOrString fields, built by named factories. */
export const IntOrPercent = {
  int(n: number): IntOrString {
    return n;
  },
  percent(p: number): IntOrString {
    return `${p}%`;
  },
};

/**
 * Scales an IntOrString against total: an integer as it is, "N%" as N*total/100 rounded up
 * (roundUp) or down. undefined counts as the given default. Throws InvalidIntOrStringError.
 */
export declare function getScaledValue(
  value: IntOrString | undefined,
  total: number,
  roundUp: boolean,
  defaultValue?: number,
): number;

/** True when the value is a percentage string. */
export declare function isPercent(value: IntOrString | undefined): boolean;
