/**
 * Rolling-update budget arithmetic (§6.1): maxUnavailable and maxSurge scaled against
 * desiredNumberScheduled, as upstream's UnavailableCount, SurgeCount and AllowsSurge do.
 */
import { getScaledValue } from '../api/intstr.js';
import type { DaemonSet, IntOrString } from '../api/types.js';

/** maxSurge and maxUnavailable resolved against desired. */
export interface Budget {
  readonly desired: number;
  readonly maxSurge: number;
  readonly maxUnavailable: number;
}

/** A maxSurge or maxUnavailable value that is neither an integer nor a percentage; names the field. */
export class InvalidBudgetError extends Error {
  override name = 'InvalidBudgetError';
  constructor(
    /** The field path, e.g. `spec.updateStrategy.rollingUpdate.maxSurge`. */
    readonly field: string,
    readonly value: unknown,
    options?: { cause?: unknown },
  ) {
    super(
      `${field}: invalid value ${JSON.stringify(value)}: must be a non-negative integer or a percentage such as "25%"`,
      options,
    );
  }
}

const FIELD = 'spec.updateStrategy.rollingUpdate';

function scale(
  field: string,
  value: IntOrString | undefined,
  total: number,
  defaultValue: number,
): number {
  let scaled: number;
  try {
    scaled = getScaledValue(value, total, true, defaultValue);
  } catch (err) {
    throw new InvalidBudgetError(`${FIELD}.${field}`, value, { cause: err });
  }
  // getScaledValue validates its input, but a negative or fractional count would break every
  // comparison below, so it is refused here too, whatever the helper lets through.
  if (!Number.isInteger(scaled) || scaled < 0) {
    throw new InvalidBudgetError(`${FIELD}.${field}`, value);
  }
  return scaled;
}

/** The raw maxUnavailable and maxSurge, or undefined when the strategy gives no rolling budget. */
function rollingParams(
  ds: DaemonSet,
): { maxUnavailable: IntOrString | undefined; maxSurge: IntOrString | undefined } | undefined {
  const strategy = ds.spec?.updateStrategy;
  // The API server defaults an empty type to RollingUpdate; a snapshot may come undefaulted.
  const type = strategy?.type ?? 'RollingUpdate';
  if (type !== 'RollingUpdate') return undefined;
  const ru = strategy?.rollingUpdate;
  if (ru === undefined || ru === null) return undefined;
  return { maxUnavailable: ru.maxUnavailable ?? undefined, maxSurge: ru.maxSurge ?? undefined };
}

/**
 * Scales both values against desired, rounding percentages up. Both are 0 unless the strategy is
 * RollingUpdate with a rollingUpdate block; a missing maxUnavailable counts as its default 1 and a
 * missing maxSurge as 0. When desired > 0 and both come to 0, maxUnavailable becomes 1.
 * Throws InvalidBudgetError naming the field on a malformed value.
 */
export function resolveBudget(ds: DaemonSet, desired: number): Budget {
  const params = rollingParams(ds);
  let maxUnavailable = 0;
  let maxSurge = 0;
  if (params !== undefined) {
    maxUnavailable = scale('maxUnavailable', params.maxUnavailable, desired, 1);
    maxSurge = params.maxSurge === undefined ? 0 : scale('maxSurge', params.maxSurge, desired, 0);
  }
  // An object that slipped past validation with both at zero would never progress.
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  return { desired, maxSurge, maxUnavailable };
}

/** AllowsSurge: maxSurge scaled against one node is greater than 0; a malformed value allows none. */
export function allowsSurge(ds: DaemonSet): boolean {
  const params = rollingParams(ds);
  if (params?.maxSurge === undefined) return false;
  try {
    return scale('maxSurge', params.maxSurge, 1, 0) > 0;
  } catch {
    return false;
  }
}
