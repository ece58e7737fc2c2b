/**
 * Keeps objects in wire form. The raw transport already returns JSON as sent; this also turns any
 * Date (as @kubernetes/client-node's typed APIs produce) back into RFC 3339 text, so objects from
 * either path compare and serialize the same.
 */

/** Kubernetes' metav1.Time form: seconds precision, UTC, `Z`. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A deep copy of `v` with every Date replaced by its RFC 3339 string. */
export function normalize(v: unknown): unknown {
  if (v instanceof Date) return rfc3339(v);
  if (Array.isArray(v)) return v.map(normalize);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = normalize(x);
    return out;
  }
  return v;
}
