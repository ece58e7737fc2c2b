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
import type { DaemonSet } from './types.js';

/** The rollout fields as written, before validation: the CRD's spec or the annotation's JSON. */
export interface RawFields {
  readonly paused?: unknown;
  readonly suspend?: unknown;
  readonly progressDeadlineSeconds?: unknown;
  readonly progressDeadlineAbort?: unknown;
  readonly partition?: unknown;
  readonly rollingUpdatePaused?: unknown;
}

export const PERCENT = /^(0|[1-9][0-9]*)%$/;
const INT32_MAX = 2 ** 31 - 1;

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
  paths: Readonly<Record<keyof RawFields, string>>,
): FieldError[] {
  const out: FieldError[] = [];
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
  return out;
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
  };
}

const CRD_PATHS: Readonly<Record<keyof RawFields, string>> = {
  paused: 'spec.paused',
  suspend: 'spec.suspend',
  progressDeadlineSeconds: 'spec.progressDeadlineSeconds',
  progressDeadlineAbort: 'spec.progressDeadlineAbort',
  partition: 'spec.updateStrategy.rollingUpdate.partition',
  rollingUpdatePaused: 'spec.updateStrategy.rollingUpdate.paused',
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
]);
const ROLLING_UPDATE_KEYS = new Set(['partition', 'paused']);

/** What parseStrategyAnnotation found: the fields (when valid) and the errors. */
export interface StrategyAnnotation {
  readonly raw: RawFields | undefined;
  readonly errors: readonly FieldError[];
}

/**
 * The strategy annotation's value: a JSON object with the rollout fields of the CRD's spec
 * (`paused`, `suspend`, `progressDeadlineSeconds`, `progressDeadlineAbort`, and `rollingUpdate`
 * with `partition` and `paused`). Unknown keys are errors (a misspelt field must not be silently
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
    partition: ruObj.partition,
    rollingUpdatePaused: ruObj.paused,
  };
  errors.push(
    ...checkFields(raw, minReadySeconds, {
      paused: at('paused'),
      suspend: at('suspend'),
      progressDeadlineSeconds: at('progressDeadlineSeconds'),
      progressDeadlineAbort: at('progressDeadlineAbort'),
      partition: at('rollingUpdate.partition'),
      rollingUpdatePaused: at('rollingUpdate.paused'),
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
