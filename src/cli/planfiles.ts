/**
 * The input side of `everynode plan`: reads the DaemonSet, nodes, pods and revisions files,
 * refuses what kube-apiserver would refuse (wrong types, an invalid DaemonSet or Node, the same
 * object listed twice), and builds the engine's snapshot. Every error is a UsageError (exit 2)
 * naming the file, line and object.
 */
import { createHash } from 'node:crypto';
import { admitStoredDaemonSet } from '../api/dsstrategy.js';
import { rolloutSpecOf } from '../api/rolloutspec.js';
import { normalizeNode } from '../api/nodevalidation.js';
import type { ControllerRevision, DaemonSet, Mutable, Node, Pod } from '../api/types.js';
import type { Snapshot } from '../engine/types.js';
import { UsageError } from './errors.js';
import {
  displayName,
  expectKind,
  loadObjects,
  type LoadedObject,
  type LoadOptions,
} from './load.js';
import { fieldLine } from './fieldline.js';
import type { PlanInput } from './planinput.js';
import { checkShapes, invalidObjectError } from './shape.js';

/** The files `plan` reads. */
export interface PlanFiles {
  readonly filename: string;
  readonly nodes: string;
  readonly pods?: string | undefined;
  readonly revisions?: string | undefined;
}

interface Typed<T> {
  readonly object: T;
  readonly source: LoadedObject['source'];
}

async function load<T>(
  path: string | undefined,
  kind: string,
  stdin: LoadOptions['stdin'],
): Promise<Typed<T>[]> {
  if (path === undefined) return [];
  const loaded = await loadObjects(path, { stdin });
  const objs = expectKind<T>(loaded, [kind], displayName(path));
  checkShapes(loaded);
  return objs.map((object, i) => ({ object, source: loaded[i]!.source }));
}

/**
 * Refuses an object listed twice (the same namespace and name), as for nodes: planning with both
 * copies would propose deleting the live pod or the current revision as "a duplicate".
 */
function refuseDuplicates<T extends Pod | ControllerRevision | Node>(
  objs: readonly Typed<T>[],
  what: string,
): void {
  const seen = new Map<string, LoadedObject['source']>();
  for (const { object, source } of objs) {
    const ns = object.metadata?.namespace ?? '';
    const key = `${ns}/${object.metadata?.name ?? ''}`;
    const first = seen.get(key);
    if (first !== undefined) {
      const inNs = ns === '' ? '' : ` in namespace ${ns}`;
      throw new UsageError(
        `${source.file}:${source.line}: ${what} "${object.metadata?.name ?? ''}"${inNs} appears twice (first at line ${first.line})`,
      );
    }
    seen.set(key, source);
  }
}

/**
 * Loads and checks every file, defaults and validates the DaemonSet as the API server would, and
 * builds the engine's snapshot. Throws UsageError naming the file, line or field at fault.
 */
