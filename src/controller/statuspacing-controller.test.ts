/**
 * Status-write pacing in the controller (option statusIntervalMs, issue 15), on a VirtualClock:
 * pods turning Ready one by one within the interval cost one deferred write instead of one each,
 * the settled status is written at once, a deferred status is written when its interval ends, and
 * interval 0 (the library's default) keeps upstream's write per changed sync.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DaemonSet, Pod } from '../api/types.js';
import { setControllerDefaults } from './controlleroptions.js';
import { statusIntervalOf } from './controlleroptions.js';
import { bindAll, dsFoo, harness, node, type Harness } from './testing.js';

async function started(statusIntervalMs: number | undefined, nodes: number): Promise<Harness> {
  const h = harness(statusIntervalMs === undefined ? {} : { statusIntervalMs });
  for (let i = 0; i < nodes; i++) await h.cluster.create('Node', node(`node-${i}`));
  await h.cluster.create('DaemonSet', dsFoo());
  await h.controller.start();
  await h.settle();
  await bindAll(h.cluster);
  await h.settle();
  return h;
}

/** Marks one bound pod Running and Ready, as a kubelet would. */
async function makeReady(h: Harness, pod: Pod): Promise<void> {
  const live = await h.cluster.get<Pod>('Pod', 'default', pod.metadata!.name!);
  const now = new Date(h.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  await h.cluster.updateStatus('Pod', {
    ...live,
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
    },
  });
  await h.settle();
}

const statusOf = async (h: Harness): Promise<DaemonSet['status']> =>
  (await h.cluster.get<DaemonSet>('DaemonSet', 'default', 'foo')).status;

test('status pacing off (the default): a status write per pod turning Ready', async () => {
  const h = await started(undefined, 6);
  const before = h.controller.stats().statusWrites;
  for (const p of await h.pods()) await makeReady(h, p);
  assert.equal(h.controller.stats().statusWrites - before, 6);
  assert.equal((await statusOf(h))?.numberReady, 6);
  await h.controller.stop();
});

test('status pacing: Ready pods within the interval wait; the settled status goes at once', async () => {
  const h = await started(500, 6);
  const before = h.controller.stats().statusWrites;
  const pods = await h.pods();
  for (const p of pods.slice(0, 5)) await makeReady(h, p);
  // Written before the readiness began (the creates' sync), so these five are held back.
  assert.equal(h.controller.stats().statusWrites - before, 0);
  assert.equal((await statusOf(h))?.numberReady ?? 0, 0, 'the server still holds the old status');
  await makeReady(h, pods[5]!);
  assert.equal(h.controller.stats().statusWrites - before, 1, 'settled: written at once');
  const s = await statusOf(h);
  assert.equal(s?.numberReady, 6);
  assert.equal(s?.numberAvailable, 6);
  // The deferred sync at the end of the interval finds nothing left to write.
  await h.advance(1000, 100);
  assert.equal(h.controller.stats().statusWrites - before, 1);
  await h.controller.stop();
});

test('status pacing: a held-back status is written when its interval ends', async () => {
  const h = await started(500, 6);
  const before = h.controller.stats().statusWrites;
  const pods = await h.pods();
  await makeReady(h, pods[0]!);
  await makeReady(h, pods[1]!);
  assert.equal(h.controller.stats().statusWrites - before, 0);
  await h.advance(500, 100);
  assert.equal(h.controller.stats().statusWrites - before, 1);
  assert.equal((await statusOf(h))?.numberReady, 2);
  await h.controller.stop();
});

test('status pacing: a new generation is reported at once', async () => {
  const h = await started(500, 3);
  for (const p of await h.pods()) await makeReady(h, p);
  await h.advance(1000, 100);
  const ds = await h.cluster.get<DaemonSet>('DaemonSet', 'default', 'foo');
  await h.cluster.update('DaemonSet', {
    ...ds,
    spec: {
      ...ds.spec!,
      template: {
        ...ds.spec!.template,
        spec: {
          ...ds.spec!.template.spec!,
          containers: [{ name: 'c', image: 'other:2' }],
        },
      },
    },
  });
  await h.settle();
  const s = await statusOf(h);
  assert.equal(s?.observedGeneration, 2, 'observedGeneration written without waiting');
  await h.controller.stop();
});

test('status interval: the option, else the default; bad values rejected', () => {
  assert.equal(statusIntervalOf({}), 0);
  const before = setControllerDefaults({ statusIntervalMs: 250 });
  try {
    assert.equal(statusIntervalOf({}), 250);
    assert.equal(statusIntervalOf({ statusIntervalMs: 0 }), 0);
  } finally {
    setControllerDefaults(before);
  }
  assert.throws(() => statusIntervalOf({ statusIntervalMs: -1 }), RangeError);
  assert.throws(() => harness({ statusIntervalMs: Number.NaN }), RangeError);
});
