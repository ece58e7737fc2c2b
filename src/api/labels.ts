/**
 * Label selectors: matchLabels and matchExpressions, and the string form used by list/watch.
 */
import { isQualifiedName, isValidLabelValue } from './names.js';
import type { LabelSelector } from './types.js';

/** A label map as objects carry it; absent and null both mean no labels. */
export type Labels = Readonly<Record<string, string>> | undefined | null;

/** A parse error in a selector, with the field path of the offending part. */
export class SelectorParseError extends Error {
  override name = 'SelectorParseError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/** A compiled selector. */
export interface Selector {
  /** True when the labels satisfy every requirement. */
  matches(labels: Labels): boolean;
  /** True for the selector that matches everything (`{}`). */
  readonly empty: boolean;
  /** True for the selector that matches nothing (a nil LabelSelector). */
  readonly nothing: boolean;
  /** The kubectl string form, e.g. "app=a,tier in (x,y)". */
  toString(): string;
}

/** Operators of a compiled requirement, as the string form spells them. */
export type SelectorOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

/** One compiled requirement: key, operator and its (sorted, de-duplicated) values. */
export interface Requirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

/** A problem found in a LabelSelector, shaped like a field error (field relative to the selector). */
export interface SelectorProblem {
  readonly type: 'Invalid' | 'Required' | 'Forbidden';
  readonly field: string;
  readonly value: unknown;
  readonly detail: string;
}

function intOf(s: string): number | undefined {
  return /^[+-]?[0-9]+$/.test(s) ? Number(s) : undefined;
}

/** True when two label maps hold the same keys and values (absent reads as empty). */
export function sameLabels(a: Labels, b: Labels): boolean {
  if (a === b) return true;
  const la = a ?? {};
  const lb = b ?? {};
  const ka = Object.keys(la);
  if (ka.length !== Object.keys(lb).length) return false;
  for (const k of ka) if (la[k] !== lb[k] || !Object.hasOwn(lb, k)) return false;
  return true;
}

/** True when the labels satisfy the requirement (upstream Requirement.Matches). */
export function requirementMatches(r: Requirement, labels: Labels): boolean {
  const has = labels != null && Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return has && r.values.includes(value!);
    case '!=':
    case 'notin':
      return !has || !r.values.includes(value!);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has) return false;
      const lhs = intOf(value!);
      const rhs = intOf(r.values[0] ?? '');
      if (lhs === undefined || rhs === undefined) return false;
      return r.operator === 'gt' ? lhs > rhs : lhs < rhs;
    }
  }
}

/** The string form of one requirement, as upstream's Requirement.String. */
export function requirementString(r: Requirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0] ?? ''}`;
    case 'lt':
      return `${r.key}<${r.values[0] ?? ''}`;
    default:
      return `${r.key}${r.operator}${r.values[0] ?? ''}`;
  }
}

class CompiledSelector implements Selector {
  constructor(
    readonly requirements: readonly Requirement[],
    readonly nothing: boolean,
  ) {}
  get empty(): boolean {
    return !this.nothing && this.requirements.length === 0;
  }
  matches(labels: Labels): boolean {
    if (this.nothing) return false;
    return this.requirements.every((r) => requirementMatches(r, labels));
  }
  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

/** A selector ANDing the requirements, sorted by key so its string form is canonical. */
function compile(requirements: Requirement[]): Selector {
  // Upstream sorts requirements by key, which makes the string form canonical.
  const sorted = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return new CompiledSelector(sorted, false);
}

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The selector that matches nothing (a nil LabelSelector). */
export const NOTHING: Selector = new CompiledSelector([], true);
/** The selector that matches everything (`{}`). */
export const EVERYTHING: Selector = new CompiledSelector([], false);

/**
 * Every problem in a LabelSelector as ValidateLabelSelector reports them (fields relative to the
 * selector, e.g. "matchExpressions[0].operator"); empty when valid or nil.
 */
export function labelSelectorProblems(
  selector: LabelSelector | undefined | null,
): SelectorProblem[] {
  const out: SelectorProblem[] = [];
  if (selector == null) return out;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    for (const m of isQualifiedName(k))
      out.push({ type: 'Invalid', field: 'matchLabels', value: k, detail: m });
    for (const m of isValidLabelValue(v))
      out.push({ type: 'Invalid', field: 'matchLabels', value: v, detail: m });
  }
  (selector.matchExpressions ?? []).forEach((expr, i) => {
    const path = `matchExpressions[${i}]`;
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) {
          out.push({
            type: 'Required',
            field: `${path}.values`,
            value: undefined,
            detail: "must be specified when `operator` is 'In' or 'NotIn'",
          });
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          out.push({
            type: 'Forbidden',
            field: `${path}.values`,
            value: undefined,
            detail: "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          });
        }
        break;
      default:
        out.push({
          type: 'Invalid',
          field: `${path}.operator`,
          value: expr.operator,
          detail: 'not a valid selector operator',
        });
    }
    for (const m of isQualifiedName(expr.key))
      out.push({ type: 'Invalid', field: `${path}.key`, value: expr.key, detail: m });
    values.forEach((v, j) => {
      for (const m of isValidLabelValue(v))
        out.push({ type: 'Invalid', field: `${path}.values[${j}]`, value: v, detail: m });
    });
  });
  return out;
}

const OPERATORS: Readonly<Record<string, SelectorOperator>> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/**
 * Compiles a LabelSelector as upstream's LabelSelectorAsSelector: nil matches nothing, `{}`
 * matches everything. Throws SelectorParseError (field relative to the selector, e.g.
 * "matchExpressions[0].operator").
 */
export function labelSelectorAsSelector(selector: LabelSelector | undefined | null): Selector {
  if (selector == null) return NOTHING;
  const problems = labelSelectorProblems(selector);
  const first = problems[0];
  if (first !== undefined) {
    const shown = first.value === undefined ? '' : `${JSON.stringify(first.value)}: `;
    throw new SelectorParseError(`${first.field}: ${shown}${first.detail}`, first.field);
  }
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {}))
    reqs.push({ key: k, operator: '=', values: [v] });
  for (const expr of selector.matchExpressions ?? []) {
    reqs.push({
      key: expr.key,
      operator: OPERATORS[expr.operator]!,
      values: sortedUnique(expr.values ?? []),
    });
  }
  return reqs.length === 0 ? EVERYTHING : compile(reqs);
}

/** True when the selector is non-nil and has neither matchLabels nor matchExpressions. */
export function isEmptyLabelSelector(selector: LabelSelector | undefined | null): boolean {
  if (selector == null) return false;
  return (
    Object.keys(selector.matchLabels ?? {}).length === 0 &&
    (selector.matchExpressions ?? []).length === 0
  );
}

export { compile as selectorFromRequirements };
