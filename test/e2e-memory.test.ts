/**
 * End to end on the memory cluster: the controller with its workers, plus a minimal scheduler and
 * kubelet in the test (bind pods to their pinned node, mark them Ready, finish graceful deletes).
 * A DaemonSet reaches every node, a template change rolls out within maxUnavailable, and a
 * controller restart in the middle of a rollout creates no duplicate pods and loses no progress.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DaemonSet, Mutable, Pod } from '../src/api/types.js';
import { CONTROLLER_REVISION_HASH_LABEL } from '../src/api/types.js';
import {
  bindAll,
  dsFoo,
  harness,
  kubeletStep,
  node,
  type Harness,
} from '../src/controller/testing.js';

const NODES = 5;

function targetNode(p: Pod): string | undefined {
  return (
    p.spec?.nodeName ??
    p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
      ?.nodeSelectorTerms?.[0]?.matchFields?.[0]?.values?.[0]
  );
}

const isReady = (p: Pod): boolean =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Checks the invariants a RollingUpdate with maxUnavailable 1 and no surge must keep. */
async function checkInvariants(h: Harness): Promise<void> {
  const active = (await h.pods()).filter((p) => !p.metadata?.deletionTimestamp);
  const perNode = new Map<string, Pod[]>();
  for (const p of active) {
    const n = targetNode(p) ?? '?';
    perNode.set(n, [...(perNode.get(n) ?? []), p]);
  }
  for (const [n, ps] of perNode)
    assert.ok(ps.length <= 1, `node ${n} has ${ps.length} active pods`);
}

async function dsNow(h: Harness): Promise<DaemonSet> {
  return h.cluster.get<DaemonSet>('DaemonSet', 'default', 'foo');
}

/** One round of the world: scheduler, kubelet, controller, then one virtual second. */
async function round(h: Harness): Promise<void> {
  await h.settle();
  await bindAll(h.cluster);
  await h.settle();
  await checkInvariants(h);
  await kubeletStep(h.cluster, h.clock);
  await h.settle();
  await checkInvariants(h);
  await h.advance(1000);
}

/** Runs rounds until the DaemonSet reports every node updated, ready and available. */
async function converge(h: Harness, image: string, maxRounds = 60, nodes = NODES): Promise<number> {
  for (let i = 0; i < maxRounds; i++) {
    await round(h);
    const ds = await dsNow(h);
    const st = ds.status;
    const pods = (await h.pods()).filter((p) => !p.metadata?.deletionTimestamp);
    const done =
      st?.observedGeneration === ds.metadata?.generation &&
      st?.desiredNumberScheduled === nodes &&
      st?.updatedNumberScheduled === nodes &&
      st?.numberReady === nodes &&
      st?.numberAvailable === nodes &&
      pods.length === nodes &&
      pods.every((p) => p.spec?.containers[0]?.image === image && isReady(p));
    if (done) return i + 1;
  }
  assert.fail(
    `did not converge on ${image} in ${maxRounds} rounds: ${JSON.stringify((await dsNow(h)).status)}`,
  );
}

async function setImage(h: Harness, image: string): Promise<void> {
  const ds = await dsNow(h);
  const next = structuredClone(ds) as Mutable<DaemonSet>;
  next.spec!.template.spec!.containers[0]!.image = image;
  await h.cluster.update('DaemonSet', next);
}

test('e2e: a DaemonSet reaches all nodes, rolls out a template change, and survives a restart mid-rollout', async () => {
  const h = harness({ workers: 2 });
  for (let i = 0; i < NODES; i++) await h.cluster.create('Node', node(`node-${i}`));
  await h.cluster.create('DaemonSet', dsFoo());
  await h.controller.start();

  await converge(h, 'foo/bar');
  const creates = (): number => h.cluster.stats('controller').byKind.Pod?.create ?? 0;
  assert.equal(creates(), NODES);

  // A template change rolls out one node at a time.
  await setImage(h, 'foo/bar:v2');
  await converge(h, 'foo/bar:v2');
  assert.equal(creates(), 2 * NODES);
  const hashes = new Set(
    (await h.pods()).map((p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL]),
  );
  assert.equal(hashes.size, 1);
  const revisions = await h.cluster.list('ControllerRevision', { namespace: 'default' });
  assert.equal(revisions.items.length, 2);

  // Another change; restart the controller part-way through the rollout.
  await setImage(h, 'foo/bar:v3');
  for (let i = 0; i < 4; i++) await round(h);
  const midway = (await h.pods()).filter(
    (p) => p.spec?.containers[0]?.image === 'foo/bar:v3',
  ).length;
  assert.ok(midway > 0 && midway < NODES, `restart happens mid-rollout (${midway} updated)`);
  const syncsBefore = h.controller.syncCount;
  assert.ok(syncsBefore > 0);
  await h.restart();
  assert.equal(h.controller.hasSynced(), true);
  await checkInvariants(h);
  await converge(h, 'foo/bar:v3');
  assert.equal(creates(), 3 * NODES, 'no duplicate pods across the restart');
  const updated = (await h.pods()).filter(
    (p) => p.spec?.containers[0]?.image === 'foo/bar:v3',
  ).length;
  assert.equal(updated, NODES);
  await h.controller.stop();
});

test('e2e: restart right after the creates were issued (watch events not yet seen) makes no duplicates', async () => {
  const h = harness({ workers: 2 });
  for (let i = 0; i < NODES; i++) await h.cluster.create('Node', node(`node-${i}`));
  await h.controller.start();
  await h.cluster.create('DaemonSet', dsFoo());
  // Stop as soon as possible: in-flight syncs finish, the new instance rebuilds its caches.
  await h.controller.stop();
  await h.restart();
  await converge(h, 'foo/bar');
  assert.equal(h.cluster.stats('controller').byKind.Pod?.create, NODES);
  await h.controller.stop();
});

test('e2e: with minReadySeconds the rollout advances on timed requeues alone', async () => {
  const h = harness({ workers: 2 });
  for (let i = 0; i < NODES; i++) await h.cluster.create('Node', node(`node-${i}`));
  await h.cluster.create('DaemonSet', dsFoo('foo', { minReadySeconds: 5 }));
  await h.controller.start();
  await converge(h, 'foo/bar');
  await setImage(h, 'foo/bar:v2');
  const rounds = await converge(h, 'foo/bar:v2', 120);
  // Each node waits at least minReadySeconds before the next may go (maxUnavailable 1).
  assert.ok(rounds >= NODES * 5, `took ${rounds} virtual seconds`);
  assert.equal(h.cluster.stats('controller').byKind.Pod?.create, 2 * NODES);
  await h.controller.stop();
});

test('e2e: a Failed pod is deleted with a FailedDaemonPod event and replaced, under backoff', async () => {
  const h = harness({ workers: 2 });
  await h.cluster.create('Node', node('node-0'));
  await h.cluster.create('DaemonSet', dsFoo());
  await h.controller.start();
  await converge(h, 'foo/bar', 60, 1);
  const [p] = await h.pods();
  await h.cluster.updateStatus('Pod', { ...p!, status: { ...p!.status, phase: 'Failed' } });
  await h.settle();
  await h.controller.recorder.flush();
  assert.equal(h.controller.recorder.counts().get('FailedDaemonPod'), 1);
  assert.equal(h.controller.stats().backoffEntries, 1);
  for (let i = 0; i < 5; i++) await round(h);
  const pods = await h.pods(true);
  assert.equal(pods.length, 1);
  assert.notEqual(pods[0]?.metadata?.name, p!.metadata?.name);
  await h.controller.stop();
});
