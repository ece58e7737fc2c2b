/**
 * apps/v1 DaemonSet validation with field paths, worded like kube-apiserver.
 */
import { fieldError } from './fielderrors.js';
import type { FieldError } from './fielderrors.js';
import { isEmptyLabelSelector, labelSelectorAsSelector } from './labels.js';
import { isDNS1123Label, isDNS1123Subdomain, isValidPercent } from './names.js';
import { validatePodTemplateSpec } from './podvalidation.js';
import { validateRolloutFields } from './rolloutspec.js';
import { validateLabelSelector, validateLabels } from './schedvalidation.js';
import { checkWireTypes } from './wirecheck.js';
import { templateGenerationOf } from './pod.js';
import type {
  DaemonSet,
  DaemonSetSpec,
  DaemonSetUpdateStrategy,
  IntOrString,
  ObjectMeta,
} from './types.js';

export type { FieldError, FieldErrorType } from './fielderrors.js';
export { fieldError, formatInvalid } from './fielderrors.js';

const NEGATIVE = 'must be greater than or equal to 0';

function nonNegative(value: number | undefined | null, field: string): FieldError[] {
  return value != null && value < 0 ? [fieldError('Invalid', field, value, NEGATIVE)] : [];
}

function validateObjectMeta(meta: ObjectMeta | undefined): FieldError[] {
  const out: FieldError[] = [];
  const name = meta?.name ?? '';
  const generateName = meta?.generateName ?? '';
  if (name === '' && generateName === '') {
    out.push(fieldError('Required', 'metadata.name', name, 'name or generateName is required'));
  }
  if (name !== '')
    for (const m of isDNS1123Subdomain(name))
      out.push(fieldError('Invalid', 'metadata.name', name, m));
  if (generateName !== '') {
    // A generateName may end in a dash; the random suffix makes the final name valid.
    for (const m of isDNS1123Subdomain(generateName.replace(/-$/, 'a'))) {
      out.push(fieldError('Invalid', 'metadata.generateName', generateName, m));
    }
  }
  const ns = meta?.namespace ?? '';
  if (ns !== '')
    for (const m of isDNS1123Label(ns))
      out.push(fieldError('Invalid', 'metadata.namespace', ns, m));
  out.push(...validateLabels(meta?.labels, 'metadata.labels'));
  return out;
}

// getIntOrPercentValue: a valid percent's number, else the int (a non-percent string reads as Atoi or 0).
function intOrPercentValue(v: IntOrString | undefined): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return 0;
  if (isValidPercent(v).length === 0) return Number(v.slice(0, -1));
  return /^[+-]?[0-9]+$/.test(v) ? Number(v) : 0;
}

function validateIntOrPercent(v: IntOrString | undefined, field: string): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') {
    const out = isValidPercent(v).map((m) => fieldError('Invalid', field, v, m));
    if (out.length === 0 && Number(v.slice(0, -1)) > 100) {
      out.push(fieldError('Invalid', field, v, 'must not be greater than 100%'));
    }
    return out;
  }
  if (typeof v === 'number' && Number.isInteger(v)) return nonNegative(v, field);
  return [fieldError('Invalid', field, v, "must be an integer or percentage (e.g '5%')")];
}

function validateUpdateStrategy(
  strategy: DaemonSetUpdateStrategy | undefined,
  path: string,
): FieldError[] {
  const type = strategy?.type ?? '';
  if (type === 'OnDelete') return [];
  if (type !== 'RollingUpdate') {
    // Upstream reports this on the strategy itself; the value shown is its type, not a Go struct.
    return [fieldError('NotSupported', path, type, '', ['RollingUpdate', 'OnDelete'])];
  }
  const ru = strategy?.rollingUpdate;
  if (ru == null) return [fieldError('Required', `${path}.rollingUpdate`, undefined, '')];
  const ruPath = `${path}.rollingUpdate`;
  const out = [
    ...validateIntOrPercent(ru.maxUnavailable, `${ruPath}.maxUnavailable`),
    ...validateIntOrPercent(ru.maxSurge, `${ruPath}.maxSurge`),
  ];
  const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
  const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
  if (hasUnavailable && hasSurge) {
    out.push(
      fieldError(
        'Invalid',
        `${ruPath}.maxSurge`,
        ru.maxSurge,
        'may not be set when maxUnavailable is non-zero',
      ),
    );
  } else if (!hasUnavailable && !hasSurge) {
    out.push(
      fieldError(
        'Required',
        `${ruPath}.maxUnavailable`,
        undefined,
        'cannot be 0 when maxSurge is 0',
      ),
    );
  }
  return out;
}

