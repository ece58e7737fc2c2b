/**
 * `everynode plan ds/NAME -n NS [--context X] [--kubeconfig F] [-f new.yaml]`: the plan's input
 * read from the API server instead of files: the nodes, the namespace's pods and revisions, and
 * the DaemonSet (or, with -f, the DaemonSet as the API server would store that file over the
 * live one: generation and template generation bumped as an update would). Read-only: only get
 * and list requests, each with a timeout.
 */
import { createHash } from 'node:crypto';
import {
  admitDaemonSetCreate,
  admitDaemonSetUpdate,
  admitStoredDaemonSet,
  isEverynodeResource,
} from '../api/dsstrategy.js';
import type { ControllerRevision, DaemonSet, Node, Pod } from '../api/types.js';
import { KubeCluster } from '../cluster/kube/index.js';
import { NotFoundError, type Cluster, type ResourceKind } from '../cluster/port.js';
import type { Snapshot } from '../engine/types.js';
import { UsageError } from './errors.js';
import { contextNamespace, describeApiError, loadKubeConfig, serverOf } from './kubeconfig.js';
import { displayName, expectKind, loadObjects, type LoadOptions } from './load.js';
import type { PlanInput } from './planinput.js';
import { checkShapes, invalidObjectError } from './shape.js';

/** Where a live plan reads from. */
export interface LiveOptions {
  /** `ds/NAME` (apps/v1), `ends/NAME` (everynode's CRD), or `NAME` (apps/v1, else the CRD). */
  readonly target: string;
  readonly namespace?: string | undefined;
  readonly context?: string | undefined;
  readonly kubeconfig?: string | undefined;
  /** The changed DaemonSet to plan (as `kubectl apply -f` would store it); default: the live one. */
  readonly filename?: string | undefined;
  /** Timeout of each request; default 30 s. */
  readonly requestTimeoutMs?: number;
}

const NATIVE = new Set(['ds', 'daemonset', 'daemonsets', 'daemonset.apps', 'daemonsets.apps']);
// `eds` was the CRD's short name before `ends` (DataDog's ExtendedDaemonSet has it): still read.
const CRD = new Set([
  'ends',
  'eds',
  'daemonset.apps.everynode.dev',
  'daemonsets.apps.everynode.dev',
]);

/** The kinds to look the name up as, in order, and the name. */
export function parseTarget(arg: string): { kinds: ResourceKind[]; name: string } {
  const i = arg.indexOf('/');
  if (i < 0) return { kinds: ['DaemonSet', 'EverynodeDaemonSet'], name: arg };
  const type = arg.slice(0, i).toLowerCase();
  const name = arg.slice(i + 1);
  if (name === '') throw new UsageError(`plan: no name in "${arg}"; expected ds/NAME or ends/NAME`);
  if (NATIVE.has(type)) return { kinds: ['DaemonSet'], name };
  if (CRD.has(type)) return { kinds: ['EverynodeDaemonSet'], name };
  throw new UsageError(
    `plan: "${arg.slice(0, i)}" is not a DaemonSet type; expected ds/NAME (apps/v1) or ends/NAME (everynode's CRD)`,
  );
}

async function fileDaemonSet(path: string, stdin: LoadOptions['stdin']): Promise<DaemonSet> {
  const loaded = await loadObjects(path, { stdin });
  const list = expectKind<DaemonSet>(loaded, ['DaemonSet'], displayName(path));
  checkShapes(loaded);
  if (list.length !== 1)
    throw new UsageError(
      `${displayName(path)}: ${list.length} DaemonSets in the file; plan takes one`,
    );
  return list[0]!;
}

/** The DaemonSet as stored after applying `file` over `live` (or creating it when there is none). */
function applied(
  file: DaemonSet,
  live: DaemonSet | undefined,
  ns: string,
  where: string,
  notes: string[],
): DaemonSet {
  const name = file.metadata?.name ?? '';
  const input: DaemonSet = {
    ...file,
    metadata: {
      ...file.metadata,
      namespace: ns,
      ...(live === undefined
        ? { uid: stableUid(ns, name) }
        : {
            uid: live.metadata?.uid,
            generation: live.metadata?.generation,
            resourceVersion: live.metadata?.resourceVersion,
            creationTimestamp: live.metadata?.creationTimestamp,
            annotations: { ...live.metadata?.annotations, ...file.metadata?.annotations },
          }),
    },
  };
  if (live === undefined)
    notes.push(
      `DaemonSet ${ns}/${name} is not in the cluster: planned as if created from ${where}`,
    );
  const admitted =
    live === undefined ? admitDaemonSetCreate(input) : admitDaemonSetUpdate(input, live);
  if (admitted.errors.length > 0)
    throw invalidObjectError(where, 'DaemonSet', name, admitted.errors);
  return admitted.ds;
}

