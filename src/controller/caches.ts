/**
 * The controller's four informers and their indexes, and the wiring of the §3 handlers to them.
 * Pods are trimmed before caching; DaemonSets and revisions are indexed by namespace, pods by
 * target node, controller UID and (orphans) namespace, revisions also by controller UID.
 */
import type { ControllerRevision, DaemonSet, Node, Pod } from '../api/types.js';
import type { Cluster, ResourceKind } from '../cluster/port.js';
import type { Clock } from '../clock/clock.js';
import type { EventHandlers } from './handlers.js';
import {
  Informer,
  INDEX_CONTROLLER_UID,
  INDEX_NAMESPACE,
  INDEX_NODE,
  INDEX_ORPHAN_NAMESPACE,
  orphansByNamespace,
  byControllerUID,
  byNamespace,
  podByNode,
  trimPod,
  type ReflectorBackoff,
} from './informer.js';
import type { Logger } from './logger.js';
import type { ReadonlyStore } from './store.js';

/** Read-only views of the caches. */
export interface Caches {
  readonly daemonSets: ReadonlyStore<DaemonSet>;
  readonly pods: ReadonlyStore<Pod>;
  readonly nodes: ReadonlyStore<Node>;
  readonly revisions: ReadonlyStore<ControllerRevision>;
}

/** The informers of one controller. */
export interface ControllerInformers {
  readonly daemonSets: Informer<DaemonSet>;
  readonly pods: Informer<Pod>;
  readonly nodes: Informer<Node>;
  readonly revisions: Informer<ControllerRevision>;
}

/** What the informers are built from. */
export interface InformerSetOptions {
  readonly cluster: Cluster;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly dsKind: ResourceKind;
  readonly namespace?: string | undefined;
  readonly random?: (() => number) | undefined;
  readonly reflectorBackoff?: ReflectorBackoff | undefined;
  readonly watchTimeoutMs?: number | undefined;
}

/**
 * How the controller's pod cache is indexed and logged; exported so that tests which write a
 * cache directly (the incremental sync's) build exactly the one the controller runs.
 */
export const POD_CACHE = {
  // No namespace index: a sync reads its pods by controller UID plus its namespace's orphans and
  // nothing in the controller lists a namespace's pods, so one would be upkeep on every pod create
  // and delete with no reader.
  indexers: {
    [INDEX_NODE]: podByNode,
    [INDEX_CONTROLLER_UID]: byControllerUID,
    [INDEX_ORPHAN_NAMESPACE]: orphansByNamespace,
  },
  // The incremental sync reads the writes to one DaemonSet's pods since its last sync; it needs
  // neither a log of every pod write nor pod ordinals (nodes keep both).
  store: { logIndex: INDEX_CONTROLLER_UID, log: false, ordinals: false },
} as const;

/** How the controller's ControllerRevision cache is indexed (see POD_CACHE). */
export const REVISION_CACHE = {
  indexers: { [INDEX_NAMESPACE]: byNamespace, [INDEX_CONTROLLER_UID]: byControllerUID },
} as const;

/** Builds the four informers (not started). Nodes are always watched cluster-wide. */
export function makeInformers(o: InformerSetOptions): ControllerInformers {
  const common = {
    cluster: o.cluster,
    clock: o.clock,
    logger: o.logger,
    ...(o.random === undefined ? {} : { random: o.random }),
    ...(o.reflectorBackoff === undefined ? {} : { backoff: o.reflectorBackoff }),
    ...(o.watchTimeoutMs === undefined ? {} : { watchTimeoutMs: o.watchTimeoutMs }),
  };
  const ns = o.namespace === undefined || o.namespace === '' ? {} : { namespace: o.namespace };
  return {
    daemonSets: new Informer<DaemonSet>({
      ...common,
      ...ns,
      kind: o.dsKind,
      indexers: { [INDEX_NAMESPACE]: byNamespace },
    }),
    pods: new Informer<Pod>({
      ...common,
      ...ns,
      kind: 'Pod',
      transform: trimPod,
      ...POD_CACHE,
    }),
    nodes: new Informer<Node>({ ...common, kind: 'Node' }),
    revisions: new Informer<ControllerRevision>({
      ...common,
      ...ns,
      kind: 'ControllerRevision',
      ...REVISION_CACHE,
    }),
  };
}

/** The informers as a list, nodes first (so eligibility sees nodes before DaemonSets sync). */
export function allInformers(i: ControllerInformers): Informer<never>[] {
  return [i.nodes, i.daemonSets, i.pods, i.revisions] as unknown as Informer<never>[];
}

/** The read-only stores of the informers. */
export function cachesOf(i: ControllerInformers): Caches {
  return {
    daemonSets: i.daemonSets.store,
    pods: i.pods.store,
    nodes: i.nodes.store,
    revisions: i.revisions.store,
  };
}

/** Connects the §3 handlers; node deletes have no handler (the pod GC's deletes enqueue). */
export function wireHandlers(i: ControllerInformers, h: EventHandlers): void {
  i.daemonSets.addEventHandler({
    onAdd: (o) => {
      h.addDaemonSet(o);
    },
    onUpdate: (a, b) => {
      h.updateDaemonSet(a, b);
    },
    onDelete: (o) => {
      h.deleteDaemonSet(o);
    },
  });
  i.pods.addEventHandler({
    onAdd: (o) => {
      h.addPod(o);
    },
    onUpdate: (a, b) => {
      h.updatePod(a, b);
    },
    onDelete: (o) => {
      h.deletePod(o);
    },
  });
  i.nodes.addEventHandler({
    onAdd: (o) => {
      h.addNode(o);
    },
    onUpdate: (a, b) => {
      h.updateNode(a, b);
    },
  });
  i.revisions.addEventHandler({
    onAdd: (o) => {
      h.addRevision(o);
    },
    onUpdate: (a, b) => {
      h.updateRevision(a, b);
    },
    onDelete: (o) => {
      h.deleteRevision(o);
    },
  });
}
