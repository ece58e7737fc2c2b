/**
 * Shared pieces of the Cluster conformance suite: the target type with its capability flags,
 * object fixtures valid on a real kube-apiserver, polling, and a watch recorder.
 */
import assert from 'node:assert/strict';
import type { DaemonSet, Lease, Node, Pod } from '../../src/api/types.js';
import {
  ClusterError,
  type Cluster,
  type KubeObject,
  type ResourceKind,
  type Watch,
  type WatchEvent,
  type WatchOptions,
} from '../../src/cluster/port.js';

/** What an adapter can do beyond the port; absent flags skip the tests that need them. */
export interface ConformanceCapabilities {
  /** Makes every version up to now too old to watch from (memory: compact; kube: etcd compaction). */
  readonly expireWatchHistory?: () => Promise<void>;
  /** Makes a bookmark due on watches that allow them (memory: move the clock). */
  readonly triggerBookmark?: () => Promise<void>;
  /** A garbage collector runs (kube-controller-manager, or the memory cluster's own). */
  readonly garbageCollection?: boolean;
  /** How long to wait for asynchronous effects (watch events, garbage collection). Default 10 s. */
  readonly timeoutMs?: number;
}

/** One cluster to test: a port, a namespace of its own, and how to clean up after. */
export interface ConformanceTarget {
  readonly cluster: Cluster;
  readonly namespace: string;
  cleanup(): Promise<void>;
  readonly capabilities?: ConformanceCapabilities;
}

/** Makes a fresh target for one test. */
export type MakeCluster = () => Promise<ConformanceTarget>;

/** Runs body against a fresh target and always cleans up. */
export async function withTarget(
  make: MakeCluster,
  body: (t: ConformanceTarget) => Promise<void>,
): Promise<void> {
  const t = await make();
  try {
    await body(t);
  } finally {
    await t.cleanup();
  }
}

/** Polls until check returns a value other than undefined (or throws the last failure). */
export async function eventually<R>(
  t: ConformanceTarget,
  check: () => Promise<R | undefined>,
  what: string,
): Promise<R> {
  const deadline = Date.now() + (t.capabilities?.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const r = await check();
      if (r !== undefined) return r;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out waiting for ${what}${why}`, {
        cause: last,
      });
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Asserts that a promise rejects with an instance of cls, and returns the error. */
export async function rejectsWith<E extends ClusterError>(
  p: Promise<unknown>,
  cls: new (...a: never[]) => E,
): Promise<E> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${cls.name}, but the call succeeded`);
}

/**
 * Runs a read-modify-write until it is not refused with Conflict (a few tries), as clients do for
 * objects that others write too: on a real cluster kube-controller-manager annotates and taints
 * every new Node (ttl, node-lifecycle) right after it is created.
 */
export async function retryOnConflict<R>(write: () => Promise<R>): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (!(err instanceof ClusterError && err.code === 409) || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

/** True when get says NotFound. */
export async function isGone(
  c: Cluster,
  kind: ResourceKind,
  ns: string,
  name: string,
): Promise<boolean> {
  try {
    await c.get(kind, ns, name);
    return false;
  } catch (err) {
    if (err instanceof ClusterError && err.code === 404) return true;
    throw err;
  }
}

const IMAGE = 'registry.k8s.io/pause:3.9';

/**
 * A scheduler name no scheduler serves: on a real cluster kube-scheduler would otherwise bind
 * the suite's unbound pods (and kwok then run them), changing what the tests wrote. Adapters
 * without a scheduler ignore it.
 */
export const UNSCHEDULED = 'everynode-conformance-unscheduled';

/** A Lease: the simplest namespaced kind with optimistic concurrency. */
export function lease(ns: string, name: string, holder = 'a'): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: ns },
    spec: { holderIdentity: holder, leaseDurationSeconds: 15 },
  };
}

/** A pod, bound to nodeName when given (kube accepts nodeName on create, node or not). */
export function pod(
  ns: string,
  name: string,
  opts: { nodeName?: string; labels?: Record<string, string> } = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: opts.labels ?? { app: 'conf' } },
    spec: {
      containers: [{ name: 'c', image: IMAGE }],
      schedulerName: UNSCHEDULED,
      ...(opts.nodeName !== undefined ? { nodeName: opts.nodeName } : {}),
    },
  };
}

/** A valid apps/v1 DaemonSet selecting app=<name>. */
export function daemonSet(ns: string, name: string): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: ns },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: IMAGE }] },
      },
    },
  };
}

/** A node; cluster-scoped, so tests name it after their namespace and delete it themselves. */
export function node(name: string, labels: Record<string, string> = {}): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels } };
}

/** A pod owned by a DaemonSet, as the controller creates it (unbound, so deletion is immediate). */
export function ownedPod(ds: DaemonSet, name: string): Pod {
  const base = pod(ds.metadata!.namespace!, name, { labels: { app: ds.metadata!.name! } });
  return {
    ...base,
    metadata: {
      ...base.metadata,
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          name: ds.metadata!.name!,
          uid: ds.metadata!.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
  };
}

/** The resourceVersion of an object as a number (etcd's are; the memory cluster's too). */
export function rvOf(obj: KubeObject): number {
  return Number(obj.metadata?.resourceVersion);
}

/** A running watch that records what it sees. */
export interface Recorder<T extends KubeObject> {
  readonly events: WatchEvent<T>[];
  readonly watch: Watch;
  /** Waits until some recorded event satisfies pred and returns it. */
  waitFor(pred: (e: WatchEvent<T>) => boolean, what: string): Promise<WatchEvent<T>>;
  /** The recorded ADDED/MODIFIED/DELETED events as "TYPE name". */
  summary(): string[];
}

/** Starts a watch that records its events. */
export async function record<T extends KubeObject>(
  t: ConformanceTarget,
  kind: ResourceKind,
  opts: WatchOptions,
): Promise<Recorder<T>> {
  const events: WatchEvent<T>[] = [];
  const watch = await t.cluster.watch<T>(kind, opts, (e) => events.push(e));
  return {
    events,
    watch,
    waitFor: (pred, what) => eventually(t, () => Promise.resolve(events.find(pred)), what),
    summary: () =>
      events.flatMap((e) =>
        e.type === 'BOOKMARK' ? [] : [`${e.type} ${e.object.metadata?.name ?? ''}`],
      ),
  };
}

/** True for an event about the named object. */
export function about(type: string, name: string): (e: WatchEvent<KubeObject>) => boolean {
  return (e) => e.type === type && e.type !== 'BOOKMARK' && e.object.metadata?.name === name;
}