/**
 * The live DaemonSet as the controller plans it: apps/v1 as stored (kube-apiserver defaulted
 * it); the CRD with the pod-template defaults kube-apiserver does not apply to a custom resource
 * (controller/admission.ts does the same), or its revision hash would not be the controller's.
 * One the controller refuses is refused here too (exit 2, as a file would be).
 */
function plannable(live: DaemonSet, where: string): DaemonSet {
  if (!isEverynodeResource(live)) return live;
  const admitted = admitStoredDaemonSet(live);
  if (admitted.errors.length > 0)
    throw invalidObjectError(where, 'DaemonSet', live.metadata?.name ?? '', admitted.errors);
  return admitted.ds;
}

function stableUid(namespace: string, name: string): string {
  const h = createHash('sha1').update(`everynode-plan/${namespace}/${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

async function getLive(
  cluster: Cluster,
  kinds: readonly ResourceKind[],
  ns: string,
  name: string,
): Promise<DaemonSet | undefined> {
  for (const kind of kinds) {
    try {
      return await cluster.get<DaemonSet>(kind, ns, name);
    } catch (err) {
      // A missing object, or (for the CRD) a missing resource type: try the next kind.
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  return undefined;
}

/** Reads the plan's input from the cluster; errors name the server (exit 1) or the file (exit 2). */
export async function loadLiveInput(
  opts: LiveOptions,
  now: number,
  stdin?: LoadOptions['stdin'],
): Promise<PlanInput> {
  const { kinds, name } = parseTarget(opts.target);
  const kc = loadKubeConfig({ kubeconfig: opts.kubeconfig, context: opts.context });
  const ns = opts.namespace ?? contextNamespace(kc);
  const server = serverOf(kc);
  const cluster = new KubeCluster({ kubeConfig: kc, timeoutMs: opts.requestTimeoutMs ?? 30_000 });
  const file = opts.filename === undefined ? undefined : await fileDaemonSet(opts.filename, stdin);
  if (file !== undefined && file.metadata?.name !== name)
    throw new UsageError(
      `${displayName(opts.filename!)}: the DaemonSet is "${file.metadata?.name ?? ''}", not "${name}"`,
    );
  if (file?.metadata?.namespace && file.metadata.namespace !== ns)
    throw new UsageError(
      `${displayName(opts.filename!)}: the DaemonSet is in namespace ${file.metadata.namespace}, not ${ns} (-n)`,
    );
  let what = 'daemonsets';
  try {
    const live = await getLive(cluster, kinds, ns, name);
    if (live === undefined && file === undefined) {
      const types =
        kinds.length > 1
          ? 'daemonsets.apps or daemonsets.apps.everynode.dev'
          : kinds[0] === 'DaemonSet'
            ? 'daemonsets.apps'
            : 'daemonsets.apps.everynode.dev';
      throw new UsageError(
        `Error from server (NotFound): ${types} "${name}" not found in namespace ${ns}`,
        1,
      );
    }
    what = 'nodes';
    const nodes = (await cluster.list<Node>('Node')).items;
    what = 'pods';
    const pods = (await cluster.list<Pod>('Pod', { namespace: ns })).items;
    what = 'controllerrevisions.apps';
    const revisions = (
      await cluster.list<ControllerRevision>('ControllerRevision', { namespace: ns })
    ).items;
    const notes: string[] = [];
    const ds =
      file === undefined
        ? plannable(live!, `${opts.target} (live)`)
        : applied(file, live, ns, displayName(opts.filename!), notes);
    const snapshot: Snapshot = { ds, nodes, pods, revisions, now, backoff: new Map() };
    return { snapshot, notes };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(describeApiError(err, server, what), 1);
  } finally {
    cluster.close();
  }
}
