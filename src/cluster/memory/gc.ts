/**
 * The garbage collector of the memory cluster (kube-controller-manager's, reduced to what the
 * DaemonSet controller can observe). It reacts to committed changes and works in a microtask
 * after the write that caused it, so a delete returns before its dependents go:
 * - an owner removed (Background): dependents whose other owners are gone too are deleted
 *   (pods gracefully), the others lose the reference to it;
 * - an owner with the `orphan` finalizer: the references to it are removed from its dependents,
 *   then the finalizer;
 * - an owner with `foregroundDeletion`: its dependents are deleted, and the finalizer goes when
 *   none with blockOwnerDeletion is left;
 * - a dependent created or updated with an owner that does not exist (by uid) is treated as if
 *   that owner had just been removed. Owner kinds the memory cluster does not store are assumed
 *   to exist.
 */
import { ClusterError, type KubeObject, type ResourceKind } from '../port.js';
import { deleteObject, FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from './deletion.js';
import type { ChangeRecord } from './history.js';
import type { Registry } from './registry.js';
import { KINDS, type ObjectRef, type StoreListener } from './store.js';

type OwnerReference = NonNullable<NonNullable<KubeObject['metadata']>['ownerReferences']>[number];

type Work =
  | { readonly type: 'ownerGone'; readonly uid: string; readonly only?: ObjectRef }
  | { readonly type: 'orphan' | 'foreground'; readonly uid: string };

const STORED_KINDS = new Set<string>(KINDS);

function sameRef(a: ObjectRef, b: ObjectRef): boolean {
  return a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;
}

/** The garbage collector; see the file comment. */
export class GarbageCollector implements StoreListener {
  private queue: Work[] = [];
  private head = 0;
  private scheduled = false;

  constructor(
    private readonly reg: Registry,
    private readonly checkDanglingOwners: boolean,
  ) {}

  /** True while work is queued. */
  get busy(): boolean {
    return this.scheduled;
  }

  changed(kind: ResourceKind, rec: ChangeRecord): void {
    const meta = rec.object.metadata ?? {};
    const uid = meta.uid ?? '';
    if (rec.type === 'DELETED') {
      if (this.reg.store.dependentsOf(uid).length > 0) this.enqueue({ type: 'ownerGone', uid });
      // A removed dependent may be what a foreground deletion of its owner waits for.
      for (const o of meta.ownerReferences ?? []) this.recheckForeground(o.uid);
      return;
    }
    if (meta.deletionTimestamp !== undefined) {
      const f = meta.finalizers ?? [];
      if (f.includes(ORPHAN_FINALIZER)) this.enqueue({ type: 'orphan', uid });
      if (f.includes(FOREGROUND_FINALIZER)) this.enqueue({ type: 'foreground', uid });
    }
    const refs = meta.ownerReferences ?? [];
    if (rec.prev?.metadata?.ownerReferences !== refs) {
      for (const o of rec.prev?.metadata?.ownerReferences ?? []) this.recheckForeground(o.uid);
      if (this.checkDanglingOwners) {
        for (const o of refs) {
          if (this.ownerExists(o)) continue;
          const self: ObjectRef = { kind, namespace: meta.namespace ?? '', name: meta.name ?? '' };
          this.enqueue({ type: 'ownerGone', uid: o.uid, only: self });
        }
      }
    }
  }

  private recheckForeground(ownerUid: string): void {
    if (this.hasFinalizer(ownerUid, FOREGROUND_FINALIZER))
      this.enqueue({ type: 'foreground', uid: ownerUid });
  }

  private enqueue(w: Work): void {
    this.queue.push(w);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.drain();
      });
    }
  }

  private drain(): void {
    // Work done here queues more work (cascades); all of it runs in this one microtask.
    try {
      this.drainQueue();
    } finally {
      this.queue = [];
      this.head = 0;
      this.scheduled = false;
    }
  }

  private drainQueue(): void {
    while (this.head < this.queue.length) {
      const w = this.queue[this.head++]!;
      try {
        if (w.type === 'ownerGone') this.ownerGone(w.uid, w.only);
        else if (w.type === 'orphan') this.orphan(w.uid);
        else this.foreground(w.uid);
      } catch (err) {
        // The object changed under us (gone, conflict): the change that did it queued new work.
        if (!(err instanceof ClusterError)) throw err;
      }
    }
  }

  private ownerExists(o: OwnerReference): boolean {
    if (!STORED_KINDS.has(o.kind)) return true;
    const hit = this.reg.store.getByUid(o.uid);
    // The stored object's own kind: a CRD DaemonSet is stored as EverynodeDaemonSet, kind DaemonSet.
    return hit !== undefined && (hit.obj.kind ?? hit.ref.kind) === o.kind;
  }

  private dependents(uid: string, only?: ObjectRef): { ref: ObjectRef; obj: KubeObject }[] {
    const refs = this.reg.store
      .dependentsOf(uid)
      .filter((r) => only === undefined || sameRef(r, only));
    const out: { ref: ObjectRef; obj: KubeObject }[] = [];
    for (const ref of refs) {
      const obj = this.reg.store.get(ref.kind, ref.namespace, ref.name);
      if (obj !== undefined) out.push({ ref, obj });
    }
    return out;
  }

  private dropReference(ref: ObjectRef, obj: KubeObject, uid: string): void {
    const refs = (obj.metadata?.ownerReferences ?? []).filter((o) => o.uid !== uid);
    this.reg.writeMeta(ref.kind, obj, { ownerReferences: refs.length > 0 ? refs : undefined });
  }

  private ownerGone(uid: string, only?: ObjectRef): void {
    if (only === undefined && this.reg.store.getByUid(uid) !== undefined) return;
    for (const { ref, obj } of this.dependents(uid, only)) {
      if (obj.metadata?.deletionTimestamp !== undefined) continue;
      const others = (obj.metadata?.ownerReferences ?? []).filter((o) => o.uid !== uid);
      if (others.some((o) => this.ownerExists(o))) this.dropReference(ref, obj, uid);
      else
        deleteObject(this.reg, ref.kind, ref.namespace, ref.name, {
          propagationPolicy: 'Background',
        });
    }
  }

  private removeFinalizer(uid: string, finalizer: string): void {
    const hit = this.reg.store.getByUid(uid);
    if (hit === undefined) return;
    const finalizers = (hit.obj.metadata?.finalizers ?? []).filter((f) => f !== finalizer);
    this.reg.writeMeta(hit.ref.kind, hit.obj, {
      finalizers: finalizers.length > 0 ? finalizers : undefined,
    });
  }

  private hasFinalizer(uid: string, finalizer: string): boolean {
    const hit = this.reg.store.getByUid(uid);
    return (
      hit?.obj.metadata?.deletionTimestamp !== undefined &&
      (hit.obj.metadata.finalizers ?? []).includes(finalizer)
    );
  }

  private orphan(uid: string): void {
    if (!this.hasFinalizer(uid, ORPHAN_FINALIZER)) return;
    for (const { ref, obj } of this.dependents(uid)) this.dropReference(ref, obj, uid);
    this.removeFinalizer(uid, ORPHAN_FINALIZER);
  }

  private foreground(uid: string): void {
    if (!this.hasFinalizer(uid, FOREGROUND_FINALIZER)) return;
    for (const { ref, obj } of this.dependents(uid)) {
      if (obj.metadata?.deletionTimestamp === undefined) {
        deleteObject(this.reg, ref.kind, ref.namespace, ref.name, {
          propagationPolicy: 'Background',
        });
      }
    }
    const blocking = this.dependents(uid).some(({ obj }) =>
      (obj.metadata?.ownerReferences ?? []).some(
        (o) => o.uid === uid && o.blockOwnerDeletion === true,
      ),
    );
    if (!blocking) this.removeFinalizer(uid, FOREGROUND_FINALIZER);
  }
}
