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

/** A version-4 UUID string drawn from the given random source. */
export function randomUid(random: () => number): string {
  const hex: string[] = [];
  for (let i = 0; i < 32; i++) hex.push(Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/**
 * Freezes a value and everything reachable from it. Already-frozen parts are skipped, so objects
 * that share frozen sub-trees with older versions cost only their new parts.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}

/**
 * A deep copy of a wire-format (JSON) value: faster than structuredClone for these plain trees;
 * undefined-valued keys are dropped, as they would be on the wire.
 */
export function copyJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
