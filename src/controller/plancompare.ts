/**
 * Comparison of two Plans for verification mode: the incremental sync's plan must equal the full
 * reconcile's in everything the executor carries out. Per-node decisions are left out (a live
 * sync never reads them; the incremental plan builds them from a full reconcile when read).
 */
import { appendFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { Plan } from '../engine/types.js';

/** Thrown when the incremental plan differs from the full reconcile (verification mode). */
export class SyncVerificationError extends Error {
  override name = 'SyncVerificationError';
}

/** The first path at which a and b differ, or undefined when they are deeply equal. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (a instanceof Map && b instanceof Map) {
    return firstDifference(Object.fromEntries(a), Object.fromEntries(b), path);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return `${path}: length ${a.length} vs ${b.length}`;
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
  const show = (v: unknown): string => JSON.stringify(v)?.slice(0, 300) ?? String(v);
  return `${path || '(root)'}: ${show(a)} vs ${show(b)}`;
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
      pod: c.pod,
    })),
    deletes: p.deletes,
    status: p.status,
    statusChanged: p.statusChanged,
    events: p.events,
    requeueAfterMs: p.requeueAfterMs,
    backoffUpdates: [...p.backoffUpdates.entries()],
    rollingUpdateRan: p.rollingUpdateRan,
    error: p.error,
  };
}

/**
 * The first difference between the incremental plan and the full one, as "<path>: <incremental>
 * vs <full>", or undefined when the executor would carry out the same writes with both.
 */
export function comparePlans(incremental: Plan, full: Plan): string | undefined {
  return firstDifference(executed(incremental), executed(full), 'plan');
}

/** Syncs of this process by path (for the suite's record of what verification covered). */
export const syncPathCounts = { incremental: 0, full: 0, verified: 0 };

// EVERYNODE_VERIFY_SYNC_LOG=<file>: each process appends its counts at exit, so a whole test run
// can say how many incremental syncs were checked against the full reconcile.
const logFile = process.env['EVERYNODE_VERIFY_SYNC_LOG'];
if (logFile !== undefined && logFile !== '') {
  process.on('exit', () => {
    const c = syncPathCounts;
    if (c.incremental + c.full > 0)
      appendFileSync(
        logFile,
        `${c.incremental} ${c.full} ${c.verified} ${process.argv[1] ?? ''}\n`,
      );
  });
}
