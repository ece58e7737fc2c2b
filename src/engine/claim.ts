/**
 * Claiming pods and ControllerRevisions for a DaemonSet (§5.1, §8.3 step 1), as upstream's
 * ControllerRefManager does, minus the I/O: the adopt and release patches are returned as
 * ClaimActions for the executor.
 */
import { getControllerOf } from '../api/pod.js';
import type { Selector } from '../api/labels.js';
import type { DaemonSet, ObjectMeta } from '../api/types.js';
import type { ClaimAction } from './types.js';

/** The objects a DaemonSet claims, and the ownerReference patches that claiming needs. */
export interface ClaimResult<T> {
  /** Owned and matching objects, plus orphans adopted by this claim, in input order. */
  readonly claimed: T[];
  readonly actions: ClaimAction[];
}

type Claimable = { readonly metadata?: ObjectMeta | undefined };

function claimAction(
  kind: ClaimAction['kind'],
  action: ClaimAction['action'],
  meta: ObjectMeta | undefined,
  namespace: string,
): ClaimAction {
  return {
    kind,
    action,
    namespace: meta?.namespace ?? namespace,
    name: meta?.name ?? '',
    uid: meta?.uid ?? '',
  };
}

/**
 * Claims objects for the DaemonSet: owned+match is claimed; owned+mismatch is released (unless
 * the DaemonSet is being deleted); an orphan that matches, is not being deleted and lives in the
 * DaemonSet's namespace is adopted (unless the DaemonSet is being deleted); anything else is
 * ignored. A nil or empty selector never adopts orphans.
 */
export function claimObjects<T extends Claimable>(
  ds: DaemonSet,
  selector: Selector,
  objects: readonly T[],
  kind: ClaimAction['kind'],
): ClaimResult<T> {
  const uid = ds.metadata?.uid ?? '';
  const namespace = ds.metadata?.namespace ?? '';
  const dsDeleting = Boolean(ds.metadata?.deletionTimestamp);
  const canAdopt = !dsDeleting && !selector.empty && !selector.nothing;
  const claimed: T[] = [];
  const actions: ClaimAction[] = [];
  for (const obj of objects) {
    const meta = obj.metadata;
    const ref = getControllerOf(obj);
    if (ref !== undefined) {
      if (ref.uid !== uid) continue;
      if (selector.matches(meta?.labels)) claimed.push(obj);
      else if (!dsDeleting) actions.push(claimAction(kind, 'release', meta, namespace));
      continue;
    }
    if (!canAdopt || meta?.deletionTimestamp || (meta?.namespace ?? '') !== namespace) continue;
    if (!selector.matches(meta?.labels)) continue;
    claimed.push(obj);
    actions.push(claimAction(kind, 'adopt', meta, namespace));
  }
  return { claimed, actions };
}