function validateSelector(spec: DaemonSetSpec | undefined): FieldError[] {
  const out: FieldError[] = [];
  const selector = spec?.selector;
  out.push(...validateLabelSelector(selector, 'spec.selector'));
  if (out.length === 0) {
    // A nil selector matches nothing, so it fails here too.
    const labels = spec?.template?.metadata?.labels;
    if (!labelSelectorAsSelector(selector).matches(labels)) {
      out.push(
        fieldError(
          'Invalid',
          'spec.template.metadata.labels',
          labels ?? {},
          '`selector` does not match template `labels`',
        ),
      );
    }
  }
  if (isEmptyLabelSelector(selector)) {
    out.push(
      fieldError('Invalid', 'spec.selector', selector, 'empty selector is invalid for daemonset'),
    );
  }
  return out;
}

function validateSpec(ds: DaemonSet): FieldError[] {
  const spec = ds.spec;
  const out = [
    ...validateSelector(spec),
    ...validatePodTemplateSpec(spec?.template, 'spec.template'),
  ];
  const restart = spec?.template?.spec?.restartPolicy ?? '';
  if (restart !== 'Always') {
    out.push(
      fieldError('NotSupported', 'spec.template.spec.restartPolicy', restart, '', ['Always']),
    );
  }
  if (spec?.template?.spec?.activeDeadlineSeconds != null) {
    out.push(
      fieldError(
        'Forbidden',
        'spec.template.spec.activeDeadlineSeconds',
        undefined,
        'activeDeadlineSeconds in DaemonSet is not Supported',
      ),
    );
  }
  out.push(...nonNegative(spec?.minReadySeconds, 'spec.minReadySeconds'));
  const tg = templateGenerationOf(ds);
  if (tg !== undefined) out.push(...nonNegative(Number(tg), 'spec.templateGeneration'));
  out.push(...validateUpdateStrategy(spec?.updateStrategy, 'spec.updateStrategy'));
  // everynode's CRD: the rollout fields (paused, suspend, partition, deadline; none on apps/v1).
  out.push(...validateRolloutFields(ds));
  out.push(...nonNegative(spec?.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  return out;
}

/**
 * ValidateDaemonSet on a defaulted object (create). A value of the wrong JSON type (what the
 * decoder refuses before validation) is reported alone, as kube-apiserver does.
 */
export function validateDaemonSet(ds: DaemonSet): FieldError[] {
  const types = checkWireTypes(ds, 'DaemonSet');
  if (types.length > 0) return types;
  return [...validateObjectMeta(ds.metadata), ...validateSpec(ds)];
}

// Semantic equality treats absent, null, empty lists and empty maps below the top level alike.
function semantic(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(semantic);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = semantic((value as Record<string, unknown>)[k]);
      if (v == null || (Array.isArray(v) && v.length === 0)) continue;
      if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
      out[k] = v;
    }
    return out;
  }
  return value;
}

function semanticEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(semantic(a) ?? null) === JSON.stringify(semantic(b) ?? null);
}

function validateObjectMetaUpdate(
  next: ObjectMeta | undefined,
  prev: ObjectMeta | undefined,
): FieldError[] {
  const out: FieldError[] = [];
  for (const key of ['name', 'namespace', 'uid'] as const) {
    const a = next?.[key] ?? '';
    const b = prev?.[key] ?? '';
    if (a !== b) out.push(fieldError('Invalid', `metadata.${key}`, a, 'field is immutable'));
  }
  return out;
}

/** ValidateDaemonSetUpdate: validateDaemonSet plus the immutable selector. */
export function validateDaemonSetUpdate(next: DaemonSet, prev: DaemonSet): FieldError[] {
  const types = checkWireTypes(next, 'DaemonSet');
  if (types.length > 0) return types;
  const out = [...validateObjectMetaUpdate(next.metadata, prev.metadata), ...validateSpec(next)];
  if (!semanticEqual(next.spec?.selector, prev.spec?.selector)) {
    out.push(fieldError('Invalid', 'spec.selector', next.spec?.selector, 'field is immutable'));
  }
  return out;
}

const STATUS_COUNTERS = [
  'currentNumberScheduled',
  'numberMisscheduled',
  'desiredNumberScheduled',
  'numberReady',
  'observedGeneration',
  'updatedNumberScheduled',
  'numberAvailable',
  'numberUnavailable',
  'collisionCount',
] as const;

/** ValidateDaemonSetStatusUpdate: non-negative counters, collisionCount not decremented. */
export function validateDaemonSetStatusUpdate(next: DaemonSet, prev: DaemonSet): FieldError[] {
  const out = validateObjectMetaUpdate(next.metadata, prev.metadata);
  const status = next.status;
  for (const key of STATUS_COUNTERS) out.push(...nonNegative(status?.[key], `status.${key}`));
  const now = status?.collisionCount;
  const before = prev.status?.collisionCount;
  // IsDecremented: going from a value to nil also counts as a decrement.
  if (before != null && (now == null || now < before)) {
    out.push(fieldError('Invalid', 'status.collisionCount', now ?? 0, 'cannot be decremented'));
  }
  return out;
}
