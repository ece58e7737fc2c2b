/**
 * End to end against the real control plane: taking over apps/v1 DaemonSets from
 * kube-controller-manager's built-in controller. The built-in controller rolls a DaemonSet out;
 * kube-controller-manager is restarted without it; `everynode run --resource native` then adopts
 * the pods and revisions as they are (no pod restarted, the revision hash the same), and carries
 * the next update out itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ControllerRevision } from '../../src/api/types.js';
import {
  api,
  closeApi,
  createDs,
  dropNamespaces,
  dsManifest,
  Everynode,
  getDs,
  livePods,
  readyNodes,
  setBuiltinDaemonSetController,
  setImage,
  waitRolledOut,
} from './helpers.js';
import { freshNamespace, skipReason } from './kubectl.js';

const V1 = 'registry.invalid/agent:1';
const V2 = 'registry.invalid/agent:2';

describe('e2e: takeover from the built-in DaemonSet controller', { skip: skipReason }, () => {
  let ns = '';
  let nodes: string[] = [];
  let ctl: Everynode | undefined;
  let builtinOn = false;
  before(async () => {
    nodes = await readyNodes();
    ns = await freshNamespace('e2e-takeover');
  });
  after(async () => {
    await ctl?.stop('SIGKILL');
    if (builtinOn) await setBuiltinDaemonSetController(false);
    dropNamespaces([ns]);
    closeApi();
  });

  test('everynode adopts what upstream rolled out, restarting no pod', async () => {
    builtinOn = true;
    await setBuiltinDaemonSetController(true);
    createDs(dsManifest('native', ns, 'agent', { maxUnavailable: 1 }));
    const upstreamPods = await waitRolledOut('native', ns, 'agent', nodes, V1, 120_000);
    const upstreamRevs = (
      await api().list<ControllerRevision>('ControllerRevision', { namespace: ns })
    ).items;
    assert.equal(upstreamRevs.length, 1);
    const before = await getDs('native', ns, 'agent');

    await setBuiltinDaemonSetController(false);
    builtinOn = false;
    ctl = Everynode.start('takeover', 'native', ns);
    await ctl.waitForLog('daemonset controller started');
    // Upstream's status is already complete, so the sign that everynode has looked at the
    // DaemonSet is its own sync count; a little longer gives a wrong decision time to show.
    await ctl.waitForSyncs(1);
    await new Promise((r) => setTimeout(r, 3000));

    const pods = await waitRolledOut('native', ns, 'agent', nodes, V1);
    assert.deepEqual(
      pods.map((p) => p.metadata?.uid).sort(),
      upstreamPods.map((p) => p.metadata?.uid).sort(),
      'everynode replaced pods that upstream had rolled out',
    );
    const revs = (await api().list<ControllerRevision>('ControllerRevision', { namespace: ns }))
      .items;
    assert.deepEqual(
      revs.map((r) => `${r.metadata?.name}@${r.revision}`),
      upstreamRevs.map((r) => `${r.metadata?.name}@${r.revision}`),
      'everynode made its own revision instead of adopting upstream',
    );
    const after = await getDs('native', ns, 'agent');
    assert.equal(after.metadata?.generation, before.metadata?.generation);

    // The next update is everynode's: it rolls out, and the pods carry a revision everynode made.
    setImage('native', ns, 'agent', V2);
    const next = await waitRolledOut('native', ns, 'agent', nodes, V2, 120_000);
    const hashes = new Set(next.map((p) => p.metadata?.labels?.['controller-revision-hash']));
    assert.equal(hashes.size, 1);
    const revs2 = (await api().list<ControllerRevision>('ControllerRevision', { namespace: ns }))
      .items;
    assert.equal(revs2.length, 2);
    assert.ok(
      revs2.some((r) => r.metadata?.labels?.['controller-revision-hash'] === [...hashes][0]),
    );
    assert.equal((await livePods(ns, 'agent')).length, nodes.length);
    assert.equal(await ctl.stop(), 0);
  });
});
