/**
 * Carries out a scenario's timeline actions against the simulated cluster, as the people and
 * machines around a cluster would: nodes join and leave, get labels and taints, go NotReady;
 * someone applies, patches or deletes a DaemonSet; a pod fails; the controller restarts.
 */
import type { DaemonSet, Node, Pod, Taint } from '../api/types.js';
import type { Mutable } from '../api/types.js';
import {
  ClusterError,
  InvalidError,
  NotFoundError,
  type Cluster,
  type KubeObject,
  type ResourceKind,
} from '../cluster/port.js';
import type { VirtualClock } from './clock.js';
import type { Journal } from './journal.js';
import type { Kubelets } from './kubelet.js';
import type { NodeLifecycle } from './lifecycle.js';
import { buildNode, describeNodes, resolveNodes } from './nodes.js';
import { ScenarioError } from './scenario/source.js';
import type { DsRef, NodeRef, NodeSpec, TimedAction } from './scenario/types.js';
import { keyOf, type World } from './world.js';

/** What actions need from the runner. */
export interface ActionContext {
  readonly cluster: Cluster;
  readonly clock: VirtualClock;
  readonly world: World;
  readonly journal: Journal;
  readonly kubelets: Kubelets;
  readonly lifecycle: NodeLifecycle;
  readonly restartController: (downForMs: number) => Promise<void>;
  /** The kind the scenario's DaemonSets are stored as (apps/v1 or everynode's CRD). */
  readonly dsKind: 'DaemonSet' | 'EverynodeDaemonSet';
}

const dsKey = (d: DsRef): string => `${d.namespace}/${d.name}`;

/** Creates nodes in bulk. */
export async function createNodes(
  ctx: Pick<ActionContext, 'cluster' | 'clock'>,
  specs: readonly NodeSpec[],
): Promise<void> {
  const now = ctx.clock.now();
  await Promise.all(specs.map((s) => ctx.cluster.create('Node', buildNode(s, now))));
}

/** Applies objects: create, or replace the spec when the object exists (like kubectl apply). */
export async function applyObjects(
  ctx: Pick<ActionContext, 'cluster' | 'journal' | 'dsKind'>,
  objects: readonly KubeObject[],
): Promise<void> {
  const done: { created: string[]; updated: string[] } = { created: [], updated: [] };
  for (const obj of objects) {
    // A DaemonSet is stored as the scenario's kind (the CRD's objects are kind DaemonSet too).
    const kind = (obj.kind === 'DaemonSet' ? ctx.dsKind : obj.kind) as ResourceKind;
    const ns = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    try {
      const existing = await ctx.cluster.get<KubeObject>(kind, ns, name);
      const next = {
        ...structuredClone(obj),
        metadata: { ...obj.metadata, resourceVersion: existing.metadata?.resourceVersion },
      };
      await ctx.cluster.update(kind, next);
      done.updated.push(`${obj.kind} ${keyOf(obj)}`);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      await ctx.cluster.create(kind, structuredClone(obj));
      done.created.push(`${obj.kind} ${keyOf(obj)}`);
    }
  }
  for (const [how, list] of Object.entries(done)) {
    const byKind = new Map<string, string[]>();
    for (const entry of list) {
      const [kind, key] = entry.split(' ') as [string, string];
      byKind.set(kind, [...(byKind.get(kind) ?? []), key]);
    }
    for (const [kind, keys] of byKind) {
      const what = keys.length === 1 ? kind : `${keys.length} ${kind}s:`;
      ctx.journal.add('scenario', `${how} ${what} ${keys.join(', ')}`);
    }
  }
}

function nodesFor(ctx: ActionContext, ref: NodeRef, a: TimedAction): Node[] {
  const { nodes, missing } = resolveNodes(ctx.world.nodes, ref);
  if (missing.length > 0)
    throw new ScenarioError(
      `no node named ${missing.map((m) => `"${m}"`).join(', ')} exists at this time`,
      { ...a.loc, path: `${a.loc.path}.nodes` },
    );
  if (nodes.length === 0)
    throw new ScenarioError('these nodes match no node at this time', {
      ...a.loc,
      path: `${a.loc.path}.nodes`,
    });
  return nodes;
}

