/**
 * The generic registry of the memory cluster (kube's genericregistry.Store): create, update,
 * status update and patch with system metadata, optimistic concurrency, defaulting and
 * validation through the per-kind strategies, and removal of objects whose deletion is complete.
 * Nothing here counts calls or injects faults: the cluster facade does that.
 */
import { formatTime } from '../../api/types.js';
import { fieldError, type FieldError } from '../../api/validation.js';
import type { Clock } from '../../clock/clock.js';
import { TerminalError, type KubeObject, type Patch, type ResourceKind } from '../port.js';
import { daemonSetStrategy, everynodeDaemonSetStrategy } from './daemonset.js';
import {
  alreadyExists,
  invalid,
  invalidField,
  notFound,
  preconditionConflict,
  staleConflict,
} from './errors.js';
import { copyJson, generatedName, randomUid } from './names.js';
import { applyPatch } from './patch.js';
import { podStrategy } from './pod.js';
import { NAMESPACED, type ObjectStore } from './store.js';
import { deepEqual, smallKindStrategy, type KindStrategy, type Mut } from './strategy.js';

const STRATEGIES: Readonly<Record<ResourceKind, KindStrategy>> = {
  DaemonSet: daemonSetStrategy,
  EverynodeDaemonSet: everynodeDaemonSetStrategy,
  Pod: podStrategy,
  Node: smallKindStrategy('Node'),
  ControllerRevision: smallKindStrategy('ControllerRevision'),
  Event: smallKindStrategy('Event'),
  Lease: smallKindStrategy('Lease'),
};

/** The kind written in objects, where it differs from the port's name for the kind. */
const WIRE_KIND: Readonly<Partial<Record<ResourceKind, string>>> = {
  EverynodeDaemonSet: 'DaemonSet',
};

function wireKind(kind: ResourceKind): string {
  return WIRE_KIND[kind] ?? kind;
}

/** Metadata only the API server sets; dropped from a create's input. */
const SYSTEM_META = [
  'uid',
  'resourceVersion',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'generation',
] as const;

/** kube retries a generated name that collides this many times before AlreadyExists. */
const GENERATE_NAME_ATTEMPTS = 8;

function isObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** True when a deleted object has nothing left holding it: no finalizers, no grace period. */
export function deletionComplete(obj: KubeObject | Mut): boolean {
  const meta = (obj.metadata ?? {}) as NonNullable<KubeObject['metadata']>;
  return (
    meta.deletionTimestamp !== undefined &&
    (meta.finalizers ?? []).length === 0 &&
    (meta.deletionGracePeriodSeconds ?? 0) === 0
  );
}

/** The registry; see the file comment. */
export class Registry {
  constructor(
    readonly store: ObjectStore,
    readonly clock: Clock,
    private readonly random: () => number,
  ) {}

  /** The strategy of a kind. */
  strategy(kind: ResourceKind): KindStrategy {
    return STRATEGIES[kind];
  }

  private lastSecond = NaN;
  private lastStamp = '';

  /** The current time as kube writes timestamps (second precision, so the text is cached). */
  now(offsetMs = 0): string {
    const second = Math.floor((this.clock.now() + offsetMs) / 1000);
    if (second !== this.lastSecond) {
      this.lastSecond = second;
      this.lastStamp = formatTime(second * 1000);
    }
    return this.lastStamp;
  }

  /** The stored object, or NotFound. */
  mustGet(kind: ResourceKind, namespace: string, name: string): KubeObject {
    const obj = this.store.get(kind, namespace, name);
    if (obj === undefined) throw notFound(this.strategy(kind), name);
    return obj;
  }

  private checkKind(kind: ResourceKind, obj: Mut): void {
    if (obj.kind !== undefined && obj.kind !== wireKind(kind)) {
      throw new TerminalError(
        `the object's kind ${JSON.stringify(obj.kind)} does not match ${wireKind(kind)}`,
        400,
        'BadRequest',
      );
    }
  }

