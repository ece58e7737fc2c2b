/**
 * Per-kind registry rules (kube's "strategies"): what the API server does to an object on create,
 * update and status update, and how it validates it. DaemonSet and Pod rules live in their own
 * files; the small kinds are here.
 */
import { isDNS1123Subdomain } from '../../api/names.js';
import { validateNode } from '../../api/nodevalidation.js';
import { isEmptyValue, semanticEqual as deepEqual } from '../../api/semantic.js';
import { fieldError, type FieldError } from '../../api/validation.js';
import type { KubeObject, ResourceKind } from '../port.js';

/** A writable wire object owned by the registry while it prepares a write. */
export type Mut = { metadata?: Record<string, unknown> } & Record<string, unknown>;

/** What the registry needs to know about one kind. */
export interface KindStrategy {
  /** apiVersion filled in when a client leaves it out. */
  readonly apiVersion: string;
  /** The name kube uses in Invalid messages, e.g. `DaemonSet.apps`. */
  readonly qualifiedKind: string;
  /** The resource name kube uses in NotFound/Conflict messages, e.g. `daemonsets.apps`. */
  readonly resource: string;
  /** True when status is a subresource: update keeps the old status, updateStatus only writes it. */
  readonly hasStatus: boolean;
  /** False when an update must carry a resourceVersion (Lease). */
  readonly allowUnconditionalUpdate: boolean;
  /** True when an update of a missing object creates it (Lease, Event). */
  readonly allowCreateOnUpdate: boolean;
  /** Kind-specific defaults and resets on create; may throw InvalidError. */
  prepareForCreate(obj: Mut): Mut;
  validateCreate(obj: Mut): FieldError[];
  /** Kind-specific resets on update (status kept, generation raised, ...). */
  prepareForUpdate(next: Mut, prev: KubeObject): Mut;
  validateUpdate(next: Mut, prev: KubeObject): FieldError[];
  validateStatusUpdate(next: Mut, prev: KubeObject): FieldError[];
}

/** metadata.name must be a DNS-1123 subdomain, as for every kind here. */
export function validateName(obj: Mut): FieldError[] {
  const name = (obj.metadata?.name as string | undefined) ?? '';
  return isDNS1123Subdomain(name).map((msg) => fieldError('Invalid', 'metadata.name', name, msg));
}

/** Semantic equality and emptiness (src/api/semantic.ts), under the registry's names. */
export { isEmptyValue, deepEqual };

function keepStatus(next: Mut, prev: KubeObject): Mut {
  const status = (prev as { status?: unknown }).status;
  if (status === undefined) delete next.status;
  else next.status = status;
  return next;
}

const plain = (
  apiVersion: string,
  qualifiedKind: string,
  resource: string,
  hasStatus: boolean,
  extra: Partial<KindStrategy> = {},
): KindStrategy => ({
  apiVersion,
  qualifiedKind,
  resource,
  hasStatus,
  allowUnconditionalUpdate: true,
  allowCreateOnUpdate: false,
  prepareForCreate: (obj) => obj,
  validateCreate: validateName,
  prepareForUpdate: (next, prev) => (hasStatus ? keepStatus(next, prev) : next),
  validateUpdate: () => [],
  validateStatusUpdate: () => [],
  ...extra,
});

/**
 * Go's decoder reads `taints: null` (and any other null spec field) as absent, and the stored
 * object omits it: a null must not reach the readers of the stored object.
 */
function dropNullSpecFields(obj: Mut): Mut {
  const spec = obj.spec;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    if (spec === null) delete obj.spec;
    return obj;
  }
  const s = spec as Record<string, unknown>;
  for (const k of Object.keys(s)) if (s[k] === null) Reflect.deleteProperty(s, k);
  return obj;
}

function validateRevision(obj: Mut): FieldError[] {
  const rev = obj.revision;
  return typeof rev === 'number' && rev < 0
    ? [fieldError('Invalid', 'revision', rev, 'must be greater than or equal to 0')]
    : [];
}

/** Rules for Node, ControllerRevision, Event and Lease. */
export function smallKindStrategy(
  kind: Exclude<ResourceKind, 'DaemonSet' | 'EverynodeDaemonSet' | 'Pod'>,
): KindStrategy {
  switch (kind) {
    case 'Node':
      // Nodes keep the status they are created with (the kubelet registers with one). Taints
      // with an unknown effect, wrong types and the like are refused as kube-apiserver does.
      return plain('v1', 'Node', 'nodes', true, {
        prepareForCreate: dropNullSpecFields,
        validateCreate: validateNode,
        prepareForUpdate: (next, prev) => keepStatus(dropNullSpecFields(next), prev),
        validateUpdate: (next) => validateNode(next),
      });
    case 'ControllerRevision':
      return plain('apps/v1', 'ControllerRevision.apps', 'controllerrevisions.apps', false, {
        validateCreate: (obj) => [...validateName(obj), ...validateRevision(obj)],
        validateUpdate: (next, prev) => {
          const errs = validateRevision(next);
          const before = (prev as { data?: unknown }).data;
          if (!deepEqual(next.data, before)) {
            errs.push(fieldError('Invalid', 'data', next.data, 'field is immutable'));
          }
          return errs;
        },
      });
    case 'Event':
      return plain('v1', 'Event', 'events', false, { allowCreateOnUpdate: true });
    case 'Lease':
      return plain(
        'coordination.k8s.io/v1',
        'Lease.coordination.k8s.io',
        'leases.coordination.k8s.io',
        false,
        { allowUnconditionalUpdate: false, allowCreateOnUpdate: true },
      );
  }
}

/** Copies the status of prev onto next (exported for the kinds with their own file). */
export { keepStatus };
