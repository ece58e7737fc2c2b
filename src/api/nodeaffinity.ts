/**
 * Required node affinity and nodeSelector matching (component-helpers nodeaffinity semantics),
 * with reasons a person can act on. A selector kube-apiserver would refuse (an unknown operator,
 * `nodeSelectorTerms: "oops"`, In without values) is never read as "matches no node": matching it
 * throws InvalidNodeSelectorError, so the engine reports the DaemonSet instead of acting on it.
 */
import { isQualifiedName, isValidLabelValue } from './names.js';
import { validateNodeSelector } from './schedvalidation.js';
import type { Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm } from './types.js';
import { checkWire } from './wirecheck.js';
import { nodeSelector as nodeSelectorWire } from './wireschema.js';

/** A required node affinity that validation refuses; matching it is an error, never "no match". */
export class InvalidNodeSelectorError extends Error {
  override name = 'InvalidNodeSelectorError';
}

const verdicts = new WeakMap<object, string | null>();

/**
 * Throws InvalidNodeSelectorError when kube-apiserver would refuse the selector. The verdict is
 * kept per selector object, so checking it for every node of a reconcile costs one lookup.
 */
export function assertValidNodeSelector(selector: NodeSelector): void {
  if (typeof selector !== 'object' || selector === null) {
    throw new InvalidNodeSelectorError('required node affinity is not a map');
  }
  let verdict = verdicts.get(selector);
  if (verdict === undefined) {
    const path = 'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution';
    const types = checkWire(selector, nodeSelectorWire, path);
    const errors = types.length > 0 ? types : validateNodeSelector(selector, path);
    verdict =
      errors.length === 0
        ? null
        : `invalid required node affinity: ${errors.map(String).join('; ')}`;
    verdicts.set(selector, verdict);
  }
  if (verdict !== null) throw new InvalidNodeSelectorError(verdict);
}

/** The outcome of a match, with a human reason when it fails. */
export interface MatchResult {
  readonly matches: boolean;
  /** Empty when matches; otherwise e.g. `node label "color" is "red", not in [blue] (nodeSelectorTerms[0].matchExpressions[0])`. */
  readonly reason: string;
}

const OK: MatchResult = { matches: true, reason: '' };

function fail(reason: string): MatchResult {
  return { matches: false, reason };
}

function list(values: readonly string[]): string {
  return `[${values.join(' ')}]`;
}

/** Every key/value of nodeSelector present on the node (an empty or absent map matches). */
export function matchNodeSelectorLabels(
  node: Node,
  nodeSelector: Readonly<Record<string, string>> | undefined,
): MatchResult {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(nodeSelector ?? {})) {
    if (!Object.hasOwn(labels, k))
      return fail(`nodeSelector wants ${k}=${v}; node has no label "${k}"`);
    if (labels[k] !== v) return fail(`nodeSelector wants ${k}=${v}; node has ${k}=${labels[k]!}`);
  }
  return OK;
}

const INT_RE = /^[+-]?[0-9]+$/;

/** The parse error of a matchExpressions entry, as nodeSelectorRequirementsAsSelector finds them. */
function expressionError(req: NodeSelectorRequirement): string | undefined {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) return `operator ${req.operator} needs at least one value`;
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) return `operator ${req.operator} takes no values, got ${list(values)}`;
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1 || !INT_RE.test(values[0]!)) {
        return `operator ${req.operator} needs exactly one integer value, got ${list(values)}`;
      }
      break;
    default:
      return `operator "${req.operator}" is not a valid node selector operator`;
  }
  const keyErrs = isQualifiedName(req.key);
  if (keyErrs.length > 0) return `key "${req.key}" is invalid: ${keyErrs.join('; ')}`;
  for (const v of values) {
    const errs = isValidLabelValue(v);
    if (errs.length > 0) return `value "${v}" is invalid: ${errs.join('; ')}`;
  }
  return undefined;
}

