/**
 * The Pod registry rules that the controller and the simulated kubelet and scheduler can observe:
 * status reset to Pending on create, status kept on update, and the spec fields an update may
 * change (a binding of an unbound pod, image changes, activeDeadlineSeconds, added tolerations).
 */
import { fieldError, type FieldError } from '../../api/validation.js';
import type { KubeObject } from '../port.js';
import { deepEqual, keepStatus, validateName, type KindStrategy, type Mut } from './strategy.js';

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

/** The spec with every field an update may change set to the old value, for comparison. */
function withMutableFieldsFrom(next: PodSpecLike, prev: PodSpecLike): PodSpecLike {
  const out: PodSpecLike = { ...next };
  // The memory cluster lets the simulated scheduler bind with a patch; kube uses pods/binding.
  if (!prev.nodeName) out.nodeName = prev.nodeName;
  out.activeDeadlineSeconds = prev.activeDeadlineSeconds;
  out.tolerations = prev.tolerations;
  // Lists whose images did not change are kept as they are, so that a list shared with the stored
  // pod (a binding, any update built from the stored object) compares by identity.
  const images = (
    list: PodSpecLike['containers'],
    old: PodSpecLike['containers'],
  ): PodSpecLike['containers'] =>
    list === undefined || list.every((c, i) => old?.[i] === undefined || c.image === old[i].image)
      ? list
      : list.map((c, i) => (old?.[i] !== undefined ? { ...c, image: old[i].image } : c));
  out.containers = images(next.containers, prev.containers);
  out.initContainers = images(next.initContainers, prev.initContainers);
  return out;
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
  if (!deepEqual(withMutableFieldsFrom(a, b), b)) {
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
