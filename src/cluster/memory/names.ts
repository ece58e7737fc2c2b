/**
 * Deterministic identity for stored objects: a seeded random source, uids, generateName suffixes,
 * and the deep freeze that makes stored objects safe to hand out without copying.
 */

/** A random source in [0, 1): mulberry32, so a seed replays the same uids and names. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
/** kube-apiserver keeps at most this much of generateName before the suffix. */
const MAX_GENERATED_BASE = 58;
const SUFFIX_LENGTH = 5;

/** A name from generateName as kube-apiserver makes it: base cut to 58 chars plus 5 random chars. */
export function generatedName(base: string, random: () => number): string {
  let suffix = '';
  for (let i = 0; i < SUFFIX_LENGTH; i++) {
    suffix += SUFFIX_ALPHABET.charAt(Math.floor(random() * SUFFIX_ALPHABET.length));
  }
  return base.slice(0, MAX_GENERATED_BASE) + suffix;
}

const HEX = '0123456789abcdef';

/**
 * A version-4 UUID string drawn from the given random source: 32 draws, one per hex digit (the
 * version and variant digits are drawn too, then fixed), so a seed replays the same uids.
 */
export function randomUid(random: () => number): string {
  // Built as one string with a digit table: no array of digits, join or slices per object.
  let s = '';
  for (let i = 0; i < 32; i++) {
    let d = Math.floor(random() * 16);
    if (i === 12) d = 4;
    else if (i === 16) d = (d & 0x3) | 0x8;
    s += HEX.charAt(d);
    if (i === 7 || i === 11 || i === 15 || i === 19) s += '-';
  }
  return s;
}

/** The memory cluster freezes what it stores (only its own copies: copyJson copies what callers pass). */
export { deepFreeze } from '../../api/freeze.js';

/** Deeper than any wire object; a cycle gets here instead of overflowing the stack. */
const MAX_DEPTH = 512;

/** Copies v; with `share` (everywhere but the root) a sub-tree that may be shared is returned as is. */
function copyValue(v: unknown, base: unknown, depth: number, share = true): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      // JSON writes -0 as 0 and has no NaN or Infinity.
      return Number.isFinite(v) ? (v === 0 ? 0 : v) : null;
    case 'object':
      break;
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    default:
      // undefined, functions and symbols: dropped from objects, null in arrays (as JSON does).
      return undefined;
  }
  if (v === null) return null;
  if (share) {
    // The very sub-tree of the stored object: frozen plain data already, shared as is.
    if (v === base) return v;
  }
  if (depth > MAX_DEPTH) throw new TypeError('the value is cyclic or nested too deeply');
  const toJSON = (v as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return copyValue(toJSON.call(v), undefined, depth + 1);
  const b =
    base !== null && typeof base === 'object' ? (base as Record<string, unknown>) : undefined;
  if (Array.isArray(v)) {
    const bb = Array.isArray(b) ? (b as unknown[]) : undefined;
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = copyValue(v[i], bb?.[i], depth + 1);
      out[i] = x === undefined ? null : x;
    }
    return out;
  }
  const src = v as Record<string, unknown>;
  const bo = b !== undefined && !Array.isArray(b) ? b : undefined;
  const out: Record<string, unknown> = {};
  for (const k in src) {
    // JSON takes own keys only.
    if (!Object.hasOwn(src, k)) continue;
    const x = copyValue(
      src[k],
      bo === undefined || !Object.hasOwn(bo, k) ? undefined : bo[k],
      depth + 1,
    );
    if (x === undefined) continue;
    // A plain assignment of "__proto__" would set the prototype; JSON.parse makes it a key.
    if (k === '__proto__')
      Object.defineProperty(out, k, {
        value: x,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else out[k] = x;
  }
  return out;
}

/**
 * A deep copy of a wire-format (JSON) value with JSON's rules (undefined-valued keys dropped,
 * toJSON honoured, non-finite numbers as null), built by hand instead of a JSON round trip (which
 * was a seventh of the simulator's time). `stored` is the stored object the value replaces, if
 * any: where the value holds the very same sub-tree (the same reference, at the same place), that
 * frozen sub-tree is shared instead of copied, so a write built from a stored object (a status
 * update, a patch) copies only its new parts. Anything else a caller passed is copied, frozen or
 * not: sharing a caller's deep-frozen plain JSON was tried and cost more to check than to copy.
 * The result itself is always a new object or array, so the caller may set its fields.
 */
export function copyJson<T>(value: T, stored?: unknown): T {
  if (value === undefined) return value;
  // The registry sets fields on the copy it gets, so the root itself is never shared.
  return copyValue(value, stored, 0, false) as T;
}
