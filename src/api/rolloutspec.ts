/**
 * The rollout spec (shared/spec/rollout-features.md §2, §5): everynode's rollout fields, read once
 * into one normalised RolloutSpec from either place they can be written:
 *
 * - everynode's CRD (apps.everynode.dev/v1alpha1): `spec.paused`, `spec.suspend`,
 *   `spec.progressDeadlineSeconds`, `spec.progressDeadlineAbort`,
 *   `spec.updateStrategy.rollingUpdate.partition` and OpenKruise's alias `...rollingUpdate.paused`.
 *   An invalid value there is a validation error: kube-apiserver's CEL rules refuse it, and so do
 *   the embedded API server, `plan` and `sim` (validateRolloutFields, called from validation.ts).
 * - an apps/v1 DaemonSet: the annotation `rollout.everynode.dev/strategy`, the same fields as JSON
 *   (`{"paused": true, "rollingUpdate": {"partition": "10%"}}`). Annotations are not validated by
 *   any API server, so an invalid one is reported (an Event and the InvalidStrategy condition) and
 *   its fields are ignored: the DaemonSet runs as plain apps/v1.
 *
 * The controls (§5) are annotations on either kind: `rollout.everynode.dev/paused: "true"`,
 * `rollout.everynode.dev/suspend: Freeze|ScaleToZero`, and `rollout.everynode.dev/{abort,retry}:
 * "<revision-hash>[/<token>]"` (acted on once per distinct value, only for the update revision's
 * hash; the engine decides that). A control that does not parse is reported like an invalid
 * annotation and ignored; the others still apply.
 *
 * Nothing here knows about revisions, pods or time: resolving a partition against desired and
 * acting on controls are the engine's (engine/rolloutpolicy.ts).
 */
import { fieldError, type FieldError } from './fielderrors.js';
import type { DaemonSet, IntOrString } from './types.js';

/** The prefix of every rollout annotation. */
export const ROLLOUT_ANNOTATION_PREFIX = 'rollout.everynode.dev/';
/** `"true"` pauses the rollout, like spec.paused. */
export const PAUSED_ANNOTATION = 'rollout.everynode.dev/paused';
/** `Freeze` or `ScaleToZero`: suspends the DaemonSet, like spec.suspend (the annotation wins). */
export const SUSPEND_ANNOTATION = 'rollout.everynode.dev/suspend';
/** `"<revision-hash>[/<token>]"`: abort the rollout of that revision (back to the stable one). */
export const ABORT_ANNOTATION = 'rollout.everynode.dev/abort';
/** `"<revision-hash>[/<token>]"`: retry an aborted or failed rollout of that revision. */
export const RETRY_ANNOTATION = 'rollout.everynode.dev/retry';
/** `"<revision-hash>[/<token>]"`: promote a canary or wave (issue 12). */
export const PROMOTE_ANNOTATION = 'rollout.everynode.dev/promote';
/** The rollout fields as JSON, on apps/v1 DaemonSets. */
export const STRATEGY_ANNOTATION = 'rollout.everynode.dev/strategy';
/**
 * On a ControllerRevision of an apps/v1 DaemonSet: the rollout's durable record (stable revision,
 * last progress, observed controls, abort), since apps/v1 status has no field for them
 * (docs/adr/2026-12-08-rollout-state-of-native-daemonsets.md). Written by the controller only.
 */
export const ROLLOUT_STATE_ANNOTATION = 'rollout.everynode.dev/state';

/** The API group of everynode's CRD. */
export const EVERYNODE_GROUP = 'apps.everynode.dev';

/** True for everynode's CRD (apiVersion apps.everynode.dev/...), false for apps/v1. */
export function isEverynodeDaemonSet(ds: DaemonSet): boolean {
  return ds.apiVersion?.startsWith(`${EVERYNODE_GROUP}/`) ?? false;
}

/** spec.suspend's values (besides "" and absent: not suspended). */
export const SUSPEND_MODES = ['Freeze', 'ScaleToZero'] as const;
/** Freeze: no pod writes at all; ScaleToZero: every pod removed. */
export type SuspendMode = (typeof SUSPEND_MODES)[number];

/** The controls acted on once per distinct value. */
export const CONTROL_NAMES = ['abort', 'retry'] as const;
/** One of CONTROL_NAMES (issue 12 adds promote). */
export type ControlName = (typeof CONTROL_NAMES)[number];

