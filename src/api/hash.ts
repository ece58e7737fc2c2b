/**
 * Canonical JSON, the template hash, and ControllerRevision data (spec §8.1–8.2).
 * CONTRACT STUB: the api helper implements the bodies; signatures are fixed.
 */
import type { DaemonSet, PodTemplateSpec } from './types.js';

/** JSON with object keys sorted recursively and undefined/null-valued keys left out. */
export declare function canonicalJSON(value: unknown): string;

/**
 * Deterministic, DNS-safe hash of a template (FNV-1a 32 over its canonical JSON, plus the
 * collisionCount bytes when set), encoded like SafeEncodeString.
 */
export declare function computeTemplateHash(template: PodTemplateSpec, collisionCount?: number): string;

/** The revision data object `{"spec":{"template":{...,"$patch":"replace"}}}` for a DaemonSet. */
export declare function revisionDataFor(ds: DaemonSet): Record<string, unknown>;

/** Match(ds, rev): the canonical JSON of revisionDataFor(ds) equals that of the revision data. */
export declare function revisionDataMatches(ds: DaemonSet, data: unknown): boolean;
