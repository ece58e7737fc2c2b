/**
 * Helpers of the rollout-control scenario tests (rollout-control*.test.ts): a controller on the
 * embedded cluster with a scheduler and kubelet stand-in, DaemonSet edits, and what to look at.
 */
import { getCondition } from '../../src/api/conditions.js';
import type { ControllerRevision, DaemonSet, Event, Mutable } from '../../src/api/types.js';
import type { ResourceKind } from '../../src/cluster/port.js';
import {
  bindAll,
  dsFoo,
  harness,
  kubeletStep,
  node,
  type Harness,
} from '../../src/controller/testing.js';
import assert from 'node:assert/strict';

export const CRD = 'apps.everynode.dev/v1alpha1';

export interface World {
  readonly h: Harness;
  readonly kind: ResourceKind;
}

export async function start(
  kind: ResourceKind,
  nodes: number,
  over: (ds: Mutable<DaemonSet>) => void = () => {},
): Promise<World> {
  const h = harness({ workers: 1, dsKind: kind });
  for (let i = 1; i <= nodes; i++) await h.cluster.create('Node', node(`n${i}`));
  const ds = structuredClone(dsFoo('foo')) as Mutable<DaemonSet>;
  if (kind === 'EverynodeDaemonSet') ds.apiVersion = CRD;
  over(ds);
  await h.cluster.create(kind, ds);
  await h.controller.start();
  await run({ h, kind });
  return { h, kind };
}

/** Lets the controller act, the scheduler bind and the kubelet ready pods, a few times. */
export async function run(w: World, rounds = 4, kubelet = true): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await w.h.settle();
    await bindAll(w.h.cluster);
    if (kubelet) await kubeletStep(w.h.cluster, w.h.clock);
    await w.h.advance(1000);
  }
  await w.h.settle();
}

/** Runs until the pods stop changing (at most `max` rounds). */
export async function converge(w: World, max = 40): Promise<void> {
  let before = '';
  for (let i = 0; i < max; i++) {
    await run(w, 1);
    const now = await podsByNode(w);
    const key = JSON.stringify([...now.entries()]);
    if (key === before) return;
    before = key;
  }
}

export async function get(w: World): Promise<DaemonSet> {
  return w.h.cluster.get<DaemonSet>(w.kind, 'default', 'foo');
}

export async function change(w: World, edit: (ds: Mutable<DaemonSet>) => void): Promise<void> {
  const ds = structuredClone(await get(w)) as Mutable<DaemonSet>;
  edit(ds);
  await w.h.cluster.update(w.kind, ds);
  await w.h.settle();
}

export function annotate(ds: Mutable<DaemonSet>, key: string, value: string | undefined): void {
  const { [key]: _, ...rest } = ds.metadata!.annotations ?? {};
  ds.metadata!.annotations = value === undefined ? rest : { ...rest, [key]: value };
}

export function setImage(ds: Mutable<DaemonSet>, image: string): void {
  ds.spec!.template.spec!.containers[0]!.image = image;
}

/** Live pods by node: the revision hash of each. */
export async function podsByNode(w: World): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const p of await w.h.pods(true)) {
    const n = p.spec?.nodeName ?? '?';
    out.set(n, [...(out.get(n) ?? []), p.metadata?.labels?.['controller-revision-hash'] ?? '']);
  }
  return new Map([...out.entries()].sort());
}

export async function hashes(w: World): Promise<string[]> {
  return [...(await podsByNode(w)).values()].map((v) => v.join('+'));
}

export async function revisions(w: World): Promise<readonly ControllerRevision[]> {
  return (
    await w.h.cluster.list<ControllerRevision>('ControllerRevision', { namespace: 'default' })
  ).items;
}

/** The hash of the revision named in status (CRD) or of the newest revision. */
export async function hashOf(w: World, name: string): Promise<string> {
  const rev = (await revisions(w)).find((r) => r.metadata?.name === name);
  assert.ok(rev, `revision ${name}`);
  return rev.metadata!.labels!['controller-revision-hash']!;
}

export async function events(w: World, reason: string): Promise<Event[]> {
  return (await w.h.cluster.list<Event>('Event', { namespace: 'default' })).items.filter(
    (e) => e.reason === reason,
  );
}

export function cond(ds: DaemonSet, type: string): string {
  const c = getCondition(ds.status, type);
  return c === undefined ? '-' : `${c.status}/${c.reason ?? ''}`;
}
