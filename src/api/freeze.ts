/**
 * Deep freezing of wire-shaped values (JSON data: plain objects, arrays, primitives), for objects
 * that are shared between readers and must never change: the memory cluster's stored versions,
 * the engine's pod templates and parsed records.
 */

/**
 * Freezes a value and everything reachable from it. Already-frozen parts are skipped, so objects
 * that share frozen sub-trees with older versions cost only their new parts.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  // Indexed and for-in loops: no array of values per object (the memory cluster runs this on
  // every stored write).
  if (Array.isArray(value)) for (let i = 0; i < value.length; i++) deepFreeze(value[i]);
  else for (const k in value) deepFreeze((value as Record<string, unknown>)[k]);
  return Object.freeze(value);
}
