/**
 * Validation of what decides where a pod may run, as kube-apiserver's core validation does it:
 * nodeSelector, node and pod (anti-)affinity, tolerations, and a Node's taints. An object that
 * fails here is refused everywhere (embedded API server, `plan`, `sim`, the controller), so a typo
 * such as `operator: Near` can never reach the matching code as "matches no node".
 */
import { fieldError, type FieldError } from './fielderrors.js';
import { labelSelectorProblems } from './labels.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from './names.js';
import type {
  Affinity,
  LabelSelector,
  NodeSelector,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  Taint,
  Toleration,
} from './types.js';

/** The node selector operators of core/v1. */
export const NODE_SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];
/** The toleration operators of core/v1 ("" means Equal). */
export const TOLERATION_OPERATORS = ['Equal', 'Exists'];
/** The taint effects of core/v1. */
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** ValidateLabelName: a qualified name, errors on `field`. */
export function validateLabelName(name: string | undefined, field: string): FieldError[] {
  return isQualifiedName(name ?? '').map((m) => fieldError('Invalid', field, name ?? '', m));
}

/** ValidateLabels: every key a qualified name, every value a label value (errors on `field`). */
export function validateLabels(
  labels: Readonly<Record<string, string>> | undefined | null,
  field: string,
): FieldError[] {
  const out: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const m of isQualifiedName(k)) out.push(fieldError('Invalid', field, k, m));
    for (const m of isValidLabelValue(v ?? '')) out.push(fieldError('Invalid', field, v, m));
  }
  return out;
}

/** ValidateLabelSelector (a nil selector is valid), errors under `field`. */
export function validateLabelSelector(
  selector: LabelSelector | undefined | null,
  field: string,
): FieldError[] {
  if (selector == null) return [];
  // The selector code reads keys as strings; a missing key reads as "" as in Go.
  const normal = {
    ...selector,
    matchExpressions: (selector.matchExpressions ?? []).map((e) => ({ ...e, key: e.key ?? '' })),
  };
  return labelSelectorProblems(normal).map((p) =>
    fieldError(p.type, `${field}.${p.field}`, p.value, p.detail),
  );
}

/** ValidateNodeSelectorRequirement (matchExpressions). */
function validateRequirement(
  rq: NodeSelectorRequirement,
  path: string,
  allowInvalidValues: boolean,
): FieldError[] {
  const out: FieldError[] = [];
  const values = rq.values ?? [];
  switch (rq.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) {
        const d = "must be specified when `operator` is 'In' or 'NotIn'";
        out.push(fieldError('Required', `${path}.values`, undefined, d));
      }
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) {
        const d = "may not be specified when `operator` is 'Exists' or 'DoesNotExist'";
        out.push(fieldError('Forbidden', `${path}.values`, undefined, d));
      }
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) {
        const d = "must be specified single value when `operator` is 'Lt' or 'Gt'";
        out.push(fieldError('Required', `${path}.values`, undefined, d));
      }
      break;
    default:
      out.push(
        fieldError(
          'Invalid',
          `${path}.operator`,
          rq.operator ?? '',
          'not a valid selector operator',
        ),
      );
  }
  out.push(...validateLabelName(rq.key, `${path}.key`));
  if (!allowInvalidValues) {
    values.forEach((v, i) => {
      for (const m of isValidLabelValue(v ?? ''))
        out.push(fieldError('Invalid', `${path}.values[${i}]`, v, m));
    });
  }
  return out;
}

