/**
 * Deletion as kube-apiserver does it: preconditions, graceful deletion of bound pods (the object
 * stays with a deletionTimestamp until the kubelet deletes it again with grace 0), finalizers
 * that hold an object, and the orphan / foregroundDeletion finalizers that hand the rest to the
 * garbage collector.
 */
import { formatTime, parseTime } from '../../api/types.js';
import type { DeleteOptions, KubeObject, ResourceKind } from '../port.js';
import { preconditionConflict } from './errors.js';
import type { Registry } from './registry.js';

/** The finalizer the garbage collector removes after orphaning the dependents. */
export const ORPHAN_FINALIZER = 'orphan';
/** The finalizer the garbage collector removes once the blocking dependents are gone. */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

/** Default pod terminationGracePeriodSeconds. */
const DEFAULT_GRACE_SECONDS = 30;

interface PodLike {
  spec?: { nodeName?: string; terminationGracePeriodSeconds?: number };
  status?: { phase?: string };
}

/** The grace period a delete gets: only pods bound to a node and not yet terminal have one. */
export function gracePeriodFor(kind: ResourceKind, obj: KubeObject, opts: DeleteOptions): number {
  if (kind !== 'Pod') return 0;
  const pod = obj as PodLike;
  if (!pod.spec?.nodeName) return 0;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return 0;
  const g =
    opts.gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
  // kube turns a negative grace period into the shortest graceful one.
  return g < 0 ? 1 : g;
}

/**
 * Deletes an object. Returns its state afterwards: the stored object while something still holds
 * it (grace period, finalizers), otherwise the last state it was removed with.
 */
export function deleteObject(
  reg: Registry,
  kind: ResourceKind,
  namespace: string,
  name: string,
  opts: DeleteOptions = {},
): KubeObject {
  const prev = reg.mustGet(kind, namespace, name);
  const st = reg.strategy(kind);
  const meta = prev.metadata ?? {};
  if (opts.uid !== undefined && opts.uid !== '' && opts.uid !== meta.uid) {
    throw preconditionConflict(st, name, 'UID', opts.uid, meta.uid ?? '');
  }
  if (
    opts.resourceVersion !== undefined &&
    opts.resourceVersion !== '' &&
    opts.resourceVersion !== meta.resourceVersion
  ) {
    throw preconditionConflict(
      st,
      name,
      'ResourceVersion',
      opts.resourceVersion,
      meta.resourceVersion ?? '',
    );
  }
  const grace = gracePeriodFor(kind, prev, opts);
  if (meta.deletionTimestamp !== undefined) {
    // Already being deleted: a delete can only shorten the grace period (the kubelet's final 0).
    const current = meta.deletionGracePeriodSeconds ?? 0;
    if (grace >= current) return prev;
    const now = reg.clock.now() + grace * 1000;
    const deadline = Math.min(parseTime(meta.deletionTimestamp) ?? now, now);
    return reg.writeMeta(kind, prev, {
      deletionGracePeriodSeconds: grace,
      deletionTimestamp: formatTime(deadline),
    });
  }
  const finalizers = [...(meta.finalizers ?? [])];
  const policy = opts.propagationPolicy ?? 'Background';
  if (policy === 'Orphan' && !finalizers.includes(ORPHAN_FINALIZER))
    finalizers.push(ORPHAN_FINALIZER);
  if (policy === 'Foreground' && !finalizers.includes(FOREGROUND_FINALIZER))
    finalizers.push(FOREGROUND_FINALIZER);
  if (grace === 0 && finalizers.length === 0) return reg.store.remove(kind, prev);
  return reg.writeMeta(kind, prev, {
    deletionTimestamp: reg.now(grace * 1000),
    deletionGracePeriodSeconds: grace,
    finalizers: finalizers.length > 0 ? finalizers : undefined,
  });
}
