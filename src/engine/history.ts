/**
 * ControllerRevision history (§8.3–8.6): which revision is current, the one to create when none
 * is, duplicates, rollbacks, repairs, and the old revisions beyond revisionHistoryLimit.
 *
 * The current revision is the one whose data equals the template (revisionDataMatches), whatever
 * its hash label says. So revisions and pod hash labels written by the built-in controller, whose
 * hash function we cannot reproduce byte for byte, are recognised as they are and cause no restart.
 */
import { computeTemplateHash, revisionDataFor, revisionDataMatches } from '../api/hash.js';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  type ControllerRevision,
  type DaemonSet,
  type Mutable,
  type OwnerReference,
  type Pod,
} from '../api/types.js';
import type { HistoryPlan, PodRelabel, RevisionRef } from './types.js';

/** constructHistory on claimed revisions: current revision (existing or to create), dedup, repairs. */
export interface ConstructedHistory {
  readonly current: RevisionRef;
  readonly createRevision: ControllerRevision | null;
  readonly updateRevisions: HistoryPlan['updateRevisions'];
  readonly labelRevisions: readonly string[];
  readonly relabelPods: HistoryPlan['relabelPods'];
  /** Duplicate current revisions to delete. */
  readonly deleteDuplicates: readonly string[];
  /** Old revisions (not current), by revision ascending, with repaired hash labels. */
  readonly old: readonly ControllerRevision[];
}

/** The hash a revision stands for: its label, or its own name when the label is missing (§8.3 step 2). */
export function revisionHash(rev: ControllerRevision): string {
  const label = rev.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
  return label !== undefined && label !== '' ? label : (rev.metadata?.name ?? '');
}

/** The RevisionRef of a revision, as the Plan reports it. */
export function revisionRef(rev: ControllerRevision): RevisionRef {
  return { name: rev.metadata?.name ?? '', revision: rev.revision, hash: revisionHash(rev) };
}

