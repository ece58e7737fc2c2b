/**
 * The kube adapter of the Cluster port: kube-apiserver through @kubernetes/client-node's
 * KubeConfig (authentication) and a raw JSON transport (wire form kept as sent: JSON.parse's
 * output is used as it is, with no copy, since it holds no Dates and no undefined), with client-side
 * rate limiting (qps 20 / burst 30 by default, like client-go) and user agent everynode/0.1.0.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { goMarshal } from '../../api/gojson.js';
import {
  InvalidError,
  type Cluster,
  type DeleteOptions,
  type KubeObject,
  type ListOptions,
  type ObjectList,
  type Patch,
  type ResourceKind,
  type Watch,
  type WatchEvent,
  type WatchOptions,
} from '../port.js';
import { decodeList } from './decode.js';
import { Transport, type TransportOptions } from './http.js';
import { pathOf, resourceOf } from './resources.js';
import { startWatch } from './watch.js';

/** Options of the kube adapter. */
export interface KubeClusterOptions extends TransportOptions {
  /** A loaded KubeConfig; default: loadFromDefault() (KUBECONFIG, ~/.kube/config, in-cluster). */
  readonly kubeConfig?: KubeConfig;
  /** Server-side watch timeout range in seconds (client-go: 5 to 10 minutes). */
  readonly watchTimeoutSeconds?: readonly [number, number];
}

const patchTypes = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
} as const;

function ns(obj: KubeObject): string {
  return obj.metadata?.namespace ?? '';
}

/** Rejects objects without the name the REST path needs, the way the server would. */
function nameOf(kind: ResourceKind, obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name)
    throw new InvalidError(
      `${kind} is invalid: metadata.name: Required value: name is required`,
      [],
    );
  return name;
}

/**
 * The request body of a create or update. A ControllerRevision's `data` is stored by
 * kube-apiserver as the raw bytes found in the request (a RawExtension), and
 * kube-controller-manager recognises its current revision by comparing those bytes with Go's
 * encoding of the template; so that body is written as Go writes it (goMarshal) and sent as it
 * is. Every other body is plain JSON.stringify.
 */
function bodyOf(kind: ResourceKind, body: KubeObject): { body?: unknown; rawBody?: string } {
  return kind === 'ControllerRevision' ? { rawBody: goMarshal(body) } : { body };
}

/** A Cluster backed by kube-apiserver; objects in and out are plain wire-format JSON. */
export class KubeCluster implements Cluster {
  private readonly transport: Transport;
  private readonly watchTimeout: readonly [number, number];

  constructor(opts: KubeClusterOptions = {}) {
    let kc = opts.kubeConfig;
    if (!kc) {
      kc = new KubeConfig();
      kc.loadFromDefault();
    }
    this.transport = new Transport(kc, opts);
    this.watchTimeout = opts.watchTimeoutSeconds ?? [300, 600];
  }

  async list<T extends KubeObject>(
    kind: ResourceKind,
    opts: ListOptions = {},
  ): Promise<ObjectList<T>> {
    const info = resourceOf(kind);
    const path = pathOf(info, opts.namespace);
    const body = await this.transport.json<unknown>({
      method: 'GET',
      path,
      query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector },
    });
    // Shape-checked; list items come without apiVersion and kind, and get them back.
    return decodeList<T>(body, `GET ${path}`, info.apiVersion, info.kind);
  }

  watch<T extends KubeObject>(
    kind: ResourceKind,
    opts: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<Watch> {
    const info = resourceOf(kind);
    const [lo, hi] = this.watchTimeout;
    return startWatch<T>(
      this.transport,
      {
        method: 'GET',
        path: pathOf(info, opts.namespace),
        query: {
          watch: 1,
          resourceVersion: opts.resourceVersion,
          allowWatchBookmarks: opts.allowBookmarks ? true : undefined,
          labelSelector: opts.labelSelector,
          fieldSelector: opts.fieldSelector,
          timeoutSeconds: Math.round(lo + Math.random() * (hi - lo)),
        },
      },
      onEvent,
    );
  }

  async get<T extends KubeObject>(kind: ResourceKind, namespace: string, name: string): Promise<T> {
    const info = resourceOf(kind);
    return this.transport.json<T>({ method: 'GET', path: pathOf(info, namespace, name) });
  }

  async create<T extends KubeObject>(kind: ResourceKind, obj: T): Promise<T> {
    const info = resourceOf(kind);
    const body = { apiVersion: info.apiVersion, kind: info.kind, ...obj };
    return this.transport.json<T>({
      method: 'POST',
      path: pathOf(info, ns(obj)),
      ...bodyOf(kind, body),
    });
  }

  async update<T extends KubeObject>(kind: ResourceKind, obj: T): Promise<T> {
    const info = resourceOf(kind);
    const body = { apiVersion: info.apiVersion, kind: info.kind, ...obj };
    const path = pathOf(info, ns(obj), nameOf(kind, obj));
    return this.transport.json<T>({ method: 'PUT', path, ...bodyOf(kind, body) });
  }

  async updateStatus<T extends KubeObject>(kind: ResourceKind, obj: T): Promise<T> {
    const info = resourceOf(kind);
    const body = { apiVersion: info.apiVersion, kind: info.kind, ...obj };
    const path = pathOf(info, ns(obj), nameOf(kind, obj), 'status');
    return this.transport.json<T>({ method: 'PUT', path, body });
  }

  async patch<T extends KubeObject>(
    kind: ResourceKind,
    namespace: string,
    name: string,
    patch: Patch,
  ): Promise<T> {
    const info = resourceOf(kind);
    return this.transport.json<T>({
      method: 'PATCH',
      path: pathOf(info, namespace, name),
      ...(patch.dryRun === true && { query: { dryRun: 'All' } }),
      body: patch.type === 'json' ? patch.ops : patch.body,
      contentType: patchTypes[patch.type],
    });
  }

  async delete(
    kind: ResourceKind,
    namespace: string,
    name: string,
    opts: DeleteOptions = {},
  ): Promise<void> {
    const info = resourceOf(kind);
    const preconditions =
      opts.uid !== undefined || opts.resourceVersion !== undefined
        ? { uid: opts.uid, resourceVersion: opts.resourceVersion }
        : undefined;
    await this.transport.json({
      method: 'DELETE',
      path: pathOf(info, namespace, name),
      body: {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: opts.gracePeriodSeconds,
        propagationPolicy: opts.propagationPolicy,
        preconditions,
      },
    });
  }

  /** Releases idle connections; open watches keep running until stopped. */
  close(): void {
    this.transport.close();
  }
}
