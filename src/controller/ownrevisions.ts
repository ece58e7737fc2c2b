/**
 * The ControllerRevisions this controller created, one per DaemonSet: what tells a real hash
 * collision (§8.4: another template's revision holds the name) from the controller's own revision
 * that the history does not recognise as current. The latter is no collision: bumping
 * collisionCount for it, as upstream would, creates a revision under the next name that is not
 * recognised either, and the bump's watch event syncs again at once, for ever (the fuzzer found
 * such a loop, issue 17). It happens only when the API server stores other data than was sent (a
 * mutating webhook on ControllerRevisions) or the match is wrong, so the sync stops there and
 * says so instead.
 */
import type { ControllerRevision, DaemonSet } from '../api/types.js';
import { InvalidDaemonSetError } from './admission.js';

/** The Event reason when the controller's own revision is not recognised as current. */
export const REVISION_NOT_RECOGNIZED = 'RevisionNotRecognized';

interface Created {
  /** The revision's name and the uid the API server gave it. */
  readonly name: string;
  readonly uid: string | undefined;
  /** The DaemonSet it was created for, and the spec generation it was created from. */
  readonly dsUid: string | undefined;
  readonly generation: number | undefined;
}

function keyOf(ds: DaemonSet): string {
  return `${ds.metadata?.namespace ?? ''}/${ds.metadata?.name ?? ''}`;
}

/** The last revision created per DaemonSet key (one entry per DaemonSet, dropped with it). */
export class OwnRevisions {
  private readonly byKey = new Map<string, Created>();

  /** Records the revision the API server returned for a create made for ds. */
  record(ds: DaemonSet, created: ControllerRevision | undefined): void {
    this.byKey.set(keyOf(ds), {
      name: created?.metadata?.name ?? '',
      uid: created?.metadata?.uid,
      dsUid: ds.metadata?.uid,
      generation: ds.metadata?.generation,
    });
  }

  /**
   * True when `existing` is the very object this controller created for this DaemonSet from the
   * spec it has now (same revision uid, same DaemonSet uid, same generation): a template change
   * raises the generation, so a revision of an earlier template is a real collision.
   */
  isOwn(ds: DaemonSet, existing: ControllerRevision): boolean {
    const c = this.byKey.get(keyOf(ds));
    return (
      c !== undefined &&
      c.uid !== undefined &&
      c.name === existing.metadata?.name &&
      c.uid === existing.metadata?.uid &&
      c.dsUid === ds.metadata?.uid &&
      c.generation === ds.metadata?.generation
    );
  }

  /** Drops what is kept for a DaemonSet key ("namespace/name"). */
  forget(key: string): void {
    this.byKey.delete(key);
  }
}

/** The error a sync fails with when its own revision is not recognised: not retried until the DaemonSet changes. */
export function revisionNotRecognized(ds: DaemonSet, name: string, cause: unknown): Error {
  return new InvalidDaemonSetError(
    `revision ${name}, created by this controller from the current template of ` +
      `${keyOf(ds)}, is not recognised as that template's revision (the API server stored ` +
      `other data than was sent, e.g. a mutating webhook on ControllerRevisions); no ` +
      `collisionCount bump and no retry until the DaemonSet changes`,
    { cause },
  );
}
