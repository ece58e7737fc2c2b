/**
 * The Cluster port: the only way any layer reaches a cluster. Two adapters implement it:
 * memory/ (the embedded cluster) and kube/ (@kubernetes/client-node against kube-apiserver).
 * Objects crossing the port are plain wire-format JSON (times as RFC 3339 strings).
 */
import type { FieldError } from '../api/validation.js';

/** The kinds the controller reads and writes. */
export type ResourceKind =
  | 'Node'
  | 'Pod'
  | 'DaemonSet'
  /** everynode's own CRD (apps.everynode.dev/v1alpha1, kind DaemonSet): apps/v1's spec and rules. */
  | 'EverynodeDaemonSet'
  | 'ControllerRevision'
  | 'Event'
  | 'Lease';

/** Any Kubernetes object in wire form. */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly generateName?: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly resourceVersion?: string;
    readonly generation?: number;
    readonly creationTimestamp?: string;
    readonly deletionTimestamp?: string;
    readonly deletionGracePeriodSeconds?: number;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly ownerReferences?: readonly {
      readonly apiVersion: string;
      readonly kind: string;
      readonly name: string;
      readonly uid: string;
      readonly controller?: boolean;
      readonly blockOwnerDeletion?: boolean;
    }[];
    readonly finalizers?: readonly string[];
  };
}

/** List options: namespace ('' or absent = all), label selector string, field selector string. */
export interface ListOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  /** Supported fields: metadata.name, metadata.namespace, spec.nodeName (pods). */
  readonly fieldSelector?: string;
}

/** A list result with the collection resourceVersion to watch from. */
export interface ObjectList<T extends KubeObject> {
  readonly items: readonly T[];
  readonly resourceVersion: string;
}

/** Watch options: list options plus the resourceVersion to start after, and bookmarks. */
export interface WatchOptions extends ListOptions {
  readonly resourceVersion: string;
  readonly allowBookmarks?: boolean;
}

/** One watch event. BOOKMARK carries only metadata.resourceVersion. */
export type WatchEvent<T extends KubeObject> =
  | { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: T }
  | { readonly type: 'BOOKMARK'; readonly resourceVersion: string };

/**
 * A running watch. Events are delivered in order to the handler given at start; `done` settles
 * when the watch ends: resolves on stop(), rejects with GoneError when the start version is too
 * old (relist), or with another ClusterError when the connection fails.
 */
export interface Watch {
  stop(): void;
  readonly done: Promise<void>;
}

/** Delete options. */
export interface DeleteOptions {
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  /** Precondition: fail with Conflict unless the object has this uid. */
  readonly uid?: string;
  readonly resourceVersion?: string;
}

/** A JSON patch (RFC 6902) operation. */
export interface JsonPatchOp {
  readonly op: 'add' | 'remove' | 'replace' | 'test' | 'move' | 'copy';
  readonly path: string;
  readonly value?: unknown;
  readonly from?: string;
}

/**
 * A patch: merge (RFC 7386), strategic merge (treated as merge where a map is enough), or JSON
 * patch. With dryRun the server validates and admits it and answers with the result, but stores
 * nothing (the API's dryRun=All; kubectl's --dry-run=server).
 */
export type Patch = (
  | { readonly type: 'merge'; readonly body: Readonly<Record<string, unknown>> }
  | { readonly type: 'strategic'; readonly body: Readonly<Record<string, unknown>> }
  | { readonly type: 'json'; readonly ops: readonly JsonPatchOp[] }
) & { readonly dryRun?: boolean };

/** The port. Every method rejects only with ClusterError subclasses. */
export interface Cluster {
  list<T extends KubeObject>(kind: ResourceKind, opts?: ListOptions): Promise<ObjectList<T>>;
  watch<T extends KubeObject>(
    kind: ResourceKind,
    opts: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<Watch>;
  get<T extends KubeObject>(kind: ResourceKind, namespace: string, name: string): Promise<T>;
  create<T extends KubeObject>(kind: ResourceKind, obj: T): Promise<T>;
  /** Full update; a metadata.resourceVersion that is not current gets ConflictError. */
  update<T extends KubeObject>(kind: ResourceKind, obj: T): Promise<T>;
  /** Writes only status (the status subresource); spec and metadata changes are ignored. */
  updateStatus<T extends KubeObject>(kind: ResourceKind, obj: T): Promise<T>;
  patch<T extends KubeObject>(
    kind: ResourceKind,
    namespace: string,
    name: string,
    patch: Patch,
  ): Promise<T>;
  delete(kind: ResourceKind, namespace: string, name: string, opts?: DeleteOptions): Promise<void>;
}

/** The base of every error the port raises. */
export class ClusterError extends Error {
  override name = 'ClusterError';
  constructor(
    message: string,
    readonly code: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
/** 404. */
export class NotFoundError extends ClusterError {
  override name = 'NotFoundError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 404, options);
  }
}
/** 409 on a stale resourceVersion or a failed precondition. */
export class ConflictError extends ClusterError {
  override name = 'ConflictError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 409, options);
  }
}
/** 409 on create of a name that exists. */
export class AlreadyExistsError extends ClusterError {
  override name = 'AlreadyExistsError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 409, options);
  }
}
/** 422 with field causes. */
export class InvalidError extends ClusterError {
  override name = 'InvalidError';
  constructor(
    message: string,
    readonly causes: readonly FieldError[],
    options?: { cause?: unknown },
  ) {
    super(message, 422, options);
  }
}
/** 410: the watch or list version is too old; relist. */
export class GoneError extends ClusterError {
  override name = 'GoneError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 410, options);
  }
}
/** An error that retrying cannot fix (forbidden, a namespace being terminated, bad request). */
export class TerminalError extends ClusterError {
  override name = 'TerminalError';
  constructor(
    message: string,
    code: number,
    readonly reason?: string,
    options?: { cause?: unknown },
  ) {
    super(message, code, options);
  }
}
/** The server could not be reached or answered 5xx/429; retry with backoff. */
export class UnavailableError extends ClusterError {
  override name = 'UnavailableError';
  constructor(message: string, code = 503, options?: { cause?: unknown }) {
    super(message, code, options);
  }
}
