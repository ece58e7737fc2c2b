/**
 * Type checks at the file boundary for the fields the engine reads, so that a list where a map
 * belongs (or a string where a number does) is reported with its field path instead of being
 * ignored or crashing the plan. Not a full schema: apps/v1 validation of the DaemonSet does the
 * rest. null is accepted everywhere, as Go's decoder reads it as "absent".
 */
import type { LoadedObject } from './load.js';
import { UsageError } from './errors.js';

/** A field's expected JSON type. */
type Shape =
  | 'string'
  | 'number'
  | 'boolean'
  | 'object'
  | 'intOrString'
  | 'stringMap'
  | { readonly list: Shape }
  | { readonly fields: Readonly<Record<string, Shape>> };

const ownerReference: Shape = {
  fields: {
    apiVersion: 'string',
    kind: 'string',
    name: 'string',
    uid: 'string',
    controller: 'boolean',
  },
};
const metadata: Shape = {
  fields: {
    name: 'string',
    generateName: 'string',
    namespace: 'string',
    uid: 'string',
    generation: 'number',
    creationTimestamp: 'string',
    deletionTimestamp: 'string',
    labels: 'stringMap',
    annotations: 'stringMap',
    ownerReferences: { list: ownerReference },
  },
};
const toleration: Shape = {
  fields: {
    key: 'string',
    operator: 'string',
    value: 'string',
    effect: 'string',
    tolerationSeconds: 'number',
  },
};
const podSpec: Shape = {
  fields: {
    nodeName: 'string',
    nodeSelector: 'stringMap',
    affinity: 'object',
    tolerations: { list: toleration },
    hostNetwork: 'boolean',
    containers: { list: 'object' },
  },
};

/** The checked fields per kind. */
const SHAPES: Readonly<Record<string, Shape>> = {
  Node: {
    fields: {
      metadata,
      spec: {
        fields: {
          taints: { list: { fields: { key: 'string', value: 'string', effect: 'string' } } },
        },
      },
    },
  },
  Pod: {
    fields: {
      metadata,
      spec: podSpec,
      status: {
        fields: {
          phase: 'string',
          conditions: {
            list: { fields: { type: 'string', status: 'string', lastTransitionTime: 'string' } },
          },
        },
      },
    },
  },
  ControllerRevision: { fields: { metadata, revision: 'number', data: 'object' } },
  DaemonSet: {
    fields: {
      metadata,
      spec: {
        fields: {
          selector: 'object',
          template: { fields: { metadata, spec: podSpec } },
          updateStrategy: {
            fields: {
              type: 'string',
              rollingUpdate: { fields: { maxUnavailable: 'intOrString', maxSurge: 'intOrString' } },
            },
          },
          minReadySeconds: 'number',
          revisionHistoryLimit: 'number',
        },
      },
      status: 'object',
    },
  },
};

/**
 * Checks the engine-relevant fields of each object against its kind's shape. Throws UsageError
 * like `nodes.yaml:4: Node "a": spec.taints: expected a list, got a string`.
 */
export function checkShapes(objs: readonly LoadedObject[]): void {
  for (const { object, source } of objs) {
    const shape = SHAPES[object.kind];
    if (!shape) continue;
    const problem = check(object, shape, '');
    if (problem) {
      const name = object.metadata?.name ?? '';
      throw new UsageError(`${source.file}:${source.line}: ${object.kind} "${name}": ${problem}`);
    }
  }
}

function check(value: unknown, shape: Shape, path: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  const fail = (want: string): string =>
    `${path === '' ? '(object)' : path}: expected ${want}, got ${describe(value)}`;
  if (typeof shape === 'string') {
    switch (shape) {
      case 'string':
      case 'number':
      case 'boolean':
        return typeof value === shape ? undefined : fail(`a ${shape}`);
      case 'intOrString':
        return typeof value === 'string' || typeof value === 'number'
          ? undefined
          : fail('an integer or a percentage');
      case 'object':
        return isMap(value) ? undefined : fail('a map');
      case 'stringMap': {
        if (!isMap(value)) return fail('a map of strings');
        for (const [k, v] of Object.entries(value)) {
          if (typeof v !== 'string')
            return `${path}.${k}: expected a string, got ${describe(v)} (quote it)`;
        }
        return undefined;
      }
    }
  }
  if ('list' in shape) {
    if (!Array.isArray(value)) return fail('a list');
    for (let i = 0; i < value.length; i++) {
      const p = check(value[i], shape.list, `${path}[${i}]`);
      if (p) return p;
    }
    return undefined;
  }
  if (!isMap(value)) return fail('a map');
  for (const [key, sub] of Object.entries(shape.fields)) {
    const p = check(value[key], sub, path === '' ? key : `${path}.${key}`);
    if (p) return p;
  }
  return undefined;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (isMap(v)) return 'a map';
  if (typeof v === 'string')
    return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${String(v)}`;
}
