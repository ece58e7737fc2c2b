/**
 * everynode's rollout as the pictures show it (the sim report, `plan --rollout --report`, the
 * dashboard, `rollout status`'s tree): which revision is the update and which the stable one,
 * whether the rollout holds nodes on the stable revision now (so their pods are drawn as pinned),
 * and a one-line account of the phase and conditions. Read from the DaemonSet's status (the CRD)
 * or the controller's rollout record on its revisions (apps/v1), never recomputed.
 */
import { INVALID_STRATEGY_CONDITION } from '../../../api/rolloutconditions.js';
import { isEverynodeDaemonSet } from '../../../api/rolloutspec.js';
import type { ControllerRevision, DaemonSet } from '../../../api/types.js';
import { CONTROLLER_REVISION_HASH_LABEL } from '../../../api/types.js';
import { readRecord } from '../../../engine/rolloutrecord.js';
import { stepDetail } from '../../../engine/rolloutstatus.js';

const hashOf = (r: ControllerRevision | undefined): string =>
  r?.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? r?.metadata?.name ?? '';

/**
 * The update and stable revisions' hashes: status.updateRevision / stableRevision (names) on the
 * CRD, the rollout record on the update revision for apps/v1; without either, the newest revision
 * is the update one and no stable one is known. `revisions`: the DaemonSet's own.
 */
export function rolloutRoles(
  ds: DaemonSet,
  revisions: readonly ControllerRevision[],
): { update: string; stable: string | undefined } {
  const sorted = [...revisions].sort((a, b) => b.revision - a.revision);
  const byName = (n: string | undefined) =>
    n === undefined || n === '' ? undefined : sorted.find((r) => r.metadata?.name === n);
  const s = ds.status;
  const observed = (s?.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 0);
  const upd = (observed ? byName(s?.updateRevision) : undefined) ?? sorted[0];
  const stableName =
    isEverynodeDaemonSet(ds) || upd === undefined
      ? s?.stableRevision
      : readRecord(ds, sorted, {
          name: upd.metadata?.name ?? '',
          revision: upd.revision,
          hash: hashOf(upd),
        }).stableRevision;
  const stable = byName(stableName);
  return { update: hashOf(upd), stable: stable === undefined ? undefined : hashOf(stable) };
}

/** Phases in which the controller keeps (or puts) nodes on the stable revision. */
// A step that bakes or awaits its promote (issue 12) holds the nodes after it on purpose: no
// stall, and those nodes are drawn pinned.
const HOLDING_PHASES = new Set([
  'Paused',
  'Partitioned',
  'Aborted',
  'Frozen',
  'ScaledToZero',
  'Baking',
  'AwaitingPromotion',
]);
/** The same, read from the Progressing condition (apps/v1 status has no phase). */
const HOLDING_REASONS = new Set([
  'RolloutPaused',
  'PartitionRolledOut',
  'RolloutAborted',
  'CanaryBaking',
  'WaveBaking',
  'AwaitingPromotion',
]);

/** What holds the rollout now (a phase, or the Progressing reason on apps/v1); undefined: none. */
export function rolloutHold(ds: DaemonSet): string | undefined {
  const phase = ds.status?.rollout?.phase;
  const p = ds.status?.conditions?.find((c) => c.type === 'Progressing');
  // A health gate's pause holds the nodes on purpose too (phase Failed, also the deadline's).
  if (p?.reason === 'HealthGateFailed') return p.reason;
  if (phase !== undefined) return HOLDING_PHASES.has(phase) ? phase : undefined;
  return p?.reason !== undefined && HOLDING_REASONS.has(p.reason) ? p.reason : undefined;
}

/**
 * The stable revision's hash while the rollout holds nodes on it and it differs from the update
 * revision: a pod of this hash is drawn as pinned. Undefined otherwise (a stable pod during a
 * rollout in progress is simply not updated yet).
 */
export function pinnedHash(
  ds: DaemonSet,
  revisions: readonly ControllerRevision[],
): string | undefined {
  if (rolloutHold(ds) === undefined) return undefined;
  const { update, stable } = rolloutRoles(ds, revisions);
  return stable !== undefined && stable !== update ? stable : undefined;
}

/**
 * One line on the rollout for a picture's facts, e.g. `rollout: phase Paused · Progressing
 * Unknown (RolloutPaused) · Available True`; undefined for a DaemonSet without everynode's
 * rollout status (plain apps/v1).
 */
export function rolloutFact(ds: DaemonSet): string | undefined {
  const parts: string[] = [];
  const phase = ds.status?.rollout?.phase;
  if (phase !== undefined) parts.push(`phase ${phase}`);
  for (const c of ds.status?.conditions ?? [])
    parts.push(`${c.type} ${c.status}${c.reason ? ` (${c.reason})` : ''}`);
  // Issue 12: the canary chosen, and where the canary or wave stands (rollout status's words).
  const canary = ds.status?.rollout?.canaryNodes ?? [];
  if (canary.length > 0) parts.push(`canary ${canary.join(', ')}`);
  const detail = stepDetail(ds);
  if (detail !== '') parts.push(detail);
  return parts.length === 0 ? undefined : `rollout: ${parts.join(' · ')}`;
}

/** Progressing reasons that are the same state of a rollout in progress (journaled once). */
const ROLLING_REASONS = new Set(['NewRevisionCreated', 'RevisionUpdated']);

/**
 * The rollout's state as a signature, to journal its changes (a new phase, or on apps/v1 a new
 * Progressing reason, the two reasons of a rollout in progress counting as one), with the line
 * that says it; undefined for a DaemonSet without everynode's rollout status.
 */
export function rolloutChange(ds: DaemonSet): { sig: string; text: string } | undefined {
  const phase = ds.status?.rollout?.phase;
  const p = ds.status?.conditions?.find((c) => c.type === 'Progressing');
  if (phase === undefined && p === undefined) return undefined;
  const reason = p?.reason ?? '';
  const cond = p === undefined ? '' : `Progressing ${p.status}${reason ? `, ${reason}` : ''}`;
  const sig = phase ?? `${p?.status ?? ''}/${ROLLING_REASONS.has(reason) ? 'rolling' : reason}`;
  const head = phase === undefined ? cond : `phase ${phase}${cond ? ` (${cond})` : ''}`;
  return { sig, text: `${head}${p?.message ? `: ${p.message}` : ''}` };
}

/**
 * The InvalidStrategy condition's message while it is True (an annotation that does not parse:
 * ignored, with a Warning Event), to journal when it comes, changes and goes; else undefined.
 */
export function invalidStrategy(ds: DaemonSet): string | undefined {
  const c = ds.status?.conditions?.find((x) => x.type === INVALID_STRATEGY_CONDITION);
  return c?.status === 'True' ? (c.message ?? c.reason ?? 'invalid') : undefined;
}
