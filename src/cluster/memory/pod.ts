/**
 * The Pod registry rules that the controller and the simulated kubelet and scheduler can observe:
 * status reset to Pending on create, status kept on update, and the spec fields an update may
 * change (a binding of an unbound pod, image changes, activeDeadlineSeconds, added tolerations).
 */
import { fieldError, type FieldError } from '../../api/validation.js';
import type { KubeObject } from '../port.js';
import {
  deepEqual,
  isEmptyValue,
  keepStatus,
  validateName,
  type KindStrategy,
  type Mut,
} from './strategy.js';

type PodSpecLike = {
  nodeName?: string;
  activeDeadlineSeconds?: number;
  tolerations?: unknown[];
  containers?: { name?: string; image?: string }[];
  initContainers?: { name?: string; image?: string }[];
};

function podSpec(obj: unknown): PodSpecLike {
  return (obj as { spec?: PodSpecLike }).spec ?? {};
}

function validateContainers(obj: Mut): FieldError[] {
  const containers = podSpec(obj).containers ?? [];
  if (containers.length === 0) {
    return [fieldError('Required', 'spec.containers', undefined, '')];
  }
  const errs: FieldError[] = [];
  containers.forEach((c, i) => {
    if (!c.name) errs.push(fieldError('Required', `spec.containers[${i}].name`, undefined, ''));
    if (!c.image) errs.push(fieldError('Required', `spec.containers[${i}].image`, undefined, ''));
  });
  return errs;
}

/** Semantic equality of one field: absent, null, [] and {} are alike (deepEqual's rule for keys). */
function sameField(x: unknown, y: unknown): boolean {
  return isEmptyValue(x) ? isEmptyValue(y) : !isEmptyValue(y) && deepEqual(x, y);
}

/** True when two container lists are equal once each image of `list` is read as `old`'s. */
function sameButImages(list: PodSpecLike['containers'], old: PodSpecLike['containers']): boolean {
  // The same list (a binding, any update built from the stored pod) compares by identity.
  if (list === old) return true;
  if (list === undefined || old === undefined || list.length !== old.length)
    return sameField(list, old);
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    const o = old[i]!;
    if (c === o) continue;
    if (c.image === o.image ? !deepEqual(c, o) : !deepEqual({ ...c, image: o.image }, o))
      return false;
  }
  return true;
}

/** Spec fields an update may change (nodeName only while the stored pod is unbound). */
function isMutableField(k: string, unbound: boolean): boolean {
  return (
    k === 'activeDeadlineSeconds' ||
    k === 'tolerations' ||
    k === 'containers' ||
    k === 'initContainers' ||
    // The memory cluster lets the simulated scheduler bind with a patch; kube uses pods/binding.
    (k === 'nodeName' && unbound)
  );
}

/**
 * True when the spec differs from the stored one only in fields an update may change: a binding
 * of an unbound pod, activeDeadlineSeconds, tolerations and container images. Compared key by
 * key (no copy of the spec per update) with the registry's semantic equality.
 */
function onlyMutableFieldsChanged(next: PodSpecLike, prev: PodSpecLike): boolean {
  const a = next as Record<string, unknown>;
  const b = prev as Record<string, unknown>;
  const unbound = !prev.nodeName;
  for (const k in a) if (!isMutableField(k, unbound) && !sameField(a[k], b[k])) return false;
  for (const k in b)
    if (!isMutableField(k, unbound) && !Object.hasOwn(a, k) && !isEmptyValue(b[k])) return false;
  return (
    sameButImages(next.containers, prev.containers) &&
    sameButImages(next.initContainers, prev.initContainers)
  );
}

function validatePodUpdate(next: Mut, prev: KubeObject): FieldError[] {
  const a = podSpec(next);
  const b = podSpec(prev);
  const errs: FieldError[] = [];
  const oldTolerations = b.tolerations ?? [];
  const newTolerations = a.tolerations ?? [];
  // The same list (an update built from the stored pod, a binding) needs no pairwise comparison.
  if (
    newTolerations !== oldTolerations &&
    !oldTolerations.every((t) => newTolerations.some((u) => deepEqual(t, u)))
  ) {
    errs.push(
      fieldError(
        'Forbidden',
        'spec.tolerations',
        undefined,
        'existing toleration can not be modified except its tolerationSeconds',
      ),
    );
  }
  if (b.activeDeadlineSeconds !== undefined) {
    const v = a.activeDeadlineSeconds;
    if (v === undefined || v > b.activeDeadlineSeconds) {
      errs.push(
        fieldError(
          'Invalid',
          'spec.activeDeadlineSeconds',
          v,
          'must be less than or equal to previous value',
        ),
      );
    }
  }
  if (!onlyMutableFieldsChanged(a, b)) {
    errs.push(
      fieldError(
        'Forbidden',
        'spec',
        undefined,
        'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations)',
      ),
    );
  }
  return errs;
}

/** The Pod strategy. */
export const podStrategy: KindStrategy = {
  apiVersion: 'v1',
  qualifiedKind: 'Pod',
  resource: 'pods',
  hasStatus: true,
  allowUnconditionalUpdate: true,
  allowCreateOnUpdate: false,
  prepareForCreate(obj: Mut): Mut {
    obj.status = { phase: 'Pending' };
    return obj;
  },
  validateCreate: (obj) => [...validateName(obj), ...validateContainers(obj)],
  prepareForUpdate: keepStatus,
  validateUpdate: validatePodUpdate,
  validateStatusUpdate: () => [],
};
