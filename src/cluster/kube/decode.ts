/**
 * Shape checks on what kube-apiserver answers, before anything reads it: a list whose `items` is
 * not an array of objects, or whose metadata is not an object, is a malformed answer (an
 * UnavailableError naming the request, which the informer retries with backoff) instead of a
 * TypeError deep inside the controller.
 */
import type { KubeObject, ObjectList } from '../port.js';
import { UnavailableError } from '../port.js';
import { describeJson } from './http.js';
import { objectShapeError } from './watch.js';

/**
 * The items and resourceVersion of a list answer, each item given apiVersion and kind (a list's
 * items come without them). Rejects a body that is not a list of Kubernetes objects.
 */
export function decodeList<T extends KubeObject>(
  body: unknown,
  what: string,
  apiVersion: string,
  kind: string,
): ObjectList<T> {
  const fail = (detail: string): never => {
    throw new UnavailableError(`${what}: malformed list: ${detail}`, 503);
  };
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    fail(`expected an object, got ${describeJson(body)}`);
  const b = body as { items?: unknown; metadata?: unknown };
  if (b.items !== undefined && b.items !== null && !Array.isArray(b.items))
    fail(`items: expected an array, got ${describeJson(b.items)}`);
  if (b.metadata !== undefined && (typeof b.metadata !== 'object' || b.metadata === null))
    fail(`metadata: expected an object, got ${describeJson(b.metadata)}`);
  const rv = (b.metadata as { resourceVersion?: unknown } | undefined)?.resourceVersion;
  if (rv !== undefined && typeof rv !== 'string')
    fail(`metadata.resourceVersion: expected a string, got ${describeJson(rv)}`);
  const raw = (b.items ?? []) as unknown[];
  const items: T[] = new Array<T>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const bad = objectShapeError(raw[i]);
    if (bad !== undefined) fail(`items[${i}]: ${bad}`);
    items[i] = { apiVersion, kind, ...(raw[i] as object) } as T;
  }
  return { items, resourceVersion: (rv as string | undefined) ?? '' };
}