/** ValidateNodeFieldSelectorRequirement (matchFields: only metadata.name, In/NotIn, one value). */
function validateFieldRequirement(rq: NodeSelectorRequirement, path: string): FieldError[] {
  const out: FieldError[] = [];
  const values = rq.values ?? [];
  if (rq.operator === 'In' || rq.operator === 'NotIn') {
    if (values.length !== 1) {
      const d = "must be only one value when `operator` is 'In' or 'NotIn' for node field selector";
      out.push(fieldError('Required', `${path}.values`, undefined, d));
    }
  } else {
    out.push(
      fieldError('Invalid', `${path}.operator`, rq.operator ?? '', 'not a valid selector operator'),
    );
  }
  if (rq.key !== 'metadata.name') {
    out.push(fieldError('Invalid', `${path}.key`, rq.key ?? '', 'not a valid field selector key'));
  } else {
    values.forEach((v, i) => {
      for (const m of isDNS1123Subdomain(v ?? ''))
        out.push(fieldError('Invalid', `${path}.values[${i}]`, v, m));
    });
  }
  return out;
}

/** ValidateNodeSelectorTerm. */
function validateTerm(term: NodeSelectorTerm, path: string, allowInvalid: boolean): FieldError[] {
  const out: FieldError[] = [];
  (term.matchExpressions ?? []).forEach((rq, j) =>
    out.push(...validateRequirement(rq ?? {}, `${path}.matchExpressions[${j}]`, allowInvalid)),
  );
  (term.matchFields ?? []).forEach((rq, j) =>
    out.push(...validateFieldRequirement(rq ?? {}, `${path}.matchFields[${j}]`)),
  );
  return out;
}

/** ValidateNodeSelector: at least one term, each term valid. */
export function validateNodeSelector(selector: NodeSelector, path: string): FieldError[] {
  const termsPath = `${path}.nodeSelectorTerms`;
  const terms = selector.nodeSelectorTerms ?? [];
  if (terms.length === 0) {
    return [
      fieldError('Required', termsPath, undefined, 'must have at least one node selector term'),
    ];
  }
  return terms.flatMap((t, i) => validateTerm(t ?? {}, `${termsPath}[${i}]`, false));
}

function weightErrors(weight: number | undefined, path: string): FieldError[] {
  const w = weight ?? 0;
  return w <= 0 || w > 100 ? [fieldError('Invalid', path, w, 'must be in the range 1-100')] : [];
}

type PodAffinityTerm = NonNullable<
  NonNullable<Affinity['podAffinity']>['requiredDuringSchedulingIgnoredDuringExecution']
>[number];

function validatePodAffinityTerm(term: PodAffinityTerm, path: string): FieldError[] {
  const out = [
    ...validateLabelSelector(term.labelSelector, `${path}.labelSelector`),
    ...validateLabelSelector(term.namespaceSelector, `${path}.namespaceSelector`),
  ];
  for (const ns of term.namespaces ?? []) {
    for (const m of isDNS1123Label(ns ?? ''))
      out.push(fieldError('Invalid', `${path}.namespace`, ns, m));
  }
  if ((term.topologyKey ?? '') === '') {
    out.push(fieldError('Required', `${path}.topologyKey`, undefined, 'can not be empty'));
  }
  out.push(...validateLabelName(term.topologyKey, `${path}.topologyKey`));
  return out;
}

function validatePodAffinity(pa: Affinity['podAffinity'], path: string): FieldError[] {
  if (pa == null) return [];
  const req = `${path}.requiredDuringSchedulingIgnoredDuringExecution`;
  const pref = `${path}.preferredDuringSchedulingIgnoredDuringExecution`;
  return [
    ...(pa.requiredDuringSchedulingIgnoredDuringExecution ?? []).flatMap((t, i) =>
      validatePodAffinityTerm(t ?? {}, `${req}[${i}]`),
    ),
    ...(pa.preferredDuringSchedulingIgnoredDuringExecution ?? []).flatMap((w, i) => [
      ...weightErrors(w?.weight, `${pref}[${i}].weight`),
      ...validatePodAffinityTerm(w?.podAffinityTerm ?? {}, `${pref}[${i}].podAffinityTerm`),
    ]),
  ];
}

