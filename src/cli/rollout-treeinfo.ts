/**
 * What the rollout views (the `rollout status` tree, plan) say about everynode's rollout controls:
 * which revision is the update and which the stable one, which pods were pinned to the stable
 * revision, what holds the rollout, and a one-line summary of the controls in force. Read from the
 * DaemonSet's spec, annotations and status only (no engine), so it works on any snapshot.
 */
import type { ControllerRevision, DaemonSet, Pod } from '../api/types.js';
import { CONTROLLER_REVISION_HASH_LABEL, parseTime } from '../api/types.js';
import { isEverynodeDaemonSet, rolloutSpecOf } from '../api/rolloutspec.js';
import { readRecord } from '../engine/rolloutrecord.js';
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
 * The update and stable revisions' hashes: from status.updateRevision / stableRevision (revision
 * names) on the CRD, from the rollout record on the update revision for apps/v1; without either
 * the newest revision is the update one and there is no known stable one. `sorted` is newest
 * first.
 */
export function revisionRoles(
  ds: DaemonSet,
  sorted: readonly ControllerRevision[],
): { update: string; stable: string | undefined } {
  const f = rolloutFields(ds);
  const byName = (n: string | undefined) =>
    n === undefined || n === '' ? undefined : sorted.find((r) => r.metadata?.name === n);
  const observed = (ds.status?.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 0);
  const upd = (observed ? byName(f.updateRevision) : undefined) ?? sorted[0];
  // apps/v1 status has no stableRevision: the controller's record on the update revision has it.
  const stableName =
    isEverynodeDaemonSet(ds) || upd === undefined
      ? f.stableRevision
      : readRecord(ds, sorted, {
          name: upd.metadata?.name ?? '',
          revision: upd.revision,
          hash: hashOf(upd),
        }).stableRevision;
  const stable = byName(stableName);
  return {
    update: hashOf(upd),
    stable: stable === undefined ? undefined : hashOf(stable),
  };
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