const CONTROL_ANNOTATIONS: Readonly<Record<ControlName, string>> = {
  abort: ABORT_ANNOTATION,
  retry: RETRY_ANNOTATION,
};

/** A control annotation's value, parsed. */
export interface RolloutControl {
  /** The annotation's whole value: acted on once per distinct value. */
  readonly value: string;
  /** The revision it is for: a controller-revision-hash (or the revision's name). */
  readonly revision: string;
  /** The part after '/', '' when absent: lets the same control be given again. */
  readonly token: string;
}

/** Where the spec's paused came from, for messages. */
export type PausedBy = 'spec.paused' | 'rollingUpdate.paused' | 'annotation';

/** The rollout fields of one DaemonSet, whichever place they were written in. */
export interface RolloutSpec {
  /** crd: the CRD's spec; annotation: a valid strategy annotation; none: plain apps/v1. */
  readonly source: 'crd' | 'annotation' | 'none';
  /** Paused by spec.paused, rollingUpdate.paused or the paused annotation (undefined: not). */
  readonly pausedBy: PausedBy | undefined;
  /** The suspend mode; the annotation overrides the field. */
  readonly suspend: SuspendMode | undefined;
  /** undefined: no deadline (unlike Deployment, there is no default; see the README). */
  readonly progressDeadlineSeconds: number | undefined;
  readonly progressDeadlineAbort: boolean;
  /** The partition as written (resolvePartition turns it into a node count). */
  readonly partition: IntOrString | undefined;
  /** The parsed control annotations that are present. */
  readonly controls: Readonly<Partial<Record<ControlName, RolloutControl>>>;
}

/** rolloutSpecOf's answer: the spec, and what was wrong with the annotations (ignored). */
export interface RolloutSpecResult {
  readonly spec: RolloutSpec;
  /**
   * Errors of annotations (the strategy annotation, a control's value): reported as an Event and
   * the InvalidStrategy condition, never a refusal. The CRD's spec errors are validation errors
   * (validateRolloutFields) and are not repeated here.
   */
  readonly annotationErrors: readonly FieldError[];
}

/** The spec of a DaemonSet with no rollout fields and no controls. */
export const PLAIN_ROLLOUT_SPEC: RolloutSpec = Object.freeze({
  source: 'none',
  pausedBy: undefined,
  suspend: undefined,
  progressDeadlineSeconds: undefined,
  progressDeadlineAbort: false,
  partition: undefined,
  controls: Object.freeze({}),
});

/** The rollout fields as written, before validation: the CRD's spec or the annotation's JSON. */
interface RawFields {
  readonly paused?: unknown;
  readonly suspend?: unknown;
  readonly progressDeadlineSeconds?: unknown;
  readonly progressDeadlineAbort?: unknown;
  readonly partition?: unknown;
  readonly rollingUpdatePaused?: unknown;
}

const PERCENT = /^(0|[1-9][0-9]*)%$/;
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