/** Why the node's labels fail one (valid) matchExpressions entry, or undefined when it holds. */
function expressionFailure(
  labels: Readonly<Record<string, string>>,
  req: NodeSelectorRequirement,
): string | undefined {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key] ?? '';
  const values = req.values ?? [];
  const label = `node label "${req.key}"`;
  switch (req.operator) {
    case 'In':
      if (!has) return `node has no label "${req.key}", wanted in ${list(values)}`;
      return values.includes(value) ? undefined : `${label} is "${value}", not in ${list(values)}`;
    case 'NotIn':
      return has && values.includes(value)
        ? `${label} is "${value}", which is in NotIn ${list(values)}`
        : undefined;
    case 'Exists':
      return has ? undefined : `node has no label "${req.key}", which must exist`;
    case 'DoesNotExist':
      return has ? `node has label "${req.key}" (="${value}"), which must not exist` : undefined;
    default: {
      const gt = req.operator === 'Gt';
      const bound = values[0]!;
      if (!has) return `node has no label "${req.key}", wanted ${gt ? '>' : '<'} ${bound}`;
      if (!INT_RE.test(value))
        return `${label} is "${value}", not an integer to compare with ${bound}`;
      const ok = gt ? Number(value) > Number(bound) : Number(value) < Number(bound);
      return ok
        ? undefined
        : `${label} is "${value}", not ${gt ? 'greater' : 'less'} than ${bound}`;
    }
  }
}

/** Why the node fails one matchFields entry (parse errors included), or undefined when it holds. */
function fieldFailure(node: Node, req: NodeSelectorRequirement): string | undefined {
  const values = req.values ?? [];
  if (req.operator !== 'In' && req.operator !== 'NotIn') {
    return `invalid requirement: operator "${req.operator}" is not valid for matchFields (only In and NotIn)`;
  }
  if (values.length !== 1) {
    return `invalid requirement: matchFields ${req.operator} needs exactly one value, got ${list(values)}`;
  }
  // Only metadata.name is a node field here; any other key reads as an empty string.
  const isName = req.key === 'metadata.name';
  const actual = isName ? (node.metadata?.name ?? '') : '';
  const what = isName ? 'node name' : `field "${req.key}" (unsupported, reads as "")`;
  const inSet = actual === values[0];
  if (req.operator === 'In' && !inSet) return `${what} is "${actual}", not in ${list(values)}`;
  if (req.operator === 'NotIn' && inSet)
    return `${what} is "${actual}", which is in NotIn ${list(values)}`;
  return undefined;
}

/** Why the node fails one term (the first failing requirement), or undefined when it matches. */
function termFailure(node: Node, term: NodeSelectorTerm, index: number): string | undefined {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  const where = `nodeSelectorTerms[${index}]`;
  if (exprs.length === 0 && fields.length === 0) return `${where} is empty and matches no node`;
  // A parse error anywhere in the term makes the whole term fail, before any matching.
  for (let i = 0; i < exprs.length; i++) {
    const err = expressionError(exprs[i]!);
    if (err !== undefined) return `invalid requirement: ${err} (${where}.matchExpressions[${i}])`;
  }
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if ((f.operator !== 'In' && f.operator !== 'NotIn') || (f.values ?? []).length !== 1) {
      return `${fieldFailure(node, f)!} (${where}.matchFields[${i}])`;
    }
  }
  const labels = node.metadata?.labels ?? {};
  for (let i = 0; i < exprs.length; i++) {
    const why = expressionFailure(labels, exprs[i]!);
    if (why !== undefined) return `${why} (${where}.matchExpressions[${i}])`;
  }
  for (let i = 0; i < fields.length; i++) {
    const why = fieldFailure(node, fields[i]!);
    if (why !== undefined) return `${why} (${where}.matchFields[${i}])`;
  }
  return undefined;
}

/**
 * ORed nodeSelectorTerms; a term with no requirements, or a Gt/Lt value that is not an integer
 * (valid for the API, a parse error when matching), matches nothing. Throws
 * InvalidNodeSelectorError for a selector validation refuses (assertValidNodeSelector).
 */
export function matchNodeSelectorTerms(node: Node, selector: NodeSelector): MatchResult {
  assertValidNodeSelector(selector);
  const terms = selector.nodeSelectorTerms ?? [];
  if (terms.length === 0)
    return fail('required node affinity has no nodeSelectorTerms, so no node matches');
  const reasons: string[] = [];
  for (let i = 0; i < terms.length; i++) {
    const why = termFailure(node, terms[i]!, i);
    if (why === undefined) return OK;
    reasons.push(why);
  }
  if (reasons.length === 1) return fail(reasons[0]!);
  return fail(
    `no nodeSelectorTerm matches: ${reasons.map((r, i) => `term ${i}: ${r}`).join('; ')}`,
  );
}
