/**
 * End to end against the real control plane: the everynode process itself. A controller killed
 * mid-rollout and started again finishes the rollout within its bounds and without extra pods;
 * two processes with --leader-elect fail over when the leader dies; and the watches survive a
 * kube-apiserver restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  api,
  closeApi,
  createDs,
  createNode,
  deleteNode,
  dropNamespaces,
  dsManifest,
  Everynode,
  imageOf,
  installCrd,
  livePods,
  PodRecorder,
  readyNodes,
  restartComponent,
  setImage,
  waitRolledOut,
  waitUntil,
} from './helpers.js';
import { freshNamespace, skipReason } from './kubectl.js';

const V1 = 'registry.invalid/agent:1';
const V2 = 'registry.invalid/agent:2';

describe('e2e: restarts, leader election, apiserver restart', { skip: skipReason }, () => {
  const namespaces: string[] = [];
  const running: Everynode[] = [];
  let nodes: string[] = [];
  before(async () => {
    await installCrd();
    nodes = await readyNodes();
  });
  after(async () => {
    for (const c of running) await c.stop('SIGKILL');
    dropNamespaces(namespaces);
    closeApi();
  });
  const start = (...a: Parameters<typeof Everynode.start>): Everynode => {
    const c = Everynode.start(...a);
    running.push(c);
    return c;
  };

  test('a controller killed mid-rollout resumes it within maxUnavailable', async () => {
    const ns = await freshNamespace('e2e-restart');
    namespaces.push(ns);
    const rec = new PodRecorder(ns, 'agent', nodes);
    await rec.start();
    try {
      // minReadySeconds paces the rollout (one node at a time, 4 s each) so the kill lands in it.
      createDs(dsManifest('crd', ns, 'agent', { maxUnavailable: 1, minReadySeconds: 4 }));
      let ctl = start('restart-1', 'crd', ns);
      await waitRolledOut('crd', ns, 'agent', nodes, V1);
      rec.reset();
      setImage('crd', ns, 'agent', V2);
      await waitUntil('the rollout is under way', async () => {
        const pods = await livePods(ns, 'agent');
        const n = pods.filter((p) => imageOf(p) === V2).length;
        return n >= 1 && n < nodes.length;
      });
      await ctl.stop('SIGKILL');
      const midway = (await livePods(ns, 'agent')).filter((p) => imageOf(p) === V2).length;
      assert.ok(midway < nodes.length, 'the rollout finished before the kill');
      ctl = start('restart-2', 'crd', ns);
      await waitRolledOut('crd', ns, 'agent', nodes, V2, 120_000);
      assert.ok(rec.maxNodesWithoutReady <= 1, `${rec.maxNodesWithoutReady} nodes were down`);
      assert.equal(rec.maxPodsPerNode, 1, 'two pods on one node');
      const newPods = [...rec.created.values()].filter((i) => i === V2).length;
      assert.equal(newPods, nodes.length, 'the restarted controller created extra pods');
      assert.equal(await ctl.stop(), 0);
    } finally {
      rec.stop();
    }
  });

  test('leader failover: the standby takes over when the leader dies', async () => {
    const ns = await freshNamespace('e2e-leader');
    namespaces.push(ns);
    const flags = ['--leader-elect', '--leader-election-namespace', ns, '--lease-duration', '4s'];
    const a = start('leader-a', 'native', ns, flags);
    await a.waitForLog('became leader');
    const b = start('leader-b', 'native', ns, flags);
    await b.waitForLog('attempting to acquire the leader lease');
    createDs(dsManifest('native', ns, 'agent'));
    await waitRolledOut('native', ns, 'agent', nodes, V1);
    assert.ok(!b.lines.some((l) => l.msg === 'became leader'), 'both replicas lead');
    const lease = await api().get<{ metadata?: object; spec?: { holderIdentity?: string } }>(
      'Lease',
      ns,
      'everynode-controller',
    );
    const holder = lease.spec?.holderIdentity ?? '';
    assert.equal(
      a.lines.find((l) => l.msg === 'became leader')?.identity,
      holder,
      'the Lease names the leader',
    );

    // A crash: no release, so b waits for the lease to expire (4 s).
    const t0 = Date.now();
    await a.stop('SIGKILL');
    await b.waitForLog('became leader', 30_000);
    const took = Date.now() - t0;
    assert.ok(took < 20_000, `failover took ${took} ms`);
    setImage('native', ns, 'agent', V2);
    await waitRolledOut('native', ns, 'agent', nodes, V2);

    // An orderly exit releases the Lease: a fresh standby takes over at its next retry.
    const c = start('leader-c', 'native', ns, flags);
    await c.waitForLog('attempting to acquire the leader lease');
    assert.equal(await b.stop('SIGTERM'), 0);
    assert.ok(b.lines.some((l) => l.msg === 'released the leader lease'));
    await c.waitForLog('became leader', 15_000);
    assert.equal(await c.stop(), 0);
  });

  test('the watches survive a kube-apiserver restart', async () => {
    const ns = await freshNamespace('e2e-apiserver');
    namespaces.push(ns);
    const ctl = start('apiserver', 'crd', ns);
    createDs(dsManifest('crd', ns, 'agent'));
    await waitRolledOut('crd', ns, 'agent', nodes, V1);
    await restartComponent('kube-apiserver');
    assert.ok(ctl.running(), 'everynode exited when the apiserver went away');
    // Both a DaemonSet change and a node change must reach the controller through its watches.
    setImage('crd', ns, 'agent', V2);
    await waitRolledOut('crd', ns, 'agent', nodes, V2, 120_000);
    const extra = 'e2e-after-restart';
    try {
      createNode(extra);
      await waitRolledOut('crd', ns, 'agent', [...nodes, extra], V2, 120_000);
    } finally {
      deleteNode(extra);
    }
    await waitRolledOut('crd', ns, 'agent', nodes, V2, 120_000, [extra]);
    assert.equal(await ctl.stop(), 0);
  });
});
