/**
 * The three patch flavours kube-apiserver accepts, applied to plain JSON: JSON merge patch
 * (RFC 7386), a strategic merge patch reduced to what the controller and kubectl send here, and
 * JSON patch (RFC 6902). Inputs are never mutated; results are fresh objects.
 */
import { fieldError } from '../../api/validation.js';
import { InvalidError, type JsonPatchOp, type Patch } from '../port.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function clone<T>(v: T): T {
  // Strings, numbers, booleans and null are immutable: only objects and arrays need a copy (a
  // structuredClone of a string was a visible part of every binding patch).
  return v === null || typeof v !== 'object' ? v : structuredClone(v);
}

/** RFC 7386: objects merge key by key, null deletes, anything else (arrays too) replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) Reflect.deleteProperty(out, k);
    else out[k] = mergePatch(out[k], v) as Json;
  }
  return out;
}

/** Keys of a strategic merge patch that carry directives for list merging we do not model. */
function isIgnoredDirective(key: string): boolean {
  return (
    key === '$retainKeys' ||
    key.startsWith('$setElementOrder/') ||
    key.startsWith('$deleteFromPrimitiveList/')
  );
}

/**
 * A strategic merge patch, simplified: maps merge as in RFC 7386, `$patch: replace` inside a map
 * replaces that map by the rest of the patch map, `$patch: delete` removes it, and lists are
 * replaced wholesale (real kube merges some lists by key, e.g. containers by name).
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  const rest: JsonObject = {};
  for (const [k, v] of Object.entries(patch)) {
    if (k !== '$patch' && !isIgnoredDirective(k)) rest[k] = v;
  }
  if (directive === 'replace') return stripDirectives(rest);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(rest)) {
    if (v === null) {
      Reflect.deleteProperty(out, k);
      continue;
    }
    const merged = strategicMergePatch(out[k], v);
    if (merged === undefined) Reflect.deleteProperty(out, k);
    else out[k] = merged as Json;
  }
  return out;
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === '$patch' || isIgnoredDirective(k) || x === null) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

function patchFailure(detail: string, path: string): InvalidError {
  return new InvalidError(
    `the server rejected our request due to an error in our request: ${detail}`,
    [fieldError('Invalid', path, undefined, detail)],
  );
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/'))
    throw patchFailure(`invalid JSON pointer ${JSON.stringify(path)}`, path);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(arr: Json[], token: string, forAdd: boolean, path: string): number {
  if (forAdd && token === '-') return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw patchFailure(`invalid array index ${token}`, path);
  const i = Number(token);
  if (i > arr.length || (!forAdd && i === arr.length)) {
    throw patchFailure(`array index ${i} out of bounds`, path);
  }
  return i;
}

/** Walks to the parent container of a pointer; the caller owns `doc` (a deep copy). */
function parentOf(doc: Json, tokens: string[], path: string): { parent: Json; last: string } {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false, path)]!;
    else if (isObject(cur) && Object.hasOwn(cur, t)) cur = cur[t]!;
    else throw patchFailure(`path ${path} does not exist`, path);
  }
  return { parent: cur, last: tokens[tokens.length - 1]! };
}

function getAt(doc: Json, path: string): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return doc;
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) return parent[arrayIndex(parent, last, false, path)]!;
  if (isObject(parent) && Object.hasOwn(parent, last)) return parent[last]!;
  throw patchFailure(`path ${path} does not exist`, path);
}

function removeAt(doc: Json, path: string): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw patchFailure('cannot remove the whole document', path);
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, false, path), 1)[0]!;
  if (isObject(parent) && Object.hasOwn(parent, last)) {
    const v = parent[last]!;
    Reflect.deleteProperty(parent, last);
    return v;
  }
  throw patchFailure(`path ${path} does not exist`, path);
}

function addAt(doc: Json, path: string, value: Json, replace: boolean): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, last, !replace, path);
    parent.splice(i, replace ? 1 : 0, value);
  } else if (isObject(parent)) {
    if (replace && !Object.hasOwn(parent, last))
      throw patchFailure(`path ${path} does not exist`, path);
    parent[last] = value;
  } else throw patchFailure(`path ${path} does not exist`, path);
  return doc;
}

/** RFC 6902 on a copy of target; a failed `test` or a missing path is a 422 InvalidError. */
export function jsonPatch(target: unknown, ops: readonly JsonPatchOp[]): unknown {
  let doc = structuredClone(target) as Json;
  for (const op of ops) {
    const value = structuredClone(op.value ?? null) as Json;
    switch (op.op) {
      case 'add':
        doc = addAt(doc, op.path, value, false);
        break;
      case 'replace':
        doc = addAt(doc, op.path, value, true);
        break;
      case 'remove':
        removeAt(doc, op.path);
        break;
      case 'test':
        if (JSON.stringify(sortKeys(getAt(doc, op.path))) !== JSON.stringify(sortKeys(value))) {
          throw patchFailure(`testing value ${op.path} failed: test failed`, op.path);
        }
        break;
      case 'move': {
        const v = removeAt(doc, op.from ?? '');
        doc = addAt(doc, op.path, v, false);
        break;
      }
      case 'copy':
        doc = addAt(doc, op.path, structuredClone(getAt(doc, op.from ?? '')), false);
        break;
    }
  }
  return doc;
}

function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]!);
  return out;
}

/** Applies any port Patch to a (possibly frozen) object and returns a fresh, writable result. */
export function applyPatch(target: unknown, patch: Patch): unknown {
  switch (patch.type) {
    case 'merge':
      return mergePatch(target, patch.body);
    case 'strategic':
      return strategicMergePatch(target, patch.body) ?? {};
    case 'json':
      return jsonPatch(target, patch.ops);
  }
}
