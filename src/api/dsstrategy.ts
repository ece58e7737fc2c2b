/**
 * The one DaemonSet strategy: what kube-apiserver does to a DaemonSet written to it, in its order
 * (decode, defaults, bookkeeping, validation). The embedded API server (cluster/memory), `plan`,
 * `sim` and the controller's check of a custom resource all call these, so an object one of them
 * refuses is refused by all of them, with the same field errors.
 */
import { defaultDaemonSet } from './defaults.js';
import { fieldError, type FieldError } from './fielderrors.js';
import { semanticEqual } from './semantic.js';
import { TEMPLATE_GENERATION_ANNOTATION, type DaemonSet, type Mutable } from './types.js';
import { validateDaemonSet, validateDaemonSetUpdate } from './validation.js';
import { checkWireTypes } from './wirecheck.js';

/** A DaemonSet as the API server would store it, and why it would refuse it (empty: accepted). */
export interface Admission {
  readonly ds: DaemonSet;
  readonly errors: readonly FieldError[];
}

/** The field of the template-generation annotation, as errors name it. */
export const TEMPLATE_GENERATION_FIELD = `metadata.annotations[${TEMPLATE_GENERATION_ANNOTATION}]`;

/**
 * The decoder's part: the body must be an object whose fields have their Go types. Returns the
 * errors; an object that fails here is never defaulted (defaulting would read wrong types).
 */
export function decodeDaemonSet(input: unknown): FieldError[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return [fieldError('Invalid', '', describe(input), 'the body must be a DaemonSet object')];
  }
  return checkWireTypes(input, 'DaemonSet');
}

function describe(v: unknown): string {
  return Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v;
}

/**
 * True for everynode's custom resource. kube-apiserver keeps no template generation for it (no
 * registry raises the annotation), so nothing here reads, checks or sets the annotation on it:
 * the revision hash alone tells old pods from new ones.
 */
export function isEverynodeResource(ds: DaemonSet): boolean {
  return typeof ds.apiVersion === 'string' && ds.apiVersion.startsWith('apps.everynode.dev/');
}

const INT64_MAX = 2n ** 63n - 1n;

/** The annotation as strconv.ParseInt(s, 10, 64) reads it, or undefined. */
function parseTemplateGeneration(raw: string | undefined): bigint | undefined {
  if (raw === undefined || !/^[+-]?[0-9]+$/.test(raw)) return undefined;
  const n = BigInt(raw);
  return n > INT64_MAX || n < -INT64_MAX - 1n ? undefined : n;
}

/** The annotation's value as kube reads it on create: an integer (at least 1), or an error. */
function suppliedTemplateGeneration(ds: DaemonSet): bigint | FieldError {
  const supplied = ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  if (supplied === undefined) return 1n;
  const parsed = parseTemplateGeneration(supplied);
  if (parsed === undefined) {
    // Upstream fails converting the annotation into the internal templateGeneration.
    return fieldError('Invalid', TEMPLATE_GENERATION_FIELD, supplied, 'must be an integer');
  }
  return parsed > 1n ? parsed : 1n;
}

function withAnnotation(ds: Mutable<DaemonSet>, tg: bigint): void {
  const meta = (ds.metadata ??= {});
  meta.annotations = { ...meta.annotations, [TEMPLATE_GENERATION_ANNOTATION]: tg.toString() };
}

/** The status kube-apiserver stores for a new DaemonSet: the four counters without omitempty. */
function emptyStatus(): NonNullable<Mutable<DaemonSet>['status']> {
  return {
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    desiredNumberScheduled: 0,
    numberReady: 0,
  };
}

/**
 * Create: decode, defaults, the template-generation annotation (the supplied one if at least 1),
 * generation 1, an empty status; then ValidateDaemonSet.
 */
export function admitDaemonSetCreate(input: DaemonSet): Admission {
  const decoded = decodeDaemonSet(input);
  if (decoded.length > 0) return { ds: input, errors: decoded };
  const crd = isEverynodeResource(input);
  const tg = crd ? 1n : suppliedTemplateGeneration(input);
  if (typeof tg !== 'bigint') return { ds: input, errors: [tg] };
  const ds = defaultDaemonSet(input) as Mutable<DaemonSet>;
  if (!crd) withAnnotation(ds, tg);
  ds.status = emptyStatus();
  ds.metadata = { ...ds.metadata, generation: 1 };
  return { ds, errors: validateDaemonSet(ds) };
}

/**
 * The bookkeeping of an update (§1.4): when the template changed semantically, generation and the
 * template-generation annotation go up by one; when only the rest of the spec changed, generation
 * does. Whatever the client sent, the annotation mirrors the stored template generation. Pure.
 */
export function withGenerations(next: DaemonSet, prev: DaemonSet): DaemonSet {
  const crd = isEverynodeResource(next);
  const stored = parseTemplateGeneration(
    prev.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION],
  );
  let tg = stored ?? 1n;
  let generation = prev.metadata?.generation ?? 1;
  if (!semanticEqual(next.spec?.template, prev.spec?.template)) {
    tg += 1n;
    generation++;
  } else if (!semanticEqual(next.spec, prev.spec)) {
    generation++;
  }
  const out = { ...next, metadata: { ...next.metadata, generation } } as Mutable<DaemonSet>;
  // A custom resource's annotations stay as the client sent them.
  if (!crd) withAnnotation(out, tg);
  return out;
}

/**
 * Update of the main resource: decode, defaults, the stored status kept, generations
 * (withGenerations); then ValidateDaemonSetUpdate (the selector is immutable).
 */
export function admitDaemonSetUpdate(input: DaemonSet, prev: DaemonSet): Admission {
  const decoded = decodeDaemonSet(input);
  if (decoded.length > 0) return { ds: input, errors: decoded };
  const defaulted = defaultDaemonSet(input) as Mutable<DaemonSet>;
  if (prev.status === undefined) delete defaulted.status;
  else defaulted.status = prev.status as Mutable<DaemonSet>['status'];
  const ds = withGenerations(defaulted, prev);
  return { ds, errors: validateDaemonSetUpdate(ds, prev) };
}

/**
 * A DaemonSet read back as stored (a file from `kubectl get -o yaml`, a custom resource that
 * kube-apiserver stored as sent): decode, then storedDefaults, then ValidateDaemonSet.
 */
export function admitStoredDaemonSet(input: DaemonSet): Admission {
  const decoded = decodeDaemonSet(input);
  if (decoded.length > 0) return { ds: input, errors: decoded };
  const supplied = input.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  if (
    supplied !== undefined &&
    !isEverynodeResource(input) &&
    parseTemplateGeneration(supplied) === undefined
  ) {
    const e = fieldError('Invalid', TEMPLATE_GENERATION_FIELD, supplied, 'must be an integer');
    return { ds: input, errors: [e] };
  }
  const ds = storedDefaults(input);
  return { ds, errors: validateDaemonSet(ds) };
}

/**
 * Defaults, and generation 1 and (apps/v1 only) template generation 1 when absent, status kept: what a stored
 * object read back needs before planning. Only for an object admitStoredDaemonSet accepted.
 */
export function storedDefaults(input: DaemonSet): DaemonSet {
  const ds = defaultDaemonSet(input) as Mutable<DaemonSet>;
  // apps/v1 only: a custom resource has no template generation (isEverynodeResource).
  const absent = input.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION] === undefined;
  if (absent && !isEverynodeResource(input)) withAnnotation(ds, 1n);
  if (ds.metadata?.generation == null) ds.metadata = { ...ds.metadata, generation: 1 };
  return ds;
}
