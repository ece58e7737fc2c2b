/**
 * Issue 11's rollout control through the controller on the embedded cluster (both planning paths:
 * the test runner's verification compares the incremental plan with the full reconcile on every
 * sync): the stable revision, pause with pinning, partition, abort and retry, the progress
 * deadline, freeze and scale to zero, and the same through the strategy annotation on apps/v1.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getCondition } from '../../src/api/conditions.js';
import {
  ABORT_ANNOTATION,
  PAUSED_ANNOTATION,
  RETRY_ANNOTATION,
  ROLLOUT_STATE_ANNOTATION,
  STRATEGY_ANNOTATION,
} from '../../src/api/rolloutspec.js';
import type { ControllerRevision, DaemonSet, Event, Mutable, Pod } from '../../src/api/types.js';
import type { ResourceKind } from '../../src/cluster/port.js';
import {
  bindAll,
  dsFoo,
  harness,
  kubeletStep,
  node,
  type Harness,
} from '../../src/controller/testing.js';

const CRD = 'apps.everynode.dev/v1alpha1';

interface World {
  readonly h: Harness;
  readonly kind: ResourceKind;
}

async function start(
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
async function run(w: World, rounds = 4, kubelet = true): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await w.h.settle();
    await bindAll(w.h.cluster);
    if (kubelet) await kubeletStep(w.h.cluster, w.h.clock);
    await w.h.advance(1000);
  }
  await w.h.settle();
}

/** Runs until the pods stop changing (at most `max` rounds). */
async function converge(w: World, max = 40): Promise<void> {
  let before = '';
  for (let i = 0; i < max; i++) {
    await run(w, 1);
    const now = await podsByNode(w);
    const key = JSON.stringify([...now.entries()]);
    if (key === before) return;
    before = key;
  }
}

async function get(w: World): Promise<DaemonSet> {
  return w.h.cluster.get<DaemonSet>(w.kind, 'default', 'foo');
}

async function change(w: World, edit: (ds: Mutable<DaemonSet>) => void): Promise<void> {
  const ds = structuredClone(await get(w)) as Mutable<DaemonSet>;
  edit(ds);
  await w.h.cluster.update(w.kind, ds);
  await w.h.settle();
}

function annotate(ds: Mutable<DaemonSet>, key: string, value: string | undefined): void {
  const { [key]: _, ...rest } = ds.metadata!.annotations ?? {};
  ds.metadata!.annotations = value === undefined ? rest : { ...rest, [key]: value };
}

function setImage(ds: Mutable<DaemonSet>, image: string): void {
  ds.spec!.template.spec!.containers[0]!.image = image;
}

/** Live pods by node: the revision hash of each. */
async function podsByNode(w: World): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const p of await w.h.pods(true)) {
    const n = p.spec?.nodeName ?? '?';
    out.set(n, [...(out.get(n) ?? []), p.metadata?.labels?.['controller-revision-hash'] ?? '']);
  }
  return new Map([...out.entries()].sort());
}

async function hashes(w: World): Promise<string[]> {
  return [...(await podsByNode(w)).values()].map((v) => v.join('+'));
}

async function revisions(w: World): Promise<readonly ControllerRevision[]> {
  return (
    await w.h.cluster.list<ControllerRevision>('ControllerRevision', { namespace: 'default' })
  ).items;
}

/** The hash of the revision named in status (CRD) or of the newest revision. */
async function hashOf(w: World, name: string): Promise<string> {
  const rev = (await revisions(w)).find((r) => r.metadata?.name === name);
  assert.ok(rev, `revision ${name}`);
  return rev.metadata!.labels!['controller-revision-hash']!;
}

async function events(w: World, reason: string): Promise<Event[]> {
  return (await w.h.cluster.list<Event>('Event', { namespace: 'default' })).items.filter(
    (e) => e.reason === reason,
  );
}

function cond(ds: DaemonSet, type: string): string {
  const c = getCondition(ds.status, type);
  return c === undefined ? '-' : `${c.status}/${c.reason ?? ''}`;
}

