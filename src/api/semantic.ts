/**
 * Semantic equality as kube-apiserver applies it to decide whether a write changed anything (and
 * whether a DaemonSet's template changed): key order is ignored, and absent, null, empty lists and
 * empty maps inside objects are all the same.
 */

/** True for the values semantic equality treats as absent: nil, empty lists, empty maps. */
export function isEmptyValue(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v !== 'object') return false;
  for (const _ in v) return false;
  return true;
}

/** Semantic equality of two JSON values (see the file comment). */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const aArr = Array.isArray(a);
  if (aArr !== Array.isArray(b)) return false;
  if (aArr) {
    const aa = a as unknown[];
    const bb = b as unknown[];
    if (aa.length !== bb.length) return false;
    for (let i = 0; i < aa.length; i++) if (!semanticEqual(aa[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let present = 0;
  for (const k in ao) {
    const v = ao[k];
    if (isEmptyValue(v)) continue;
    present++;
    if (!semanticEqual(v, bo[k])) return false;
  }
  for (const k in bo) if (!isEmptyValue(bo[k])) present--;
  return present === 0;
}
