/**
 * Per-kind registry rules (kube's "strategies"): what the API server does to an object on create,
 * update and status update, and how it validates it. DaemonSet and Pod rules live in their own
 * files; the small kinds are here.
 */
import { isDNS1123Subdomain } from '../../api/names.js';
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

/** True for the values kube's semantic equality treats as absent: nil, empty lists, empty maps. */
export function isEmptyValue(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v !== 'object') return false;
  for (const _ in v) return false;
  return true;
}

/**
 * Semantic equality as kube-apiserver applies it to decide whether a write changed anything: key
 * order is ignored, and absent, null, empty lists and empty maps inside objects are all the same.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const aArr = Array.isArray(a);
  if (aArr !== Array.isArray(b)) return false;
  if (aArr) {
    const aa = a as unknown[];
    const bb = b as unknown[];
    if (aa.length !== bb.length) return false;
    for (let i = 0; i < aa.length; i++) if (!deepEqual(aa[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let present = 0;
  for (const k in ao) {
    const v = ao[k];
    if (isEmptyValue(v)) continue;
    present++;
    if (!deepEqual(v, bo[k])) return false;
  }
  for (const k in bo) if (!isEmptyValue(bo[k])) present--;
  return present === 0;
}

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
      // Nodes keep the status they are created with (the kubelet registers with one).
      return plain('v1', 'Node', 'nodes', true);
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
