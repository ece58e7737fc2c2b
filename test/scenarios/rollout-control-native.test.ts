/**
 * Issue 11's rollout control on apps/v1 DaemonSets (the strategy and control annotations), through
 * the controller on the embedded cluster with sync verification: the record on the revision
 * surviving a restart, an invalid annotation, a stable revision inferred when rollout annotations
 * arrive mid-rollout.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getCondition } from '../../src/api/conditions.js';
import {
  PAUSED_ANNOTATION,
  ROLLOUT_STATE_ANNOTATION,
  STRATEGY_ANNOTATION,
} from '../../src/api/rolloutspec.js';
import type { Pod } from '../../src/api/types.js';
import { node } from '../../src/controller/testing.js';
import {
  annotate,
  change,
  cond,
  converge,
  events,
  get,
  hashes,
  podsByNode,
  revisions,
  run,
  setImage,
  start,
} from './rollout-helpers.js';

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

test('apps/v1: paused mid-rollout with no record: the stable revision is inferred from the pods', async () => {
  // No rollout annotation at first: plain apps/v1, nothing recorded.
  const w = await start('DaemonSet', 4, (ds) => {
    ds.spec!.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } };
  });
  await converge(w);
  const oldHash = (await hashes(w))[0]!;
  assert.equal(getCondition((await get(w)).status, 'Progressing'), undefined, 'nothing added');
  await change(w, (d) => {
    setImage(d, 'foo/bar:2');
  });
  // One node replaced, then the operator pauses the rollout.
  for (let i = 0; i < 8 && (await hashes(w)).filter((x) => x !== oldHash).length < 1; i++)
    await run(w, 1);
  await change(w, (d) => {
    annotate(d, PAUSED_ANNOTATION, 'true');
  });
  await converge(w);
  const now = await hashes(w);
  assert.ok(now.filter((x) => x === oldHash).length >= 2, JSON.stringify(now));
  await w.h.cluster.create('Node', node('n5'));
  await converge(w);
  assert.deepEqual((await podsByNode(w)).get('n5'), [oldHash]);
  assert.equal(cond(await get(w), 'Progressing'), 'Unknown/RolloutPaused');
  // The inferred stable revision is recorded on the update revision.
  const revs = await revisions(w);
  const update = revs.find((r) => r.metadata?.labels?.['controller-revision-hash'] !== oldHash)!;
  const old = revs.find((r) => r.metadata?.labels?.['controller-revision-hash'] === oldHash)!;
  assert.match(
    update.metadata?.annotations?.[ROLLOUT_STATE_ANNOTATION] ?? '',
    new RegExp(`"stable":"${old.metadata!.name!}"`),
  );
  await w.h.controller.stop();
});
