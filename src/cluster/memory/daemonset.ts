/**
 * The DaemonSet registry rules (spec §1.4): defaulting and validation on every write, status
 * cleared on create and kept on update, generation and templateGeneration bookkeeping, and the
 * status subresource's own validation.
 */
import { defaultDaemonSet } from '../../api/defaults.js';
import { templateGenerationOf } from '../../api/pod.js';
import { TEMPLATE_GENERATION_ANNOTATION, type DaemonSet } from '../../api/types.js';
import {
  fieldError,
  formatInvalid,
  validateDaemonSet,
  validateDaemonSetStatusUpdate,
  validateDaemonSetUpdate,
} from '../../api/validation.js';
import { InvalidError, type KubeObject } from '../port.js';
import { deepEqual, keepStatus, type KindStrategy, type Mut } from './strategy.js';

const ANNOTATION_FIELD = `metadata.annotations[${TEMPLATE_GENERATION_ANNOTATION}]`;

/** The status kube-apiserver stores for a new DaemonSet: the four counters without omitempty. */
function emptyStatus(): Record<string, number> {
  return {
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    desiredNumberScheduled: 0,
    numberReady: 0,
  };
}

function annotations(obj: Mut): Record<string, string> {
  const meta = (obj.metadata ??= {});
  const a = (meta.annotations ?? {}) as Record<string, string>;
  meta.annotations = a;
  return a;
}

function storedTemplateGeneration(prev: KubeObject): bigint {
  const tg = templateGenerationOf(prev as DaemonSet);
  return tg === undefined ? 1n : BigInt(tg);
}

function spec(obj: unknown): Record<string, unknown> | undefined {
  return (obj as { spec?: Record<string, unknown> }).spec;
}

/** The DaemonSet strategy. */
export const daemonSetStrategy: KindStrategy = {
  apiVersion: 'apps/v1',
  qualifiedKind: 'DaemonSet.apps',
  resource: 'daemonsets.apps',
  hasStatus: true,
  allowUnconditionalUpdate: true,
  allowCreateOnUpdate: false,

  prepareForCreate(input: Mut): Mut {
    const obj = defaultDaemonSet(input) as unknown as Mut;
    const supplied = (input.metadata?.annotations as Record<string, string> | undefined)?.[
      TEMPLATE_GENERATION_ANNOTATION
    ];
    let tg = 1n;
    if (supplied !== undefined) {
      const parsed = templateGenerationOf(input);
      if (parsed === undefined) {
        // Upstream fails converting the annotation into the internal templateGeneration.
        const errs = [fieldError('Invalid', ANNOTATION_FIELD, supplied, 'must be an integer')];
        const name = (input.metadata?.name as string | undefined) ?? '';
        throw new InvalidError(formatInvalid('DaemonSet.apps', name, errs), errs);
      }
      if (BigInt(parsed) > tg) tg = BigInt(parsed);
    }
    annotations(obj)[TEMPLATE_GENERATION_ANNOTATION] = tg.toString();
    obj.status = emptyStatus();
    obj.metadata = { ...obj.metadata, generation: 1 };
    return obj;
  },

  validateCreate: (obj) => validateDaemonSet(obj),

  prepareForUpdate(input: Mut, prev: KubeObject): Mut {
    const obj = keepStatus(defaultDaemonSet(input), prev);
    let tg = storedTemplateGeneration(prev);
    let generation = prev.metadata?.generation ?? 1;
    if (!deepEqual(spec(obj)?.template, spec(prev)?.template)) {
      tg += 1n;
      generation++;
    } else if (!deepEqual(spec(obj), spec(prev))) {
      generation++;
    }
    // Whatever the client sent, the annotation mirrors the stored templateGeneration.
    annotations(obj)[TEMPLATE_GENERATION_ANNOTATION] = tg.toString();
    obj.metadata = { ...obj.metadata, generation };
    return obj;
  },

  validateUpdate: (next, prev) => validateDaemonSetUpdate(next, prev as DaemonSet),
  validateStatusUpdate: (next, prev) => validateDaemonSetStatusUpdate(next, prev as DaemonSet),
};

/** everynode's CRD (apps.everynode.dev/v1alpha1): the same rules, under its own group's names. */
export const everynodeDaemonSetStrategy: KindStrategy = {
  ...daemonSetStrategy,
  apiVersion: 'apps.everynode.dev/v1alpha1',
  qualifiedKind: 'DaemonSet.apps.everynode.dev',
  resource: 'daemonsets.apps.everynode.dev',
};
