/**
 * The rollout fields' checks (shared/spec/rollout-features.md §2): the CRD's spec fields as its
 * CEL rules check them (validateRolloutFields), the strategy annotation's JSON on apps/v1
 * (parseStrategyAnnotation) and a control annotation's value (parseControlValue), with field
 * errors that name the field or the annotation. api/rolloutspec.ts re-exports these.
 */
import { fieldError, type FieldError } from './fielderrors.js';
import {
  isEverynodeDaemonSet,
  STRATEGY_ANNOTATION,
  SUSPEND_MODES,
  type RolloutControl,
} from './rolloutkeys.js';
import { checkStepFields, type RawStepFields } from './rolloutsteps.js';
import type { DaemonSet } from './types.js';

/** The rollout fields as written, before validation: the CRD's spec or the annotation's JSON. */
export interface RawFields {
  readonly paused?: unknown;
  readonly suspend?: unknown;
  readonly progressDeadlineSeconds?: unknown;
  readonly progressDeadlineAbort?: unknown;
  readonly partition?: unknown;
  readonly rollingUpdatePaused?: unknown;
  /** Issue 12's spec.removalBudget and rollingUpdate.unavailableAccounting. */
  readonly removalBudget?: unknown;
  readonly unavailableAccounting?: unknown;
  /** Issue 12's rollingUpdate.canary, waves, healthGates and selector (rolloutsteps.ts). */
  readonly steps?: RawStepFields;
}

export const PERCENT = /^(0|[1-9][0-9]*)%$/;
const INT32_MAX = 2 ** 31 - 1;

/** rollingUpdate.unavailableAccounting's values (shared/spec/rollout-features.md §3.8). */
export const UNAVAILABLE_ACCOUNTING = ['All', 'RolloutOnly'] as const;
const REMOVAL_BUDGET_KEYS = new Set(['maxRemovals', 'periodSeconds', 'delaySeconds']);

/** The annotation field path as errors name it. */
export function annotationField(key: string, sub = ''): string {
  return `metadata.annotations[${key}]${sub === '' ? '' : `.${sub}`}`;
}

/**
 * The field errors of the rollout fields, each at `paths[field]`; minReadySeconds for the
 * deadline rule (it must be greater, as Deployment's).
 */
function checkFields(
  raw: RawFields,
  minReadySeconds: number,
  paths: Readonly<Record<Exclude<keyof RawFields, 'steps'>, string>>,
): FieldError[] {
  const out: FieldError[] = [];
  // rollingUpdate's path: partition's parent.
  const ruPath = paths.partition.slice(0, paths.partition.lastIndexOf('.'));
  if (raw.steps !== undefined)
    out.push(...checkStepFields(raw.steps, ruPath, raw.progressDeadlineSeconds));
  const bool = (k: 'paused' | 'progressDeadlineAbort' | 'rollingUpdatePaused'): void => {
    const v = raw[k];
    if (v != null && typeof v !== 'boolean')
      out.push(fieldError('Invalid', paths[k], v, 'must be true or false'));
  };
  bool('paused');
  bool('rollingUpdatePaused');
  bool('progressDeadlineAbort');
  const s = raw.suspend;
  if (s != null && s !== '' && !(SUSPEND_MODES as readonly unknown[]).includes(s))
    out.push(fieldError('NotSupported', paths.suspend, s, '', ['', ...SUSPEND_MODES]));
  const d = raw.progressDeadlineSeconds;
  if (d != null) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > INT32_MAX)
      out.push(
        fieldError(
          'Invalid',
          paths.progressDeadlineSeconds,
          d,
          'must be an integer from 1 to 2147483647',
        ),
      );
    else if (d <= minReadySeconds)
      out.push(
        fieldError(
          'Invalid',
          paths.progressDeadlineSeconds,
          d,
          `must be greater than minReadySeconds (${minReadySeconds})`,
        ),
      );
  }
  const p = raw.partition;
  if (p != null) {
    const okInt = typeof p === 'number' && Number.isInteger(p) && p >= 0 && p <= INT32_MAX;
    const m = typeof p === 'string' ? PERCENT.exec(p) : null;
    if (m !== null && Number(m[1]) > 100)
      out.push(fieldError('Invalid', paths.partition, p, 'must not be greater than 100%'));
    else if (!okInt && m === null)
      out.push(
        fieldError(
          'Invalid',
          paths.partition,
          p,
          'must be an integer from 0 to 2147483647 or a percentage such as 10%',
        ),
      );
  }
  const ua = raw.unavailableAccounting;
  if (ua != null && ua !== '' && !(UNAVAILABLE_ACCOUNTING as readonly unknown[]).includes(ua))
    out.push(
      fieldError('NotSupported', paths.unavailableAccounting, ua, '', UNAVAILABLE_ACCOUNTING),
    );
  if (raw.removalBudget != null)
    out.push(...checkRemovalBudget(raw.removalBudget, paths.removalBudget));
  return out;
}