  /** Creates an object (generateName, uid, creationTimestamp, defaults, validation). */
  create(kind: ResourceKind, input: KubeObject): KubeObject {
    const st = this.strategy(kind);
    if (!isObject(input))
      throw new TerminalError('the body of the request is not an object', 400, 'BadRequest');
    let obj = copyJson(input) as Mut;
    this.checkKind(kind, obj);
    // copyJson made metadata a fresh object of ours: the system fields are dropped from it in
    // place (a delete only when present, the rare case) instead of copying it once more.
    const copied = obj.metadata as unknown;
    const meta: Record<string, unknown> =
      copied !== null && typeof copied === 'object' && !Array.isArray(copied)
        ? (copied as Record<string, unknown>)
        : { ...(copied ?? {}) };
    for (const k of SYSTEM_META) if (Object.hasOwn(meta, k)) Reflect.deleteProperty(meta, k);
    const ns = NAMESPACED[kind] ? ((meta.namespace as string | undefined) ?? '') : '';
    if (NAMESPACED[kind] && ns === '') {
      throw invalidField(
        st,
        (meta.name as string | undefined) ?? '',
        'Required',
        'metadata.namespace',
        '',
        '',
      );
    }
    if (!NAMESPACED[kind]) delete meta.namespace;
    meta.name = this.pickName(kind, ns, meta);
    // apiVersion and kind first, as kube serialises them.
    obj = { apiVersion: st.apiVersion, kind: wireKind(kind), ...obj, metadata: meta };
    obj = st.prepareForCreate(obj);
    const m = obj.metadata;
    // The strategy keeps (or replaces with one of its own) the metadata built here: set in place.
    if (m !== undefined && !Object.isFrozen(m)) {
      m.uid = randomUid(this.random);
      m.creationTimestamp = this.now();
    } else obj.metadata = { ...m, uid: randomUid(this.random), creationTimestamp: this.now() };
    const errs = st.validateCreate(obj);
    if (errs.length > 0) throw invalid(st, meta.name as string, errs);
    return this.store.create(kind, obj);
  }

  private pickName(kind: ResourceKind, ns: string, meta: Record<string, unknown>): string {
    const st = this.strategy(kind);
    const name = (meta.name as string | undefined) ?? '';
    const base = (meta.generateName as string | undefined) ?? '';
    if (name !== '') {
      if (this.store.get(kind, ns, name) !== undefined) throw alreadyExists(st, name);
      return name;
    }
    if (base === '') {
      throw invalidField(
        st,
        '',
        'Required',
        'metadata.name',
        '',
        'name or generateName is required',
      );
    }
    let candidate = '';
    for (let i = 0; i < GENERATE_NAME_ATTEMPTS; i++) {
      candidate = generatedName(base, this.random);
      if (this.store.get(kind, ns, candidate) === undefined) return candidate;
    }
    throw alreadyExists(st, candidate);
  }