/** validateAffinity: node affinity (required and preferred), pod affinity and anti-affinity. */
export function validateAffinity(
  affinity: Affinity | undefined | null,
  path: string,
): FieldError[] {
  if (affinity == null) return [];
  const out: FieldError[] = [];
  const na = affinity.nodeAffinity;
  if (na != null) {
    const naPath = `${path}.nodeAffinity`;
    const required = na.requiredDuringSchedulingIgnoredDuringExecution;
    if (required != null) {
      out.push(
        ...validateNodeSelector(
          required,
          `${naPath}.requiredDuringSchedulingIgnoredDuringExecution`,
        ),
      );
    }
    const pref = `${naPath}.preferredDuringSchedulingIgnoredDuringExecution`;
    (na.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      out.push(...weightErrors(t?.weight, `${pref}[${i}].weight`));
      // Upstream always allows invalid label values in preferred terms.
      out.push(...validateTerm(t?.preference ?? {}, `${pref}[${i}].preference`, true));
    });
  }
  out.push(...validatePodAffinity(affinity.podAffinity, `${path}.podAffinity`));
  out.push(...validatePodAffinity(affinity.podAntiAffinity, `${path}.podAntiAffinity`));
  return out;
}

function validateEffect(
  effect: string | undefined,
  allowEmpty: boolean,
  path: string,
): FieldError[] {
  const e = effect ?? '';
  if (e === '') return allowEmpty ? [] : [fieldError('Required', path, e, '')];
  return TAINT_EFFECTS.includes(e) ? [] : [fieldError('NotSupported', path, e, '', TAINT_EFFECTS)];
}

/** ValidateTolerations. */
export function validateTolerations(
  tolerations: readonly Toleration[] | undefined | null,
  path: string,
): FieldError[] {
  const out: FieldError[] = [];
  (tolerations ?? []).forEach((raw, i) => {
    const t = raw ?? {};
    const p = `${path}[${i}]`;
    const key = t.key ?? '';
    const operator = t.operator ?? '';
    if (key !== '') out.push(...validateLabelName(key, `${p}.key`));
    if (key === '' && operator !== 'Exists') {
      const d =
        'operator must be Exists when `key` is empty, which means "match all values and all keys"';
      out.push(fieldError('Invalid', `${p}.operator`, operator, d));
    }
    if (t.tolerationSeconds != null && t.effect !== 'NoExecute') {
      const d = "effect must be 'NoExecute' when `tolerationSeconds` is set";
      out.push(fieldError('Invalid', `${p}.effect`, t.effect ?? '', d));
    }
    switch (operator) {
      case '':
      case 'Equal': {
        const errs = isValidLabelValue(t.value ?? '');
        if (errs.length > 0)
          out.push(fieldError('Invalid', `${p}.operator`, t.value, errs.join(';')));
        break;
      }
      case 'Exists':
        if ((t.value ?? '') !== '') {
          const d = "value must be empty when `operator` is 'Exists'";
          out.push(fieldError('Invalid', `${p}.operator`, t.value, d));
        }
        break;
      default:
        out.push(fieldError('NotSupported', `${p}.operator`, operator, '', TOLERATION_OPERATORS));
    }
    out.push(...validateEffect(t.effect, true, `${p}.effect`));
  });
  return out;
}

/** validateNodeTaints: key, value, a known effect, unique by key and effect. */
export function validateTaints(
  taints: readonly Taint[] | undefined | null,
  path: string,
): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  (taints ?? []).forEach((raw, i) => {
    const t = raw ?? {};
    const p = `${path}[${i}]`;
    out.push(...validateLabelName(t.key, `${p}.key`));
    const errs = isValidLabelValue(t.value ?? '');
    if (errs.length > 0) out.push(fieldError('Invalid', `${p}.value`, t.value, errs.join(';')));
    out.push(...validateEffect(t.effect, false, `${p}.effect`));
    const id = `${t.effect ?? ''}\u0000${t.key ?? ''}`;
    if (seen.has(id)) {
      out.push(fieldError('Duplicate', p, t, 'taints must be unique by key and effect pair'));
    }
    seen.add(id);
  });
  return out;
}
