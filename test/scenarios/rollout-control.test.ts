/**
 * Issue 11's rollout control on everynode's CRD, through the controller on the embedded cluster
 * (both planning paths: the test runner's verification compares the incremental plan with the
 * full reconcile on every sync): the stable revision, pause with pinning, partition, abort and
 * retry, the progress deadline, freeze and scale to zero. apps/v1: rollout-control-native.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getCondition } from '../../src/api/conditions.js';
import { ABORT_ANNOTATION, RETRY_ANNOTATION } from '../../src/api/rolloutspec.js';
import type { Node } from '../../src/api/types.js';
import { node } from '../../src/controller/testing.js';
import {
  annotate,
  change,
  cond,
  converge,
  events,
  get,
  hashes,
  hashOf,
  podsByNode,
  run,
  setImage,
  start,
} from './rollout-helpers.js';

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
  // A node the DaemonSet should no longer run on but may keep its pod (a NoSchedule taint it
  // does not tolerate): upstream's rolling update removes the old pod there; paused, it stays.
  const n3 = await w.h.cluster.get<Node>('Node', '', 'n3');
  await w.h.cluster.update('Node', {
    ...n3,
    spec: { ...n3.spec, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] },
  });
  await converge(w);
  assert.deepEqual((await podsByNode(w)).get('n3'), [stableHash]);
  // Resume: every node goes to the update revision, which becomes stable; n3's old pod goes.
  await change(w, (d) => {
    d.spec!.paused = false;
  });
  await converge(w);
  ds = await get(w);
  const update = ds.status!.updateRevision!;
  const updateHash = await hashOf(w, update);
  assert.deepEqual(await hashes(w), [updateHash, updateHash, updateHash]);
  assert.equal((await podsByNode(w)).get('n3'), undefined);
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
