/**
 * Node validation for the places a Node is input (the embedded API server, `plan --nodes`, a
 * scenario's nodes): the decoder's type check, then the parts of ValidateNode the controller's
 * decisions depend on: the name, labels and taints (a known effect, unique by key and effect).
 */
import { fieldError, type FieldError } from './fielderrors.js';
import { isDNS1123Subdomain } from './names.js';
import { validateLabels, validateTaints } from './schedvalidation.js';
import type { Node } from './types.js';
import { checkWireTypes } from './wirecheck.js';

/** The field errors of a Node; empty when kube-apiserver would accept it. Never throws. */
export function validateNode(input: unknown): FieldError[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return [fieldError('Invalid', '', typeof input, 'the body must be a Node object')];
  }
  const types = checkWireTypes(input, 'Node');
  if (types.length > 0) return types;
  const node = input as Node;
  const out: FieldError[] = [];
  const name = node.metadata?.name ?? '';
  if (name === '')
    out.push(fieldError('Required', 'metadata.name', name, 'name or generateName is required'));
  else
    for (const m of isDNS1123Subdomain(name))
      out.push(fieldError('Invalid', 'metadata.name', name, m));
  out.push(...validateLabels(node.metadata?.labels, 'metadata.labels'));
  out.push(...validateTaints(node.spec?.taints, 'spec.taints'));
  return out;
}

/**
 * The node as Go's decoder reads it: a null spec field (`taints: null`) is absent. Returns the
 * same object when there is nothing to drop.
 */
export function normalizeNode(node: Node): Node {
  const spec = node.spec as Record<string, unknown> | null | undefined;
  if (spec === null) {
    const { spec: _, ...rest } = node;
    return rest;
  }
  if (spec === undefined || !Object.values(spec).includes(null)) return node;
  const kept = Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== null));
  return { ...node, spec: kept };
}
