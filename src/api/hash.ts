/**
 * Canonical JSON, the template hash, and ControllerRevision data (spec §8.1–8.2).
 */
import { goMarshal } from './gojson.js';
import { servedTemplate } from './servedform.js';
import type { DaemonSet, PodTemplateSpec } from './types.js';

function canonical(value: unknown): string | undefined {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol')
    return undefined;
  if (value === null) return 'null';
  if (typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return canonical((value as { toJSON: () => unknown }).toJSON());
  }
  if (Array.isArray(value)) {
    // Arrays keep their order and length, as JSON.stringify writes them.
    return `[${value.map((v) => canonical(v) ?? 'null').join(',')}]`;
  }
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(obj).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      const s = canonical(obj[key]);
      // A key is left out when its JSON value is null, not only when it holds null: NaN and
      // Infinity (and a toJSON that gives null) are written as null, and an object that went
      // over the wire holds null there. Keeping such a key made a template in the cache and the
      // revision the API server stored from it canonically different, so the revision created
      // was never recognised (a collisionCount bump per sync, found by the fuzzer).
      if (s !== undefined && s !== 'null') parts.push(`${JSON.stringify(key)}:${s}`);
    }
    return `{${parts.join(',')}}`;
  }
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

/**
 * JSON with object keys sorted recursively and the keys whose JSON value is null or absent left
 * out (null, undefined, NaN, Infinity), so a value and its JSON round trip read the same.
 */
export function canonicalJSON(value: unknown): string {
  return canonical(value) ?? 'null';
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function fnv1a(hash: number, bytes: Uint8Array): number {
  let h = hash;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h;
}

/** FNV-1a 32-bit of the bytes (the hash/fnv New32a that upstream's ComputeHash uses). */
export function fnv1a32(bytes: Uint8Array): number {
  return fnv1a(FNV_OFFSET, bytes);
}

/** SafeEncodeString: maps each character onto an alphabet without vowels, so the result is DNS-safe. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length]!;
  return out;
}

/**
 * Deterministic, DNS-safe hash of a template (FNV-1a 32 over its canonical JSON, plus the
 * collisionCount bytes when set), encoded like SafeEncodeString.
 */
export function computeTemplateHash(template: PodTemplateSpec, collisionCount?: number): string {
  let h = fnv1a(FNV_OFFSET, new TextEncoder().encode(canonicalJSON(template)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv1a(h, bytes);
  }
  return safeEncodeString(String(h));
}

/**
 * The revision data object for a DaemonSet: `{"spec":{"template":{...,"$patch":"replace"}}}` with
 * the template as kube-apiserver serves it for apps/v1, every field kept (null values and empty
 * objects included), as kube-controller-manager's getPatch builds it. A template read from
 * apps/v1 is that already; one from everynode's custom resource gets the fields the API server
 * always writes for apps/v1 (servedTemplate), so that the revision is recognised after a move to
 * apps/v1. Serialised with goMarshal it gives upstream's bytes (revisionDataBytes).
 */
export function revisionDataFor(ds: DaemonSet): Record<string, unknown> {
  const template = servedTemplate(ds.spec?.template ?? {}) as Record<string, unknown>;
  return { spec: { template: { ...template, $patch: 'replace' } } };
}

/**
 * The ControllerRevision data bytes kube-controller-manager writes for this DaemonSet (Go's
 * json.Marshal of getPatch's generic map), the bytes its daemon.Match compares.
 */
export function revisionDataBytes(ds: DaemonSet): string {
  return goMarshal(revisionDataFor(ds));
}

/**
 * Match(ds, rev), semantically: the revision data equals the template's (as it is, or in served
 * form) once both are in canonical JSON.
 */
export function revisionDataMatches(ds: DaemonSet, data: unknown): boolean {
  const theirs = revisionDataCanonical(data);
  if (theirs === undefined) return false;
  // Semantic: the canonical form drops nulls and ignores key order and escaping, so data written
  // by either controller (or by an older everynode that dropped nulls) is recognised; a custom
  // resource's template may be stored without the fields apps/v1 always has, so its served form
  // is compared as well.
  const template = ds.spec?.template ?? {};
  const forms = templateForms(template);
  if (forms.asIs === theirs) return true;
  forms.served ??= canonicalJSON({
    spec: { template: { ...servedTemplate(template), $patch: 'replace' } },
  });
  return forms.served === theirs;
}

/*
 * Wire objects are never changed in place (they are replaced), so their canonical forms are kept
 * by identity: the history is matched on every sync that follows a revision write (the rollout
 * record lives in a revision's annotations, written once per step of a waved rollout: B6), and
 * canonicalJSON of a pod template costs far more than the lookup.
 */
const dataForms = new WeakMap<object, string | null>();
const templateFormsOf = new WeakMap<object, { asIs: string; served?: string }>();

/** canonicalJSON of a revision's data (an object, JSON text or bytes); undefined when unreadable. */
function revisionDataCanonical(data: unknown): string | undefined {
  if (typeof data === 'string') return canonicalOfParsed(data);
  if (typeof data !== 'object' || data === null) return undefined;
  const kept = dataForms.get(data);
  if (kept !== undefined) return kept ?? undefined;
  const form =
    data instanceof Uint8Array
      ? canonicalOfParsed(new TextDecoder().decode(data))
      : canonicalJSON(data);
  dataForms.set(data, form ?? null);
  return form;
}

function canonicalOfParsed(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
  return parsed === undefined || parsed === null ? undefined : canonicalJSON(parsed);
}

/** The template's revision-data form as it is (and, once asked, in served form), kept by identity. */
function templateForms(template: PodTemplateSpec): { asIs: string; served?: string } {
  let forms = templateFormsOf.get(template);
  if (forms === undefined) {
    forms = { asIs: canonicalJSON({ spec: { template: { ...template, $patch: 'replace' } } }) };
    templateFormsOf.set(template, forms);
  }
  return forms;
}
