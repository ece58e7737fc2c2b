/**
 * The decoder's type check: what kube-apiserver refuses before validation because the JSON does
 * not fit the Go struct (a string for a list, 2.5 or 1e20 for an int32, "abc" for a quantity).
 * null is accepted anywhere, as Go reads it as "absent". The errors are FieldErrors with the
 * field path, so every layer prints them the same way.
 */
import { fieldError, type FieldError } from './fielderrors.js';
import { parseQuantity } from './quantity.js';
import { parseRFC3339 } from './rfc3339.js';
import { WIRE_SCHEMAS, type WireType } from './wireschema.js';

/** At most this many type errors are collected per object (a huge wrong input stays short). */
export const MAX_WIRE_ERRORS = 20;

const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);
const INT64_LIMIT = 2 ** 63;

/**
 * The type errors of a wire object against its kind's schema (DaemonSet, Node, Pod,
 * ControllerRevision); an unknown kind has none. Never throws, whatever the value.
 */
export function checkWireTypes(obj: unknown, kind: string, path = ''): FieldError[] {
  const schema = WIRE_SCHEMAS[kind];
  if (schema === undefined) return [];
  return checkWire(obj, schema, path);
}

/** The type errors of a value against a schema, at most MAX_WIRE_ERRORS of them. */
export function checkWire(value: unknown, schema: WireType, path: string): FieldError[] {
  const out: FieldError[] = [];
  walk(value, schema, path, out);
  return out;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function child(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function integerProblem(v: unknown, bits: 32 | 64): string | undefined {
  if (typeof v !== 'number') return 'must be an integer';
  if (!Number.isFinite(v) || !Number.isInteger(v)) return 'must be an integer';
  if (bits === 32 && (v > INT32_MAX || v < INT32_MIN)) {
    return `must be a 32-bit integer (from ${INT32_MIN} to ${INT32_MAX})`;
  }
  if (bits === 64 && (v >= INT64_LIMIT || v < -INT64_LIMIT)) return 'must be a 64-bit integer';
  return undefined;
}

function scalarProblem(v: unknown, t: string): string | undefined {
  switch (t) {
    case 'string':
      return typeof v === 'string' ? undefined : 'must be a string';
    case 'boolean':
      return typeof v === 'boolean' ? undefined : 'must be true or false';
    case 'int32':
      return integerProblem(v, 32);
    case 'int64':
      return integerProblem(v, 64);
    case 'intOrString':
      if (typeof v === 'string') return undefined;
      return typeof v === 'number'
        ? integerProblem(v, 32)
        : 'must be an integer or a string such as "25%"';
    case 'quantity': {
      if (typeof v !== 'string' && typeof v !== 'number')
        return 'must be a quantity such as "100m" or "64Mi"';
      const q = parseQuantity(v);
      return 'error' in q ? q.error : undefined;
    }
    case 'time':
      return typeof v === 'string' && parseRFC3339(v) !== undefined
        ? undefined
        : 'must be an RFC 3339 time such as "2026-11-28T21:00:00Z"';
    case 'object':
      return isMap(v) ? undefined : 'must be a map';
    default:
      return undefined;
  }
}

function walk(value: unknown, schema: WireType, path: string, out: FieldError[]): void {
  if (out.length >= MAX_WIRE_ERRORS || value === null || value === undefined) return;
  if (typeof schema === 'string') {
    const problem = scalarProblem(value, schema);
    if (problem !== undefined) out.push(fieldError('Invalid', path, shown(value), problem));
    return;
  }
  if ('list' in schema) {
    if (!Array.isArray(value)) {
      out.push(fieldError('Invalid', path, shown(value), 'must be a list'));
      return;
    }
    for (let i = 0; i < value.length && out.length < MAX_WIRE_ERRORS; i++)
      walk(value[i], schema.list, `${path}[${i}]`, out);
    return;
  }
  if (!isMap(value)) {
    out.push(fieldError('Invalid', path, shown(value), 'must be a map'));
    return;
  }
  if ('map' in schema) {
    for (const [k, v] of Object.entries(value)) {
      if (out.length >= MAX_WIRE_ERRORS) return;
      if (schema.map === 'string' && v !== null && typeof v !== 'string') {
        // A YAML label or annotation such as `version: 1.8` reads as a number.
        const hint = typeof v === 'number' || typeof v === 'boolean' ? ' (quote it)' : '';
        out.push(fieldError('Invalid', `${path}[${k}]`, shown(v), `must be a string${hint}`));
      } else walk(v, schema.map, `${path}[${k}]`, out);
    }
    return;
  }
  for (const [k, sub] of Object.entries(schema.fields)) {
    if (out.length >= MAX_WIRE_ERRORS) return;
    if (Object.hasOwn(value, k)) walk(value[k], sub, child(path, k), out);
  }
}

/** The value as an error shows it: long strings and big structures cut short. */
function shown(v: unknown): unknown {
  if (typeof v === 'string') return v.length > 60 ? `${v.slice(0, 60)}…` : v;
  if (Array.isArray(v)) return v.length > 3 ? `a list of ${v.length} items` : shortJson(v);
  if (isMap(v)) return shortJson(v);
  return v;
}

function shortJson(v: unknown): unknown {
  try {
    const s = JSON.stringify(v);
    return s.length > 80 ? `${s.slice(0, 80)}…` : v;
  } catch {
    return String(v);
  }
}