  /** Full update of the main resource, or of the status subresource when `status` is set. */
  update(kind: ResourceKind, input: KubeObject, status = false, dryRun = false): KubeObject {
    const st = this.strategy(kind);
    if (!isObject(input))
      throw new TerminalError('the body of the request is not an object', 400, 'BadRequest');
    const name = input.metadata?.name ?? '';
    const ns = NAMESPACED[kind] ? (input.metadata?.namespace ?? '') : '';
    const existing = this.store.get(kind, ns, name);
    if (existing === undefined && st.allowCreateOnUpdate && !status)
      return this.create(kind, input);
    const prev = existing ?? this.mustGet(kind, ns, name);
    const pm = prev.metadata ?? {};
    const rv = input.metadata?.resourceVersion ?? '';
    if (rv !== '' && rv !== pm.resourceVersion) throw staleConflict(st, name);
    if (rv === '' && !st.allowUnconditionalUpdate) {
      const detail = 'must be specified for an update';
      throw invalidField(st, name, 'Invalid', 'metadata.resourceVersion', 0, detail);
    }
    const uid = input.metadata?.uid ?? '';
    if (uid !== '' && uid !== pm.uid)
      throw preconditionConflict(st, name, 'UID', uid, pm.uid ?? '');
    if (status && !st.hasStatus) throw notFound(st, name);
    let next: Mut;
    if (status) {
      // The status subresource: spec and metadata stay as stored (ResetObjectMetaForStatus).
      const s = (input as { status?: unknown }).status;
      next = { ...(prev as Mut), metadata: { ...pm } };
      if (s === undefined) delete next.status;
      else next.status = copyJson(s, (prev as { status?: unknown }).status);
      const errs = st.validateStatusUpdate(next, prev);
      if (errs.length > 0) throw invalid(st, name, errs);
    } else {
      next = copyJson(input, prev) as Mut;
      this.checkKind(kind, next);
      next.apiVersion ??= prev.apiVersion;
      next.kind ??= prev.kind;
      next.metadata = {
        ...next.metadata,
        name,
        uid: pm.uid,
        creationTimestamp: pm.creationTimestamp,
        deletionTimestamp: pm.deletionTimestamp,
        deletionGracePeriodSeconds: pm.deletionGracePeriodSeconds,
        generation: pm.generation,
      };
      if (NAMESPACED[kind]) next.metadata.namespace = ns;
      else delete next.metadata.namespace;
      next = st.prepareForUpdate(next, prev);
      const errs = [...this.finalizerErrors(next, prev), ...st.validateUpdate(next, prev)];
      if (errs.length > 0) throw invalid(st, name, errs);
    }
    // A dry run (dryRun=All) answers with what would be stored, at the stored resourceVersion.
    if (dryRun)
      return { ...next, metadata: { ...next.metadata, resourceVersion: pm.resourceVersion } };
    return this.commitUpdate(kind, next, prev);
  }

  private finalizerErrors(next: Mut, prev: KubeObject): FieldError[] {
    if (prev.metadata?.deletionTimestamp === undefined) return [];
    const before = new Set(prev.metadata.finalizers ?? []);
    const added = ((next.metadata?.finalizers as string[] | undefined) ?? []).filter(
      (f) => !before.has(f),
    );
    if (added.length === 0) return [];
    const detail = 'no new finalizers can be added if the object is being deleted';
    return [fieldError('Forbidden', 'metadata.finalizers', added, detail)];
  }

  /**
   * Stores next in place of prev: no change is no write (same resourceVersion, no event), and an
   * object whose deletion is complete is removed instead.
   */
  commitUpdate(kind: ResourceKind, next: Mut, prev: KubeObject): KubeObject {
    // Compared with the stored version's resourceVersion, so only a real change counts as one.
    if (next.metadata !== undefined && !Object.isFrozen(next.metadata))
      next.metadata.resourceVersion = prev.metadata?.resourceVersion;
    else next.metadata = { ...next.metadata, resourceVersion: prev.metadata?.resourceVersion };
    if (deepEqual(next, prev)) return prev;
    if (deletionComplete(next)) return this.store.remove(kind, prev, next);
    return this.store.update(kind, next, prev);
  }

  /** Changes only metadata of a stored object, with no validation (deletion, garbage collection). */
  writeMeta(kind: ResourceKind, prev: KubeObject, changes: Record<string, unknown>): KubeObject {
    const next = { ...(prev as Mut), metadata: { ...prev.metadata, ...changes } };
    const m = next.metadata as Record<string, unknown>;
    for (const [k, v] of Object.entries(changes)) if (v === undefined) Reflect.deleteProperty(m, k);
    return this.commitUpdate(kind, next, prev);
  }

  /** Applies a patch to the main resource and stores the result as an update. */
  patch(kind: ResourceKind, namespace: string, name: string, patch: Patch): KubeObject {
    const st = this.strategy(kind);
    const prev = this.mustGet(kind, NAMESPACED[kind] ? namespace : '', name);
    const patched = applyPatch(prev, patch);
    if (!isObject(patched)) {
      throw invalidField(st, name, 'Invalid', '', patched, 'the patched object is not an object');
    }
    const meta = (patched as Mut).metadata ?? {};
    if (meta.name !== name || (NAMESPACED[kind] && meta.namespace !== namespace)) {
      throw invalidField(st, name, 'Invalid', 'metadata.name', meta.name, 'field is immutable');
    }
    return this.update(kind, patched as KubeObject, false, patch.dryRun === true);
  }
}