export async function loadPlanInput(
  opts: PlanFiles,
  now: number,
  stdin?: LoadOptions['stdin'],
): Promise<PlanInput> {
  const files = [opts.filename, opts.nodes, opts.pods, opts.revisions].filter((f) => f === '-');
  if (files.length > 1) throw new UsageError('only one of the files can be "-" (standard input)');
  const dsList = await load<DaemonSet>(opts.filename, 'DaemonSet', stdin);
  const file = displayName(opts.filename);
  if (dsList.length !== 1) {
    throw new UsageError(
      dsList.length === 0
        ? `${file}: no DaemonSet in the file`
        : `${file}: ${dsList.length} DaemonSets in the file; plan takes one (${dsList.map((d) => d.object.metadata?.name ?? '').join(', ')})`,
    );
  }
  const nodes = await load<Node>(opts.nodes, 'Node', stdin);
  const rawPods = await load<Pod>(opts.pods, 'Pod', stdin);
  const rawRevisions = await load<ControllerRevision>(opts.revisions, 'ControllerRevision', stdin);
  refuseDuplicates(nodes, 'Node');

  const notes: string[] = [];
  const owned = [...rawPods, ...rawRevisions].map((o) => o.object);
  const ds = await prepareDaemonSet(
    dsList[0]!.object,
    owned,
    opts.filename,
    dsList[0]!.source,
    notes,
  );
  const ns = ds.metadata?.namespace ?? 'default';
  const inNamespace = <T extends Pod | ControllerRevision>(objs: Typed<T>[], what: string) => {
    const named = objs.map((o) => ({ ...o, object: withNamespace(o.object, ns) }));
    const kept = named.filter((o) => o.object.metadata?.namespace === ns);
    if (kept.length < objs.length) {
      notes.push(`${objs.length - kept.length} ${what} outside namespace ${ns} ignored`);
    }
    return kept;
  };
  const pods = inNamespace(rawPods, 'pods');
  const revisions = inNamespace(rawRevisions, 'revisions');
  refuseDuplicates(pods, 'Pod');
  refuseDuplicates(revisions, 'ControllerRevision');
  const snapshot: Snapshot = {
    ds,
    nodes: nodes.map((n) => normalizeNode(n.object)),
    pods: pods.map((p) => p.object),
    revisions: revisions.map((r) => r.object),
    now,
    backoff: new Map(),
  };
  return { snapshot, notes };
}

/**
 * What the API server would have stored, for a DaemonSet read from a file: namespace, uid, then
 * the shared DaemonSet strategy (decode, defaults, generation and template generation when
 * absent, apps/v1 validation).
 */
async function prepareDaemonSet(
  raw: DaemonSet,
  owned: readonly (Pod | ControllerRevision)[],
  path: string,
  source: LoadedObject['source'],
  notes: string[],
): Promise<DaemonSet> {
  const ds = structuredClone(raw) as Mutable<DaemonSet>;
  const meta = (ds.metadata ??= {});
  if (!meta.namespace) meta.namespace = 'default';
  if (!meta.uid && typeof meta.name === 'string') {
    const fromOwner = ownerUidFor(meta.name, meta.namespace, owned);
    meta.uid = fromOwner ?? fakeUid(meta.namespace, meta.name);
    notes.push(
      fromOwner
        ? `DaemonSet has no metadata.uid; using ${meta.uid}, the uid its pods' and revisions' controller references name`
        : `DaemonSet has no metadata.uid; using the made-up uid ${meta.uid}, so pods owned by another uid are not claimed`,
    );
  }
  const admitted = admitStoredDaemonSet(ds);
  // The strategy annotation and the controls: a controller only reports a bad one (an Event and
  // the InvalidStrategy condition); plan refuses it like any invalid field (issue 11).
  const errors =
    admitted.errors.length > 0 ? admitted.errors : rolloutSpecOf(admitted.ds).annotationErrors;
  if (errors.length > 0) {
    // Named at the line of the first bad field (the object's first line when it cannot be found).
    const line = await fieldLine(path, source.line, errors[0]!.field);
    throw invalidObjectError(
      `${source.file}:${line}`,
      'DaemonSet',
      typeof meta.name === 'string' ? meta.name : '',
      errors,
    );
  }
  return admitted.ds;
}

function ownerUidFor(
  name: string,
  namespace: string,
  owned: readonly (Pod | ControllerRevision)[],
): string | undefined {
  for (const o of owned) {
    if ((o.metadata?.namespace ?? namespace) !== namespace) continue;
    const ref = o.metadata?.ownerReferences?.find((r) => r.controller === true);
    if (ref?.kind === 'DaemonSet' && ref.name === name && ref.uid) return ref.uid;
  }
  return undefined;
}

/** A stable, recognisable uid for a DaemonSet read without one (same name, same uid). */
function fakeUid(namespace: string, name: string): string {
  const h = createHash('sha1').update(`everynode-plan/${namespace}/${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function withNamespace<T extends Pod | ControllerRevision>(obj: T, ns: string): T {
  if (obj.metadata?.namespace) return obj;
  return { ...obj, metadata: { ...obj.metadata, namespace: ns } };
}