test('CRD: the first revision becomes stable at convergence; Available and Progressing are set', async () => {
  const w = await start('EverynodeDaemonSet', 3);
  await converge(w);
  const ds = await get(w);
  assert.match(ds.status?.stableRevision ?? '', /^foo-/);
  assert.equal(ds.status?.stableRevision, ds.status?.updateRevision);
  assert.equal(ds.status?.rollout?.phase, 'Complete');
  assert.equal(cond(ds, 'Progressing'), 'True/RolloutComplete');
  assert.equal(cond(ds, 'Available'), 'True/MinimumPodsAvailable');
  assert.ok(getCondition(ds.status, 'Progressing')?.lastUpdateTime);
  // A node joining after completion changes nothing about the rollout's state.
  await w.h.cluster.create('Node', node('n4'));
  await run(w, 1, false);
  const after = await get(w);
  assert.equal(cond(after, 'Progressing'), 'True/RolloutComplete');
  assert.equal(after.status?.rollout?.phase, 'Complete');
  await w.h.controller.stop();
});

test('CRD: paused, a node that joins and a deleted pod get the stable revision; resume rolls out', async () => {
  const w = await start('EverynodeDaemonSet', 3);
  await converge(w);
  const stable = (await get(w)).status!.stableRevision!;
  const stableHash = await hashOf(w, stable);
  await change(w, (ds) => {
    ds.spec!.paused = true;
    setImage(ds, 'foo/bar:2');
  });
  await converge(w);
  let ds = await get(w);
  assert.equal(ds.status?.rollout?.phase, 'Paused');
  assert.equal(cond(ds, 'Progressing'), 'Unknown/RolloutPaused');
  assert.notEqual(ds.status?.updateRevision, stable);
  assert.deepEqual(await hashes(w), [stableHash, stableHash, stableHash]);
  // A new node and a replaced pod are pinned to the stable revision.
  await w.h.cluster.create('Node', node('n4'));
  const victim = (await w.h.pods(true)).find((p) => p.spec?.nodeName === 'n2')!;
  await w.h.cluster.delete('Pod', 'default', victim.metadata!.name!, { gracePeriodSeconds: 0 });
  await converge(w);
  assert.deepEqual(await hashes(w), [stableHash, stableHash, stableHash, stableHash]);
  const pinned = (await w.h.pods(true)).find((p) => p.spec?.nodeName === 'n4')!;
  assert.equal(pinned.metadata?.labels?.['pod-template-generation'], undefined);
  assert.equal(pinned.spec?.containers[0]?.image, 'foo/bar');
  // Resume: every node goes to the update revision, which becomes stable.
  await change(w, (d) => {
    d.spec!.paused = false;
  });
  await converge(w);
  ds = await get(w);
  const update = ds.status!.updateRevision!;
  const updateHash = await hashOf(w, update);
  assert.deepEqual(await hashes(w), [updateHash, updateHash, updateHash, updateHash]);
  assert.equal(ds.status?.stableRevision, update);
  assert.equal(cond(ds, 'Progressing'), 'True/RolloutComplete');
  await w.h.controller.stop();
});

test('CRD: a partition holds the last nodes (updated counted first); raising never rolls back', async () => {
  const w = await start('EverynodeDaemonSet', 5);
  await converge(w);
  const stableHash = await hashOf(w, (await get(w)).status!.stableRevision!);
  await change(w, (ds) => {
    ds.spec!.updateStrategy!.rollingUpdate!.partition = 2;
    setImage(ds, 'foo/bar:2');
  });
  await converge(w);
  let ds = await get(w);
  const updateHash = await hashOf(w, ds.status!.updateRevision!);
  assert.deepEqual(await hashes(w), [updateHash, updateHash, updateHash, stableHash, stableHash]);
  assert.equal(ds.status?.rollout?.phase, 'Partitioned');
  assert.equal(ds.status?.rollout?.partitioned, 2);
  assert.equal(cond(ds, 'Progressing'), 'True/PartitionRolledOut');
  // Raising the partition to 4 keeps the three updated nodes (nothing rolls back).
  await change(w, (d) => {
    d.spec!.updateStrategy!.rollingUpdate!.partition = '80%';
  });
  await converge(w);
  assert.deepEqual(await hashes(w), [updateHash, updateHash, updateHash, stableHash, stableHash]);
  // Lowering it to 0 rolls out the rest; the update revision becomes stable.
  await change(w, (d) => {
    d.spec!.updateStrategy!.rollingUpdate!.partition = 0;
  });
  await converge(w);
  ds = await get(w);
  assert.deepEqual(await hashes(w), Array(5).fill(updateHash));
  assert.equal(ds.status?.stableRevision, ds.status?.updateRevision);
  await w.h.controller.stop();
});

