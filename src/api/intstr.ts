/**
 * IntOrString arithmetic for maxUnavailable and maxSurge, with upstream's rounding.
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

const percentRe = /^([0-9]+)%$/;

/**
 * Scales an IntOrString against total: an integer as it is, "N%" as N*total/100 rounded up
 * (roundUp) or down. undefined counts as the given default. Throws InvalidIntOrStringError.
 */
export function getScaledValue(
  value: IntOrString | undefined,
  total: number,
  roundUp: boolean,
  defaultValue?: number,
): number {
  if (value === undefined || value === null) {
    if (defaultValue === undefined) throw new InvalidIntOrStringError('nil value for IntOrString');
    return defaultValue;
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new InvalidIntOrStringError(
        `invalid value for IntOrString: ${value} is not a non-negative integer`,
      );
    }
    return value;
  }
  if (typeof value !== 'string') {
    throw new InvalidIntOrStringError(`invalid type for IntOrString: ${typeof value}`);
  }
  if (!value.endsWith('%')) {
    throw new InvalidIntOrStringError(
      `invalid type: string is not a percentage: ${JSON.stringify(value)}`,
    );
  }
  const m = percentRe.exec(value);
  if (m === null)
    throw new InvalidIntOrStringError(
      `invalid value for IntOrString: invalid value ${JSON.stringify(value)}`,
    );
  const n = Number(m[1]);
  // Integer arithmetic keeps the rounding exact where floating point division could drift.
  const product = n * total;
  const quotient = Math.floor(product / 100);
  const exact = product % 100 === 0;
  return roundUp && !exact ? quotient + 1 : quotient;
}

/** True when the value is a percentage string. */
export function isPercent(value: IntOrString | undefined): boolean {
  return typeof value === 'string' && value.endsWith('%');
}
