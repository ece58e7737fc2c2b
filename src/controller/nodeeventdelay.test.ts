/**
 * The node-event delay (controller option nodeEventDelayMs): node joins, eligibility-changing
 * node updates and the deletion of a pod whose node has left queue their DaemonSets once per
 * window instead of at once; pod events and everything else keep upstream's timing. Off by
 * default. All on a VirtualClock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DaemonSet, Pod } from '../api/types.js';
import type { Plan } from '../engine/types.js';
import { nodeEventDelayOf, setControllerDefaults } from './controlleroptions.js';
import { bindAll, dsFoo, harness, node, type Harness } from './testing.js';

async function started(delay: number | undefined, nodes: number): Promise<Harness> {
  const h = harness(delay === undefined ? {} : { nodeEventDelayMs: delay });
  for (let i = 0; i < nodes; i++) await h.cluster.create('Node', node(`node-${i}`));
  await h.cluster.create('DaemonSet', dsFoo());
  await h.controller.start();
  await h.settle();
  await bindAll(h.cluster);
  await h.settle();
  return h;
}

const onNode = (pods: Pod[], n: string): Pod[] =>
  pods.filter(
    (p) =>
      p.spec?.nodeName === n ||
      p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchFields?.[0]?.values?.includes(
        n,
      ),
  );

test('node-event delay: off by default, a joining node gets its pod at once', async () => {
  const h = await started(undefined, 2);
  assert.equal((await h.pods()).length, 2);
  await h.cluster.create('Node', node('node-new'));
  await h.settle();
  assert.equal(onNode(await h.pods(), 'node-new').length, 1, 'created without the clock moving');
  await h.controller.stop();
});

test('node-event delay: joins within the window become one sync, due a window after the first', async () => {
  const h = await started(1000, 2);
  assert.equal((await h.pods()).length, 2, 'the first sync is not delayed');
  const syncs = h.controller.syncCount;
  const creates = h.controller.stats().creates;
  // The plans the workers carry out, last one per key (the controller keeps none itself).
  const lastPlans = new Map<string, Plan | undefined>();
  const sync = h.controller.syncDaemonSet.bind(h.controller);
  h.controller.syncDaemonSet = async (key) => {
    const plan = await sync(key);
    lastPlans.set(key, plan);
    return plan;
  };
  await h.cluster.create('Node', node('node-a'));
  await h.advance(400, 400);
  await h.cluster.create('Node', node('node-b'));
  await h.cluster.create('Node', node('node-c'));
  await h.advance(500, 500);
  assert.equal(h.controller.syncCount, syncs, 'no sync 900 ms after the first join');
  assert.equal((await h.pods()).length, 2);
  await h.advance(100, 100);
  const pods = await h.pods();
  for (const n of ['node-a', 'node-b', 'node-c']) assert.equal(onNode(pods, n).length, 1, n);
  assert.equal(h.controller.stats().creates, creates + 3);
  // One sync created the three pods; the syncs after it are their creations being observed.
  assert.equal(lastPlans.get('default/foo')?.creates.length ?? 0, 0);
  assert.ok(h.controller.syncCount - syncs <= 3, `${h.controller.syncCount - syncs} syncs`);
  await h.advance(5000);
  assert.equal(h.controller.stats().creates, creates + 3, 'nothing more to do');
  await h.controller.stop();
});

test('node-event delay: a pod event in the window syncs at once and covers the joined node', async () => {
  const h = await started(1000, 2);
  const [first] = await h.pods();
  await h.cluster.create('Node', node('node-a'));
  await h.settle();
  assert.equal(onNode(await h.pods(), 'node-a').length, 0);
  // Pod events keep upstream's timing; their sync reads the caches, node-a included.
  await h.cluster.delete('Pod', 'default', first!.metadata!.name!, { gracePeriodSeconds: 0 });
  await h.settle();
  assert.equal(onNode(await h.pods(), 'node-a').length, 1);
  assert.equal(h.controller.stats().delayed, 0, 'the pending node-driven add was dropped');
  await h.controller.stop();
});

test('node-event delay: the deletion of a pod whose node left waits for the window', async () => {
  const h = await started(1000, 3);
  const syncs = h.controller.syncCount;
  const pod = onNode(await h.pods(), 'node-2')[0]!;
  await h.cluster.delete('Node', '', 'node-2');
  await h.settle();
  // The pod GC's delete of the removed node's pod (not part of the memory cluster).
  await h.cluster.delete('Pod', 'default', pod.metadata!.name!, { gracePeriodSeconds: 0 });
  await h.settle();
  assert.equal(h.controller.syncCount, syncs, 'coalesced with the node event');
  await h.advance(1000, 1000);
  assert.ok(h.controller.syncCount > syncs);
  const ds = await h.cluster.get<DaemonSet>('DaemonSet', 'default', 'foo');
  assert.equal(ds.status?.desiredNumberScheduled, 2);
  await h.controller.stop();
});

test('node-event delay: the option, else the default; bad values rejected', () => {
  assert.equal(nodeEventDelayOf({}), 0);
  const before = setControllerDefaults({ nodeEventDelayMs: 250 });
  try {
    assert.equal(nodeEventDelayOf({}), 250);
    assert.equal(nodeEventDelayOf({ nodeEventDelayMs: 0 }), 0);
  } finally {
    setControllerDefaults(before);
  }
  assert.throws(() => nodeEventDelayOf({ nodeEventDelayMs: -1 }), /expected a number of ms/);
  assert.throws(() => nodeEventDelayOf({ nodeEventDelayMs: Number.NaN }), RangeError);
  assert.throws(() => harness({ nodeEventDelayMs: Number.NaN }), RangeError);
});
