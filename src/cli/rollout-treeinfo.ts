/**
 * What the rollout views (the `rollout status` tree, plan) say about everynode's rollout controls:
 * which revision is the update and which the stable one, which pods were pinned to the stable
 * revision, what holds the rollout, and a one-line summary of the controls in force. Read from the
 * DaemonSet's spec, annotations and status only (no engine), so it works on any snapshot.
 */
import type { ControllerRevision, DaemonSet, Pod } from '../api/types.js';
import { CONTROLLER_REVISION_HASH_LABEL, parseTime } from '../api/types.js';
import { rolloutSpecOf } from '../api/rolloutspec.js';
import { rolloutRoles } from '../sim/report/grid/rolloutstate.js';
import {
  isPaused,
  progressingCondition,
  rolloutFields,
  specPaused,
  suspendMode,
  PAUSED_ANNOTATION,
} from './rollout-conditions.js';

const hashOf = (r: ControllerRevision | undefined): string =>
  r?.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? r?.metadata?.name ?? '';

/**
 * The update and stable revisions' hashes (grid/rolloutstate.ts rolloutRoles: status on the CRD,
 * the rollout record for apps/v1). `sorted` is newest first.
 */
export function revisionRoles(
  ds: DaemonSet,
  sorted: readonly ControllerRevision[],
): { update: string; stable: string | undefined } {
  return rolloutRoles(ds, sorted);
}

/**
 * Pods the controller pinned: on the stable revision and created after the update revision
 * existed, i.e. made from the stable template on purpose (a joining node, a replaced pod) while
 * the rollout was held. Older stable pods are simply not updated yet.
 */
export function pinnedPods(
  pods: readonly Pod[],
  revisions: readonly ControllerRevision[],
  update: string,
  stable: string | undefined,
): Set<string> {
  const out = new Set<string>();
  if (stable === undefined || stable === update) return out;
  const rev = revisions.find((r) => hashOf(r) === update);
  const since = parseTime(rev?.metadata?.creationTimestamp);
  if (since === undefined) return out;
  for (const p of pods) {
    if (p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] !== stable) continue;
    const created = parseTime(p.metadata?.creationTimestamp);
    if (created !== undefined && created >= since) out.add(p.metadata?.name ?? '');
  }
  return out;
}

const PHASE_HOLDS: Readonly<Record<string, string>> = {
  Paused: 'paused',
  Partitioned: 'at its partition',
  Aborted: 'aborted',
  Failed: 'failed',
  Frozen: 'frozen',
  ScaledToZero: 'scaled to zero',
};

/** What holds the rollout ("paused", "aborted", ...), or undefined while it may proceed. */
export function heldBy(ds: DaemonSet): string | undefined {
  const phase = rolloutFields(ds).rollout?.phase;
  if (phase !== undefined && phase in PHASE_HOLDS) return PHASE_HOLDS[phase];
  const mode = suspendMode(ds);
  if (mode !== undefined) return mode === 'ScaleToZero' ? 'scaled to zero' : 'frozen';
  if (isPaused(ds)) return 'paused';
  return undefined;
}

/** The partition as written (int or percent), from the spec or the strategy annotation. */
export function partitionOf(ds: DaemonSet): number | string | undefined {
  return rolloutSpecOf(ds).spec.partition;
}

/** progressDeadlineSeconds and progressDeadlineAbort, from the spec or the strategy annotation. */
export function deadlineOf(ds: DaemonSet): { seconds: number; abort: boolean } | undefined {
  const spec = rolloutSpecOf(ds).spec;
  if (spec.progressDeadlineSeconds === undefined) return undefined;
  return { seconds: spec.progressDeadlineSeconds, abort: spec.progressDeadlineAbort };
}

/**
 * One line of the controls in force, e.g. `phase Paused · paused (rollout.everynode.dev/paused) ·
 * partition 3 (3 nodes held) · deadline 600s, then abort`; empty for a plain apps/v1 rollout.
 */
export function controlsLine(ds: DaemonSet): string {
  const parts: string[] = [];
  const f = rolloutFields(ds);
  if (f.rollout?.phase !== undefined) parts.push(`phase ${f.rollout.phase}`);
  const mode = suspendMode(ds);
  if (mode !== undefined) parts.push(`suspended (${mode})`);
  if (isPaused(ds)) parts.push(`paused (${specPaused(ds) ?? PAUSED_ANNOTATION})`);
  const partition = partitionOf(ds);
  if (partition !== undefined && partition !== 0 && partition !== '0%') {
    const held = f.rollout?.partitioned;
    parts.push(
      `partition ${String(partition)}${held === undefined ? '' : ` (${held} ${held === 1 ? 'node' : 'nodes'} held)`}`,
    );
  }
  const d = deadlineOf(ds);
  if (d !== undefined) parts.push(`deadline ${d.seconds}s${d.abort ? ', then abort' : ''}`);
  const p = progressingCondition(ds);
  if (p !== undefined && p.status !== 'True' && p.reason !== undefined)
    parts.push(`Progressing ${p.status} (${p.reason})`);
  const failure = f.rollout?.failure;
  if (failure?.reason !== undefined)
    parts.push(`failure ${failure.reason}${failure.node ? ` on ${failure.node}` : ''}`);
  return parts.join(' · ');
}