/** The controller reference the DaemonSet controller puts on the objects it owns. */
export function daemonSetControllerRef(ds: DaemonSet): OwnerReference {
  return {
    // The DaemonSet's own group: apps/v1, or apps.everynode.dev/v1alpha1 for the CRD.
    apiVersion: ds.apiVersion ?? 'apps/v1',
    kind: 'DaemonSet',
    name: ds.metadata?.name ?? '',
    uid: ds.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * The ControllerRevision the snapshot step creates (§8.1): `<ds>-<hash>` with the hash of the
 * template and status.collisionCount, the template labels plus the hash label, a copy of the DS
 * annotations, a controller ref, and the `$patch: replace` data.
 */
export function newRevision(ds: DaemonSet, revision: number): ControllerRevision {
  const template = ds.spec?.template ?? {};
  const hash = computeTemplateHash(template, ds.status?.collisionCount ?? undefined);
  const meta: Mutable<ControllerRevision>['metadata'] = {
    name: `${ds.metadata?.name ?? ''}-${hash}`,
    namespace: ds.metadata?.namespace ?? 'default',
    labels: { ...(template.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash },
    ownerReferences: [structuredClone(daemonSetControllerRef(ds))],
  };
  if (ds.metadata?.annotations !== undefined) meta.annotations = { ...ds.metadata.annotations };
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: meta,
    data: revisionDataFor(ds),
    revision,
  };
}

function withHashLabel(rev: ControllerRevision): ControllerRevision {
  const copy = structuredClone(rev) as Mutable<ControllerRevision>;
  copy.metadata = {
    ...copy.metadata,
    labels: { ...copy.metadata?.labels, [CONTROLLER_REVISION_HASH_LABEL]: revisionHash(rev) },
  };
  return copy;
}

/**
 * dedupCurHistories (§8.5): keeps the current revision with the highest `revision` (the later in
 * list order on a tie), relabels every claimed pod whose hash differs from the kept one (all of
 * them, as upstream does, old-revision pods included), and deletes the other current revisions.
 */
function dedup(
  current: readonly ControllerRevision[],
  pods: readonly Pod[],
): { keep: ControllerRevision; relabel: PodRelabel[]; deletes: string[] } {
  let keep = current[0]!;
  for (const rev of current) if (rev.revision >= keep.revision) keep = rev;
  if (current.length === 1) return { keep, relabel: [], deletes: [] };
  const hash = revisionHash(keep);
  const relabel = pods
    .filter((p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] !== hash)
    .map((p) => ({
      namespace: p.metadata?.namespace ?? '',
      name: p.metadata?.name ?? '',
      // The full label set, so the relabel reads the same whether applied as a merge or a replace.
      labels: { ...p.metadata?.labels, [CONTROLLER_REVISION_HASH_LABEL]: hash },
    }));
  const deletes = current.filter((r) => r !== keep).map((r) => r.metadata?.name ?? '');
  return { keep, relabel, deletes };
}

/**
 * Builds the history plan from the revisions this DaemonSet claims and the pods it claims: splits
 * current from old by data, numbers the current revision max(old) + 1 (creating `<ds>-<hash>` when
 * none matches, raising an old one's number on rollback), deduplicates, and repairs missing hash
 * labels with the revision's name. Pod relabels carry the pod's full labels with the kept hash.
 */
export function constructHistory(
  ds: DaemonSet,
  claimedRevisions: readonly ControllerRevision[],
  claimedPods: readonly Pod[],
): ConstructedHistory {
  const labelRevisions = claimedRevisions
    .filter((r) => (r.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '') === '')
    .map((r) => r.metadata?.name ?? '');
  const revisions = claimedRevisions.map((r) =>
    (r.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '') === '' ? withHashLabel(r) : r,
  );
  const current: ControllerRevision[] = [];
  const old: ControllerRevision[] = [];
  for (const rev of revisions) (revisionDataMatches(ds, rev.data) ? current : old).push(rev);
  old.sort((a, b) => a.revision - b.revision);
  const currRevision = old.reduce((max, r) => Math.max(max, r.revision), 0) + 1;

  if (current.length === 0) {
    const createRevision = newRevision(ds, currRevision);
    return {
      current: revisionRef(createRevision),
      createRevision,
      updateRevisions: [],
      labelRevisions,
      relabelPods: [],
      deleteDuplicates: [],
      old,
    };
  }
  const { keep, relabel, deletes } = dedup(current, claimedPods);
  const ref = revisionRef(keep);
  // Rollback: an old template is current again and moves to the top of the history.
  const raise = keep.revision < currRevision;
  return {
    current: raise ? { ...ref, revision: currRevision } : ref,
    createRevision: null,
    updateRevisions: raise ? [{ name: ref.name, revision: currRevision }] : [],
    labelRevisions,
    relabelPods: relabel,
    deleteDuplicates: deletes,
    old,
  };
}

/**
 * cleanupHistory (§8.6): names of old revisions to delete, lowest `revision` first, until at most
 * revisionHistoryLimit (default 10) remain, never one whose hash is on a claimed pod (terminal
 * pods being deleted included) nor the stable revision (`keep`). More than the limit can remain
 * when live pods or the stable revision protect them.
 */
export function cleanupHistory(
  ds: DaemonSet,
  old: readonly ControllerRevision[],
  claimedPodsInclTerminal: readonly Pod[],
  /** The stable revision's name: never deleted (a held rollout pins nodes to it). */
  keep?: string,
): string[] {
  const limit = ds.spec?.revisionHistoryLimit ?? 10;
  let toKill = old.length - limit;
  if (toKill <= 0) return [];
  const live = new Set<string>();
  for (const pod of claimedPodsInclTerminal) {
    const hash = pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
    if (hash !== undefined) live.add(hash);
  }
  const out: string[] = [];
  for (const rev of [...old].sort((a, b) => a.revision - b.revision)) {
    if (toKill <= 0) break;
    if (live.has(revisionHash(rev)) || rev.metadata?.name === keep) continue;
    out.push(rev.metadata?.name ?? '');
    toKill--;
  }
  return out;
}

/** What the executor does after creating the current revision failed with AlreadyExists (§8.4). */
export type CollisionDecision = 'use-existing' | 'stale-count-retry' | { readonly bumpTo: number };

/**
 * The pure half of the collision path (§8.4): `existing` is the revision holding the name, `liveDs`
 * the DaemonSet read live. Its own revision (cache lag) is used as it is; a collisionCount that
 * changed since `ds` was read means retry without bumping (nil and 0 differ, as upstream's deep
 * equality has it); otherwise the count goes to (live count or 0) + 1, written with UpdateStatus,
 * and the sync fails with the AlreadyExists error.
 */
export function collisionDecision(
  ds: DaemonSet,
  existing: ControllerRevision,
  liveDs: DaemonSet,
): CollisionDecision {
  if (revisionDataMatches(ds, existing.data)) return 'use-existing';
  const used = ds.status?.collisionCount ?? undefined;
  const live = liveDs.status?.collisionCount ?? undefined;
  if (used !== live) return 'stale-count-retry';
  return { bumpTo: (live ?? 0) + 1 };
}