/**
 * spec.removalBudget (§2): maxRemovals (required: an int from 1, or a percent from 1% to 100%),
 * periodSeconds (required, from 1), delaySeconds (from 0); unknown keys are errors.
 */
function checkRemovalBudget(v: unknown, path: string): FieldError[] {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return [fieldError('Invalid', path, v, 'must be an object with maxRemovals and periodSeconds')];
  const b = v as Record<string, unknown>;
  const out: FieldError[] = [];
  for (const k of Object.keys(b))
    if (!REMOVAL_BUDGET_KEYS.has(k))
      out.push(fieldError('Invalid', `${path}.${k}`, k, 'unknown field'));
  const m = b.maxRemovals;
  const pct = typeof m === 'string' ? PERCENT.exec(m) : null;
  if (m == null) out.push(fieldError('Required', `${path}.maxRemovals`, undefined, ''));
  else if (pct !== null ? Number(pct[1]) < 1 || Number(pct[1]) > 100 : !isInt(m, 1))
    out.push(
      fieldError(
        'Invalid',
        `${path}.maxRemovals`,
        m,
        'must be an integer from 1 to 2147483647 or a percentage from 1% to 100%',
      ),
    );
  const period = b.periodSeconds;
  if (period == null) out.push(fieldError('Required', `${path}.periodSeconds`, undefined, ''));
  else if (!isInt(period, 1))
    out.push(
      fieldError(
        'Invalid',
        `${path}.periodSeconds`,
        period,
        'must be an integer from 1 to 2147483647',
      ),
    );
  const delay = b.delaySeconds;
  if (delay != null && !isInt(delay, 0))
    out.push(
      fieldError(
        'Invalid',
        `${path}.delaySeconds`,
        delay,
        'must be an integer from 0 to 2147483647',
      ),
    );
  return out;
}

function isInt(v: unknown, min: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= INT32_MAX;
}

export function crdRaw(ds: DaemonSet): RawFields {
  const spec = ds.spec as Record<string, unknown> | undefined;
  const ru = ds.spec?.updateStrategy?.rollingUpdate as Record<string, unknown> | undefined;
  return {
    paused: spec?.paused,
    suspend: spec?.suspend,
    progressDeadlineSeconds: spec?.progressDeadlineSeconds,
    progressDeadlineAbort: spec?.progressDeadlineAbort,
    partition: ru?.partition,
    rollingUpdatePaused: ru?.paused,
    removalBudget: spec?.removalBudget,
    unavailableAccounting: ru?.unavailableAccounting,
    steps: {
      canary: ru?.canary,
      waves: ru?.waves,
      healthGates: ru?.healthGates,
      selector: ru?.selector,
    },
  };
}

const CRD_PATHS: Readonly<Record<Exclude<keyof RawFields, 'steps'>, string>> = {
  paused: 'spec.paused',
  suspend: 'spec.suspend',
  progressDeadlineSeconds: 'spec.progressDeadlineSeconds',
  progressDeadlineAbort: 'spec.progressDeadlineAbort',
  partition: 'spec.updateStrategy.rollingUpdate.partition',
  rollingUpdatePaused: 'spec.updateStrategy.rollingUpdate.paused',
  removalBudget: 'spec.removalBudget',
  unavailableAccounting: 'spec.updateStrategy.rollingUpdate.unavailableAccounting',
};

/**
 * The field errors of the CRD's rollout fields (none for apps/v1, whose spec has no such fields):
 * what the CRD's CEL rules refuse at kubectl apply. validation.ts's validateDaemonSet calls it, so
 * the embedded API server, `plan`, `sim` and the controller's admission refuse the same.
 */
export function validateRolloutFields(ds: DaemonSet): FieldError[] {
  if (!isEverynodeDaemonSet(ds)) return [];
  return checkFields(crdRaw(ds), ds.spec?.minReadySeconds ?? 0, CRD_PATHS);
}

