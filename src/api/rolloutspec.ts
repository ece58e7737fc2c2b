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
import type { FieldError } from './fielderrors.js';
import {
  annotationField,
  crdRaw,
  parseControlValue,
  parseStrategyAnnotation,
  PERCENT,
  type RawFields,
} from './rolloutfields.js';
import {
  CONTROL_NAMES,
  controlAnnotation,
  isEverynodeDaemonSet,
  PAUSED_ANNOTATION,
  ROLLOUT_ANNOTATION_PREFIX,
  STRATEGY_ANNOTATION,
  SUSPEND_ANNOTATION,
  SUSPEND_MODES,
  type ControlName,
  type RolloutControl,
  type SuspendMode,
} from './rolloutkeys.js';
import { fieldError } from './fielderrors.js';
import { hasStepFields, readStepFields, type StepFields } from './rolloutsteps.js';
import type { DaemonSet, IntOrString } from './types.js';

export * from './rolloutkeys.js';
export { hasStepFields } from './rolloutsteps.js';
export {
  annotationField,
  parseControlValue,
  parseStrategyAnnotation,
  validateRolloutFields,
  type StrategyAnnotation,
} from './rolloutfields.js';

/** spec.removalBudget, checked (engine/rollout/removalbudget.ts plans with it). */
export interface RemovalBudget {
  readonly maxRemovals: IntOrString;
  readonly periodSeconds: number;
  readonly delaySeconds: number;
}

/**
 * True when pods on impaired nodes (api/nodeimpairment.ts) use no maxUnavailable budget, block
 * no completion and trip no health gate (`unavailableAccounting: RolloutOnly`, §3.8).
 */
export function skipsImpaired(spec: RolloutSpec): boolean {
  return spec.unavailableAccounting === 'RolloutOnly';
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
  /** Issue 12: canary, waves and health gates (rolloutsteps.ts); each undefined when absent. */
  readonly steps: StepFields;
  /** spec.removalBudget (§3.10); undefined: pods leave ineligible nodes at once, as upstream. */
  readonly removalBudget: RemovalBudget | undefined;
  /** rollingUpdate.unavailableAccounting (§3.8); All is apps/v1's. */
  readonly unavailableAccounting: 'All' | 'RolloutOnly';
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
  steps: Object.freeze({ canary: undefined, waves: undefined, healthGates: undefined }),
  removalBudget: undefined,
  unavailableAccounting: 'All',
  controls: Object.freeze({}),
});

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
    steps: raw.steps === undefined ? PLAIN_ROLLOUT_SPEC.steps : readStepFields(raw.steps),
    removalBudget: readRemovalBudget(raw.removalBudget),
    unavailableAccounting: raw.unavailableAccounting === 'RolloutOnly' ? 'RolloutOnly' : 'All',
  };
}

/** spec.removalBudget as far as it makes sense (validation refuses the rest). */
function readRemovalBudget(v: unknown): RemovalBudget | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const b = v as Record<string, unknown>;
  const m = b.maxRemovals;
  const period = b.periodSeconds;
  if ((typeof m !== 'number' && typeof m !== 'string') || typeof period !== 'number')
    return undefined;
  const delay = typeof b.delaySeconds === 'number' ? b.delaySeconds : 0;
  return { maxRemovals: m, periodSeconds: period, delaySeconds: delay };
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
  // The result reads the apiVersion, the spec and the annotations only: a status write that keeps
  // the spec and annotations objects (the memory cluster's does) reuses it (B3: one per write).
  const spec = ds.spec;
  const annotations = ds.metadata?.annotations;
  const same = spec === undefined ? undefined : bySpec.get(spec);
  let result: RolloutSpecResult;
  if (same !== undefined && same.apiVersion === ds.apiVersion && same.annotations === annotations)
    result = same.result;
  else {
    result = compute(ds);
    if (spec !== undefined) bySpec.set(spec, { apiVersion: ds.apiVersion, annotations, result });
  }
  cache.set(ds, result);
  return result;
}

/** The last result per spec object, with the apiVersion and annotations it was read with. */
const bySpec = new WeakMap<
  object,
  {
    readonly apiVersion: string | undefined;
    readonly annotations: unknown;
    result: RolloutSpecResult;
  }
>();

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
    const key = controlAnnotation(name);
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
    (base === undefined || !hasStepFields(base.steps)) &&
    base?.removalBudget === undefined &&
    (base?.unavailableAccounting ?? 'All') === 'All' &&
    Object.keys(controls).length === 0
      ? PLAIN_ROLLOUT_SPEC
      : {
          source,
          pausedBy,
          suspend,
          progressDeadlineSeconds: base?.progressDeadlineSeconds,
          progressDeadlineAbort: base?.progressDeadlineAbort ?? false,
          partition: base?.partition,
          steps: base?.steps ?? PLAIN_ROLLOUT_SPEC.steps,
          removalBudget: base?.removalBudget,
          unavailableAccounting: base?.unavailableAccounting ?? 'All',
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
