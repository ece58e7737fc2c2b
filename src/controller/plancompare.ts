/**
 * Comparison of two Plans for verification mode: the incremental sync's plan must equal the full
 * reconcile's in everything the executor carries out. Per-node decisions are left out (a live
 * sync never reads them; the incremental plan builds them from a full reconcile when read).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Plan } from '../engine/types.js';

/** Where two plans first differ: the path into the plan, and the value on each side. */
export interface PlanDifference {
  /** e.g. `plan.creates[3].reason`, or `plan.deletes` with a length difference. */
  readonly path: string;
  /** The incremental plan's value there (a length for arrays of different length). */
  readonly incremental: unknown;
  /** The full reconcile's value there. */
  readonly full: unknown;
}

const show = (v: unknown): string => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 400 ? `${text.slice(0, 400)}… (${text.length} chars)` : text;
};

/** A difference as three lines: the path, then each side's value (long values cut at 400 chars). */
export function formatDifference(d: PlanDifference): string {
  return `${d.path}\n  incremental: ${show(d.incremental)}\n  full:        ${show(d.full)}`;
}

/** Thrown when the incremental plan differs from the full reconcile (verification mode). */
export class SyncVerificationError extends Error {
  override name = 'SyncVerificationError';
  constructor(
    /** The DaemonSet's key. */
    readonly key: string,
    readonly difference: PlanDifference,
  ) {
    super(
      `incremental sync of ${key} differs from the full reconcile at ${formatDifference(difference)}`,
    );
  }
}

/** The first path at which a and b differ, or undefined when they are deeply equal. */
export function firstDifference(a: unknown, b: unknown, path = ''): PlanDifference | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (a instanceof Map && b instanceof Map) {
    return firstDifference(Object.fromEntries(a), Object.fromEntries(b), path);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return { path: `${path}.length`, incremental: a.length, full: b.length };
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
    for (const k of [...keys].sort()) {
      const d = firstDifference(ra[k], rb[k], `${path}.${k}`);
      if (d !== undefined) return d;
    }
  }
  return { path: path || '(root)', incremental: a, full: b };
}

/** What the executor reads of a plan, as plain data (pod bodies of creates included). */
function executed(p: Plan): Record<string, unknown> {
  return {
    dsKey: p.dsKey,
    skip: p.skip,
    claims: p.claims,
    history: p.history,
    creates: p.creates.map((c) => ({
      node: c.node,
      revisionHash: c.revisionHash,
      source: c.source,
      reason: c.reason,
      pinned: c.pinned,
      pod: c.pod,
    })),
    deletes: p.deletes,
    status: p.status,
    statusChanged: p.statusChanged,
    events: p.events,
    requeueAfterMs: p.requeueAfterMs,
    backoffUpdates: [...p.backoffUpdates.entries()],
    rollingUpdateRan: p.rollingUpdateRan,
    recordWrite: p.recordWrite ?? null,
    rollout: p.rollout ?? null,
    error: p.error,
  };
}

/**
 * The first difference between the incremental plan and the full one, or undefined when the
 * executor would carry out the same writes with both.
 */
export function comparePlans(incremental: Plan, full: Plan): PlanDifference | undefined {
  return firstDifference(executed(incremental), executed(full), 'plan');
}