const STRATEGY_KEYS = new Set([
  'paused',
  'suspend',
  'progressDeadlineSeconds',
  'progressDeadlineAbort',
  'rollingUpdate',
  'removalBudget',
]);
const ROLLING_UPDATE_KEYS = new Set([
  'partition',
  'paused',
  'unavailableAccounting',
  'canary',
  'waves',
  'healthGates',
  'selector',
]);

/** What parseStrategyAnnotation found: the fields (when valid) and the errors. */
export interface StrategyAnnotation {
  readonly raw: RawFields | undefined;
  readonly errors: readonly FieldError[];
}

/**
 * The strategy annotation's value: a JSON object with the rollout fields of the CRD's spec
 * (`paused`, `suspend`, `progressDeadlineSeconds`, `progressDeadlineAbort`, and `rollingUpdate`
 * with `partition`, `paused`, `canary`, `waves`, `healthGates` and `selector`). Unknown keys are errors (a misspelt field must not be silently
 * ignored), and so are maxUnavailable and maxSurge, which belong in spec.updateStrategy.
 * `minReadySeconds`: the DaemonSet's, for the deadline rule. Errors name the field inside the
 * annotation, e.g. `metadata.annotations[rollout.everynode.dev/strategy].rollingUpdate.partition`.
 */
export function parseStrategyAnnotation(text: string, minReadySeconds = 0): StrategyAnnotation {
  const at = (sub = ''): string => annotationField(STRATEGY_ANNOTATION, sub);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return {
      raw: undefined,
      errors: [fieldError('Invalid', at(), text, `not valid JSON: ${why}`)],
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { raw: undefined, errors: [fieldError('Invalid', at(), text, 'must be a JSON object')] };
  const obj = value as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const k of Object.keys(obj)) if (!STRATEGY_KEYS.has(k)) errors.push(unknownField(at(k), k));
  const ru = obj.rollingUpdate;
  let ruObj: Record<string, unknown> = {};
  if (ru != null) {
    if (typeof ru !== 'object' || Array.isArray(ru))
      errors.push(fieldError('Invalid', at('rollingUpdate'), ru, 'must be a JSON object'));
    else {
      ruObj = ru as Record<string, unknown>;
      for (const k of Object.keys(ruObj))
        if (!ROLLING_UPDATE_KEYS.has(k)) errors.push(unknownField(at(`rollingUpdate.${k}`), k));
    }
  }
  const raw: RawFields = {
    paused: obj.paused,
    suspend: obj.suspend,
    progressDeadlineSeconds: obj.progressDeadlineSeconds,
    progressDeadlineAbort: obj.progressDeadlineAbort,
    removalBudget: obj.removalBudget,
    partition: ruObj.partition,
    rollingUpdatePaused: ruObj.paused,
    unavailableAccounting: ruObj.unavailableAccounting,
    steps: {
      canary: ruObj.canary,
      waves: ruObj.waves,
      healthGates: ruObj.healthGates,
      selector: ruObj.selector,
    },
  };
  errors.push(
    ...checkFields(raw, minReadySeconds, {
      paused: at('paused'),
      suspend: at('suspend'),
      progressDeadlineSeconds: at('progressDeadlineSeconds'),
      progressDeadlineAbort: at('progressDeadlineAbort'),
      partition: at('rollingUpdate.partition'),
      rollingUpdatePaused: at('rollingUpdate.paused'),
      removalBudget: at('removalBudget'),
      unavailableAccounting: at('rollingUpdate.unavailableAccounting'),
    }),
  );
  return errors.length === 0 ? { raw, errors } : { raw: undefined, errors };
}

function unknownField(path: string, key: string): FieldError {
  const hint =
    key === 'maxUnavailable' || key === 'maxSurge'
      ? `; set ${key} in spec.updateStrategy.rollingUpdate`
      : '';
  return fieldError('Invalid', path, key, `unknown field${hint}`);
}

const CONTROL_VALUE =
  /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)(?:\/([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?))?$/;

/**
 * A control annotation's value `"<revision-hash>[/<token>]"`, or a field error naming the
 * annotation. The hash is a controller-revision-hash (or a revision name); the token, letters,
 * digits, '-', '_' and '.', at most 63 characters.
 */
export function parseControlValue(key: string, value: string): RolloutControl | FieldError {
  const m = CONTROL_VALUE.exec(value);
  if (m === null || value.length > 316 || (m[3] ?? '').length > 63)
    return fieldError(
      'Invalid',
      annotationField(key),
      value,
      'must be "<revision-hash>" or "<revision-hash>/<token>"',
    );
  return { value, revision: m[1]!, token: m[3] ?? '' };
}