function crdRaw(ds: DaemonSet): RawFields {
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

/** The control annotation of a name. */
export function controlAnnotation(name: ControlName): string {
  return CONTROL_ANNOTATIONS[name];
}

/** Reads the fields (already checked) into the spec's shape. */
function fromRaw(
  source: RolloutSpec['source'],
  raw: RawFields,
): Omit<RolloutSpec, 'controls' | 'suspend'> & { suspend: SuspendMode | undefined } {
  const pausedBy: PausedBy | undefined =
    raw.paused === true
      ? 'spec.paused'
      : raw.rollingUpdatePaused === true
        ? 'rollingUpdate.paused'
        : undefined;
  const s = raw.suspend;
  return {
    source,
    pausedBy,
    suspend: s === 'Freeze' || s === 'ScaleToZero' ? s : undefined,
    progressDeadlineSeconds:
      typeof raw.progressDeadlineSeconds === 'number' ? raw.progressDeadlineSeconds : undefined,
    progressDeadlineAbort: raw.progressDeadlineAbort === true,
    partition:
      typeof raw.partition === 'number' || typeof raw.partition === 'string'
        ? raw.partition
        : undefined,
  };
}

const cache = new WeakMap<object, RolloutSpecResult>();

/**
 * The normalised rollout spec of a DaemonSet (this module's header): the CRD's fields, or the
 * strategy annotation's on apps/v1, with the control annotations applied (paused and suspend)
 * and parsed (abort, retry). A CRD whose fields validateRolloutFields refuses is never planned
 * (admission refuses it); here its fields are read as far as they make sense. Cached per object.
 */
export function rolloutSpecOf(ds: DaemonSet): RolloutSpecResult {
  const hit = cache.get(ds);
  if (hit !== undefined) return hit;
  const result = compute(ds);
  cache.set(ds, result);
  return result;
}

function compute(ds: DaemonSet): RolloutSpecResult {
  const annotations = ds.metadata?.annotations ?? {};
  const errors: FieldError[] = [];
  let base: ReturnType<typeof fromRaw> | undefined;
  if (isEverynodeDaemonSet(ds)) base = fromRaw('crd', crdRaw(ds));
  else {
    const text = annotations[STRATEGY_ANNOTATION];
    if (text !== undefined) {
      const parsed = parseStrategyAnnotation(text, ds.spec?.minReadySeconds ?? 0);
      errors.push(...parsed.errors);
      if (parsed.raw !== undefined) base = fromRaw('annotation', parsed.raw);
    }
  }
  let pausedBy = base?.pausedBy;
  const pausedText = annotations[PAUSED_ANNOTATION];
  if (pausedText !== undefined) {
    if (pausedText === 'true') pausedBy ??= 'annotation';
    else if (pausedText !== 'false' && pausedText !== '')
      errors.push(
        fieldError(
          'Invalid',
          annotationField(PAUSED_ANNOTATION),
          pausedText,
          'must be "true" or "false"',
        ),
      );
  }
  let suspend = base?.suspend;
  const suspendText = annotations[SUSPEND_ANNOTATION];
  if (suspendText !== undefined && suspendText !== '') {
    if (suspendText === 'Freeze' || suspendText === 'ScaleToZero') suspend = suspendText;
    else
      errors.push(
        fieldError('NotSupported', annotationField(SUSPEND_ANNOTATION), suspendText, '', [
          ...SUSPEND_MODES,
        ]),
      );
  }
  const controls: Partial<Record<ControlName, RolloutControl>> = {};
  for (const name of CONTROL_NAMES) {
    const key = CONTROL_ANNOTATIONS[name];
    const text = annotations[key];
    if (text === undefined || text === '') continue;
    const c = parseControlValue(key, text);
    if ('detail' in c) errors.push(c);
    else controls[name] = c;
  }
  const source = base?.source ?? 'none';
  const spec: RolloutSpec =
    source === 'none' &&
    pausedBy === undefined &&
    suspend === undefined &&
    Object.keys(controls).length === 0
      ? PLAIN_ROLLOUT_SPEC
      : {
          source,
          pausedBy,
          suspend,
          progressDeadlineSeconds: base?.progressDeadlineSeconds,
          progressDeadlineAbort: base?.progressDeadlineAbort ?? false,
          partition: base?.partition,
          controls,
        };
  return { spec, annotationErrors: errors };
}

/**
 * True when a DaemonSet uses any of everynode's rollout features: the CRD always (its status is
 * everynode's), an apps/v1 DaemonSet when it has the strategy annotation (valid or not) or any
 * rollout control annotation. Without them an apps/v1 DaemonSet is planned and its status written
 * exactly as upstream does (the README's "What everynode adds to status").
 */
export function usesRolloutFeatures(ds: DaemonSet): boolean {
  if (isEverynodeDaemonSet(ds)) return true;
  const annotations = ds.metadata?.annotations;
  if (annotations === undefined) return false;
  for (const key of Object.keys(annotations))
    if (key.startsWith(ROLLOUT_ANNOTATION_PREFIX)) return true;
  return false;
}

/**
 * The partition as a node count for `desired` nodes: an int as it is, a percent of desired
 * rounded down; at most desired. undefined or invalid: 0.
 */
export function resolvePartition(partition: IntOrString | undefined, desired: number): number {
  if (partition === undefined) return 0;
  if (typeof partition === 'number')
    return Number.isInteger(partition) && partition > 0 ? Math.min(partition, desired) : 0;
  const m = PERCENT.exec(partition);
  if (m === null) return 0;
  const pct = Math.min(100, Number(m[1]));
  return Math.min(desired, Math.floor((pct * desired) / 100));
}