test('CRD: abort goes back to the stable revision at the maxUnavailable rate; retry rolls forward', async () => {
  const w = await start('EverynodeDaemonSet', 4);
  await converge(w);
  const stableHash = await hashOf(w, (await get(w)).status!.stableRevision!);
  await change(w, (ds) => {
    ds.spec!.updateStrategy!.rollingUpdate!.partition = 2;
    setImage(ds, 'foo/bar:2');
  });
  await converge(w);
  const updateHash = await hashOf(w, (await get(w)).status!.updateRevision!);
  assert.deepEqual(await hashes(w), [updateHash, updateHash, stableHash, stableHash]);
  // A stale value (another revision's hash) is harmless.
  await change(w, (ds) => {
    annotate(ds, ABORT_ANNOTATION, 'deadbeef/1');
  });
  await converge(w);
  assert.equal((await get(w)).status?.rollout?.phase, 'Partitioned');
  await change(w, (ds) => {
    annotate(ds, ABORT_ANNOTATION, `${updateHash}/1`);
  });
  let maxDown = 0;
  for (let i = 0; i < 30; i++) {
    await run(w, 1);
    const live = await w.h.pods(true);
    const ready = live.filter((p) =>
      p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    maxDown = Math.max(maxDown, 4 - ready.length);
  }
  let ds = await get(w);
  assert.deepEqual(await hashes(w), Array(4).fill(stableHash));
  assert.ok(maxDown <= 1, `at most maxUnavailable (1) nodes down while going back, saw ${maxDown}`);
  assert.equal(ds.status?.rollout?.phase, 'Aborted');
  assert.equal(cond(ds, 'Progressing'), 'False/RolloutAborted');
  assert.equal(ds.status?.rollout?.observedControls?.abort, `${updateHash}/1`);
  assert.equal(ds.status?.rollout?.failure?.reason, 'AbortRequested');
  assert.equal(
    ds.spec?.template.spec?.containers[0]?.image,
    'foo/bar:2',
    'the spec is never rewritten',
  );
  assert.equal((await events(w, 'RolloutAborted')).length, 1);
  // Retry: forward again to the partition.
  await change(w, (d) => {
    annotate(d, RETRY_ANNOTATION, `${updateHash}/1`);
  });
  await converge(w);
  ds = await get(w);
  assert.deepEqual(await hashes(w), [updateHash, updateHash, stableHash, stableHash]);
  assert.equal(ds.status?.rollout?.phase, 'Partitioned');
  assert.equal(ds.status?.rollout?.observedControls?.retry, `${updateHash}/1`);
  assert.equal((await events(w, 'RolloutRetried')).length, 1);
  await w.h.controller.stop();
});

test('CRD: the progress deadline passes without progress; with progressDeadlineAbort it goes back', async () => {
  const w = await start('EverynodeDaemonSet', 3, (ds) => {
    ds.spec!.progressDeadlineSeconds = 30;
  });
  await converge(w);
  const stableHash = await hashOf(w, (await get(w)).status!.stableRevision!);
  await change(w, (ds) => {
    setImage(ds, 'foo/bar:broken');
  });
  // The new pods never become Ready (no kubelet): no progress after the first replacement.
  await run(w, 10, false);
  let ds = await get(w);
  assert.equal(cond(ds, 'Progressing'), 'True/NewRevisionCreated');
  await w.h.advance(40_000, 5000);
  ds = await get(w);
  assert.equal(cond(ds, 'Progressing'), 'False/ProgressDeadlineExceeded');
  assert.equal(ds.status?.rollout?.phase, 'Failed');
  assert.equal(ds.status?.rollout?.failure?.reason, 'ProgressDeadlineExceeded');
  assert.equal((await events(w, 'ProgressDeadlineExceeded')).length, 1);
  // Turn on the abort: the rollout goes back to the stable revision.
  await change(w, (d) => {
    d.spec!.progressDeadlineAbort = true;
  });
  await converge(w);
  ds = await get(w);
  assert.equal(cond(ds, 'Progressing'), 'False/RolloutAborted');
  assert.deepEqual(await hashes(w), Array(3).fill(stableHash));
  await w.h.controller.stop();
});

test('CRD: Freeze writes no pod; ScaleToZero removes every pod; lifting it recreates them', async () => {
  const w = await start('EverynodeDaemonSet', 3);
  await converge(w);
  const stableHash = await hashOf(w, (await get(w)).status!.stableRevision!);
  await change(w, (ds) => {
    ds.spec!.suspend = 'Freeze';
    setImage(ds, 'foo/bar:2');
  });
  const before = (await w.h.pods(true)).map((p) => p.metadata?.name).sort();
  await w.h.cluster.create('Node', node('n4'));
  await converge(w);
  assert.deepEqual((await w.h.pods(true)).map((p) => p.metadata?.name).sort(), before);
  let ds = await get(w);
  assert.equal(ds.status?.rollout?.phase, 'Frozen');
  assert.equal(cond(ds, 'Suspended'), 'True/Freeze');
  assert.equal(ds.status?.desiredNumberScheduled, 4, 'status is still computed');
  await change(w, (d) => {
    d.spec!.suspend = 'ScaleToZero';
    setImage(d, 'foo/bar');
  });
  await converge(w);
  assert.equal((await w.h.pods(true)).length, 0);
  ds = await get(w);
  assert.equal(ds.status?.rollout?.phase, 'ScaledToZero');
  assert.equal(cond(ds, 'Suspended'), 'True/ScaleToZero');
  await change(w, (d) => {
    delete d.spec!.suspend;
  });
  await converge(w);
  ds = await get(w);
  assert.deepEqual(await hashes(w), Array(4).fill(stableHash));
  assert.equal(cond(ds, 'Suspended'), 'False/NotSuspended');
  assert.equal(ds.status?.rollout?.phase, 'Complete');
  await w.h.controller.stop();
});

test('apps/v1: the strategy annotation and the paused annotation; the record survives a restart', async () => {
  const w = await start('DaemonSet', 4, (ds) => {
    annotate(ds, STRATEGY_ANNOTATION, '{}');
  });
  await converge(w);
  const revs = await revisions(w);
  assert.equal(revs.length, 1);
  const stableName = revs[0]!.metadata!.name!;
  const stableHash = revs[0]!.metadata!.labels!['controller-revision-hash']!;
  assert.match(
    revs[0]!.metadata?.annotations?.[ROLLOUT_STATE_ANNOTATION] ?? '',
    new RegExp(`"stable":"${stableName}"`),
  );
  let ds = await get(w);
  assert.equal(cond(ds, 'Progressing'), 'True/RolloutComplete');
  assert.equal(ds.status?.stableRevision, undefined, 'apps/v1 status has no such field');
  await change(w, (d) => {
    annotate(d, STRATEGY_ANNOTATION, '{"rollingUpdate":{"partition":"50%"}}');
    setImage(d, 'foo/bar:2');
  });
  await converge(w);
  const update = (await revisions(w)).find((r) => r.metadata?.name !== stableName)!;
  const updateHash = update.metadata!.labels!['controller-revision-hash']!;
  assert.deepEqual(await hashes(w), [updateHash, updateHash, stableHash, stableHash]);
  ds = await get(w);
  assert.equal(cond(ds, 'Progressing'), 'True/PartitionRolledOut');
  // A restarted controller knows the stable revision from the record: a paused rollout pins.
  await change(w, (d) => {
    annotate(d, PAUSED_ANNOTATION, 'true');
  });
  await w.h.restart();
  await w.h.cluster.create('Node', node('n5'));
  await converge(w);
  const n5 = (await podsByNode(w)).get('n5');
  assert.deepEqual(n5, [stableHash]);
  assert.equal(cond(await get(w), 'Progressing'), 'Unknown/RolloutPaused');
  await w.h.controller.stop();
});

test('apps/v1: an invalid strategy annotation is an Event and the InvalidStrategy condition; it runs as apps/v1', async () => {
  const w = await start('DaemonSet', 3, (ds) => {
    annotate(ds, STRATEGY_ANNOTATION, '{"rollingUpdate":{"partition":"150%"}}');
  });
  await converge(w);
  const ds = await get(w);
  const c = getCondition(ds.status, 'InvalidStrategy');
  assert.equal(c?.status, 'True');
  assert.match(c?.message ?? '', /rollingUpdate\.partition: Invalid value: "150%"/);
  const ev = await events(w, 'InvalidStrategy');
  assert.equal(ev.length, 1);
  assert.match(ev[0]!.message ?? '', /strategy\]\.rollingUpdate\.partition/);
  // It rolls out as plain apps/v1 (no partition).
  await change(w, (d) => {
    setImage(d, 'foo/bar:2');
  });
  await converge(w);
  const pods = await w.h.pods(true);
  assert.equal(
    new Set(pods.map((p: Pod) => p.metadata?.labels?.['controller-revision-hash'])).size,
    1,
  );
  assert.equal(pods.length, 3);
  // Fixed: the condition goes.
  await change(w, (d) => {
    annotate(d, STRATEGY_ANNOTATION, '{}');
  });
  await converge(w);
  assert.equal(getCondition((await get(w)).status, 'InvalidStrategy'), undefined);
  await w.h.controller.stop();
});