async function updateNode(
  ctx: ActionContext,
  name: string,
  change: (n: Mutable<Node>) => void,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const n = structuredClone(await ctx.cluster.get<Node>('Node', '', name)) as Mutable<Node>;
    change(n);
    try {
      await ctx.cluster.update('Node', n);
      return;
    } catch (err) {
      if (attempt >= 3 || !(err instanceof ClusterError) || err.code !== 409) throw err;
    }
  }
}

/** Runs one action; a problem the scenario author must fix is a ScenarioError at the action. */
export async function runAction(ctx: ActionContext, a: TimedAction): Promise<void> {
  try {
    await runActionUnchecked(ctx, a);
  } catch (err) {
    if (err instanceof ScenarioError) throw err;
    // The API server refused (an invalid patch, a missing DaemonSet): that is part of the story.
    // A refused write changed nothing, so no pod is touched because of it.
    const msg = err instanceof Error ? err.message : String(err);
    const what =
      err instanceof InvalidError
        ? `${a.action} refused by the API server, nothing changed`
        : `${a.action} failed`;
    ctx.journal.add('warning', `${what}: ${msg}`);
  }
}

async function runActionUnchecked(ctx: ActionContext, a: TimedAction): Promise<void> {
  const j = ctx.journal;
  switch (a.action) {
    case 'addNodes': {
      await createNodes(ctx, a.nodes);
      const zones = [
        ...new Set(
          a.nodes
            .map((n) => n.labels['topology.kubernetes.io/zone'])
            .filter((z) => z !== undefined),
        ),
      ];
      j.add(
        'node',
        `${describeNodes(a.nodes.map((n) => n.name))} joined${zones.length > 0 ? ` (${zones.join(', ')})` : ''}`,
      );
      return;
    }
    case 'removeNodes': {
      const nodes = nodesFor(ctx, a.nodes, a);
      j.add('node', `${describeNodes(nodes.map((n) => n.metadata!.name!))} removed`);
      await Promise.all(nodes.map((n) => ctx.cluster.delete('Node', '', n.metadata!.name!)));
      return;
    }
    case 'label': {
      const nodes = nodesFor(ctx, a.nodes, a);
      await Promise.all(
        nodes.map((n) =>
          updateNode(ctx, n.metadata!.name!, (m) => {
            const labels = new Map(Object.entries(m.metadata!.labels ?? {}));
            for (const [k, v] of Object.entries(a.labels)) {
              if (v === null) labels.delete(k);
              else labels.set(k, v);
            }
            m.metadata!.labels = Object.fromEntries(labels);
          }),
        ),
      );
      const what = Object.entries(a.labels)
        .map(([k, v]) => (v === null ? `${k}-` : `${k}=${v}`))
        .join(' ');
      j.add('node', `${describeNodes(nodes.map((n) => n.metadata!.name!))} labelled ${what}`);
      return;
    }
    case 'taint':
    case 'untaint': {
      const nodes = nodesFor(ctx, a.nodes, a);
      const drop = (t: Taint, keys: readonly { key: string; effect?: string }[]) =>
        keys.some((k) => k.key === t.key && (k.effect === undefined || k.effect === t.effect));
      await Promise.all(
        nodes.map((n) =>
          updateNode(ctx, n.metadata!.name!, (m) => {
            const cur = (m.spec?.taints ?? []) as Taint[];
            const next =
              a.action === 'taint'
                ? [...cur.filter((t) => !drop(t, a.taints)), ...a.taints]
                : cur.filter((t) => !drop(t, a.taints));
            m.spec = { ...m.spec, taints: next };
          }),
        ),
      );
      const what = a.taints
        .map(
          (t) =>
            `${t.key}${'value' in t && t.value ? `=${t.value}` : ''}${t.effect ? `:${t.effect}` : ''}`,
        )
        .join(' ');
      j.add(
        'node',
        `${describeNodes(nodes.map((n) => n.metadata!.name!))} ${a.action === 'taint' ? 'tainted' : 'untainted'} ${what}`,
      );
      return;
    }
    case 'notReady':
    case 'unreachable':
    case 'ready': {
      const nodes = nodesFor(ctx, a.nodes, a);
      await Promise.all(nodes.map((n) => ctx.lifecycle.setHealth(n.metadata!.name!, a.action)));
      const state = {
        notReady: 'went NotReady',
        unreachable: 'became unreachable',
        ready: 'became Ready',
      }[a.action];
      j.add('node', `${describeNodes(nodes.map((n) => n.metadata!.name!))} ${state}`);
      return;
    }
    case 'apply':
      await applyObjects(ctx, a.objects);
      return;
    case 'patch':
      // A custom resource takes no strategic merge patch; a merge patch of maps is the same.
      await ctx.cluster.patch(ctx.dsKind, a.daemonSet.namespace, a.daemonSet.name, {
        type: ctx.dsKind === 'DaemonSet' ? 'strategic' : 'merge',
        body: a.patch,
      });
      j.add('scenario', `patched DaemonSet ${dsKey(a.daemonSet)}`, dsKey(a.daemonSet));
      return;
    case 'setImage': {
      const ds = structuredClone(
        await ctx.cluster.get<DaemonSet>(ctx.dsKind, a.daemonSet.namespace, a.daemonSet.name),
      ) as Mutable<DaemonSet>;
      const containers = ds.spec?.template?.spec?.containers ?? [];
      const targets =
        a.container === undefined
          ? containers.slice(0, 1)
          : containers.filter((c) => c.name === a.container);
      if (targets.length === 0)
        throw new ScenarioError(
          `DaemonSet ${dsKey(a.daemonSet)} has no container ${a.container === undefined ? 'at all' : `named "${a.container}"`}`,
          a.loc,
        );
      for (const c of targets) c.image = a.image;
      await ctx.cluster.update(ctx.dsKind, ds);
      j.add('scenario', `set image of ${dsKey(a.daemonSet)} to ${a.image}`, dsKey(a.daemonSet));
      return;
    }
    case 'delete':
      await ctx.cluster.delete(ctx.dsKind, a.daemonSet.namespace, a.daemonSet.name, {
        propagationPolicy: 'Background',
      });
      j.add('scenario', `deleted DaemonSet ${dsKey(a.daemonSet)}`, dsKey(a.daemonSet));
      return;
    case 'annotate': {
      await ctx.cluster.patch(ctx.dsKind, a.daemonSet.namespace, a.daemonSet.name, {
        type: 'merge',
        body: { metadata: { annotations: { ...a.annotations } } },
      });
      const what = Object.entries(a.annotations)
        .map(([k, v]) => (v === null ? `${k}-` : `${k}=${v}`))
        .join(' ');
      j.add('scenario', `annotated DaemonSet ${dsKey(a.daemonSet)} ${what}`, dsKey(a.daemonSet));
      return;
    }
    case 'failPod':
    case 'deletePod': {
      const ds = ctx.world.daemonSets.get(dsKey(a.daemonSet));
      if (ds === undefined)
        throw new ScenarioError(`no DaemonSet ${dsKey(a.daemonSet)} exists at this time`, {
          ...a.loc,
          path: `${a.loc.path}.daemonSet`,
        });
      const names = new Set(nodesFor(ctx, a.nodes, a).map((n) => n.metadata!.name!));
      const pods = ctx.world
        .podsOf(ds.metadata!.uid!)
        .filter((p: Pod) => names.has(p.spec?.nodeName ?? '') && !p.metadata?.deletionTimestamp);
      for (const p of pods) {
        if (a.action === 'failPod') ctx.kubelets.failPod(keyOf(p));
        else await ctx.cluster.delete('Pod', p.metadata!.namespace!, p.metadata!.name!);
      }
      j.add(
        'pod',
        `${a.action === 'failPod' ? 'failed' : 'deleted'} ${pods.length} pod${pods.length === 1 ? '' : 's'} of ${dsKey(a.daemonSet)} on ${describeNodes([...names])}`,
        dsKey(a.daemonSet),
      );
      return;
    }
    case 'restartController':
      await ctx.restartController(a.downForMs);
      return;
  }
}
