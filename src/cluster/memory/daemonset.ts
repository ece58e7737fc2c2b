/**
 * The DaemonSet registry rules (spec §1.4), from the one DaemonSet strategy in api/dsstrategy.ts:
 * decode, defaulting and validation on every write, status cleared on create and kept on update,
 * generation and templateGeneration bookkeeping, and the status subresource's own validation.
 */
import {
  admitDaemonSetCreate,
  admitDaemonSetUpdate,
  type Admission,
} from '../../api/dsstrategy.js';
import type { DaemonSet } from '../../api/types.js';
import { validateDaemonSetStatusUpdate } from '../../api/validation.js';
import type { KubeObject } from '../port.js';
import { invalid } from './errors.js';
import type { KindStrategy, Mut } from './strategy.js';

/** The admitted object, or the 422 kube-apiserver answers with its field errors. */
function admitted(st: KindStrategy, input: Mut, a: Admission): Mut {
  if (a.errors.length > 0) {
    const name = (input.metadata?.name as string | undefined) ?? '';
    throw invalid(st, name, a.errors);
  }
  return a.ds;
}

/** The DaemonSet strategy. */
export const daemonSetStrategy: KindStrategy = {
  apiVersion: 'apps/v1',
  qualifiedKind: 'DaemonSet.apps',
  resource: 'daemonsets.apps',
  hasStatus: true,
  allowUnconditionalUpdate: true,
  allowCreateOnUpdate: false,

  prepareForCreate(this: KindStrategy, input: Mut): Mut {
    return admitted(this, input, admitDaemonSetCreate(input));
  },

  // Validation ran in prepareForCreate and prepareForUpdate: decoding must come before defaults.
  validateCreate: () => [],

  prepareForUpdate(this: KindStrategy, input: Mut, prev: KubeObject): Mut {
    const a = admitDaemonSetUpdate(input, prev as DaemonSet);
    return admitted(this, input, a);
  },

  validateUpdate: () => [],
  validateStatusUpdate: (next, prev) => validateDaemonSetStatusUpdate(next, prev as DaemonSet),
};

/** everynode's CRD (apps.everynode.dev/v1alpha1): the same rules, under its own group's names. */
export const everynodeDaemonSetStrategy: KindStrategy = {
  ...daemonSetStrategy,
  apiVersion: 'apps.everynode.dev/v1alpha1',
  qualifiedKind: 'DaemonSet.apps.everynode.dev',
  resource: 'daemonsets.apps.everynode.dev',
};
