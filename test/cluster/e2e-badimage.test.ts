/**
 * End to end against the real control plane: a rollout of an image that does not exist. The
 * harness's kwok Stage keeps such pods Pending in ErrImagePull / ImagePullBackOff, as a kubelet
 * would; the rollout must stall with maxUnavailable pods down, the old pods serving, and
 * `everynode rollout undo` must replace only the stuck pods. The same test runs against
 * kube-controller-manager's own DaemonSet controller, which shows that the harness (not everynode)
 * decides what a bad image does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import {
  closeApi,
  createDs,
  dropNamespaces,
  dsManifest,
  Everynode,
  getDs,
  imageOf,
  livePods,
  nodeOf,
  PodRecorder,
  readyNodes,
  setBuiltinDaemonSetController,
  setImage,
  waitRolledOut,
  waitUntil,
} from './helpers.js';
import { everynodeRollout, podUids, revisionList } from './handover.js';
import { freshNamespace, skipReason } from './kubectl.js';

const V1 = 'registry.invalid/agent:1';
const BAD = 'registry.invalid/agent:does-not-exist';
const HOLD_MS = 4000;

/** The pod's container waits on its image the way a kubelet reports a pull that fails. */
function pullFailing(p: Pod): boolean {
  const waiting = (
    p.status as { containerStatuses?: { state?: { waiting?: { reason?: string } } }[] } | undefined
  )?.containerStatuses?.[0]?.state?.waiting?.reason;
  return (
    p.status?.phase === 'Pending' && (waiting === 'ErrImagePull' || waiting === 'ImagePullBackOff')
  );
}

const isReady = (p: Pod): boolean =>
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

describe(
  'e2e: a bad image stalls the rollout, and undo replaces only the stuck pods',
  { skip: skipReason },
  () => {
    let nodes: string[] = [];
    const namespaces: string[] = [];
    before(async () => {
      nodes = await readyNodes();
    });
    after(async () => {
      await setBuiltinDaemonSetController(false);
      dropNamespaces(namespaces);
      closeApi();
    });

    for (const controller of ['everynode', 'kube-controller-manager'] as const) {
      test(`${controller}: stalls at maxUnavailable 1 on ErrImagePull; undo restarts only the stuck pod`, async () => {
        const ns = await freshNamespace(
          controller === 'everynode' ? 'badimage-en' : 'badimage-kcm',
        );
        namespaces.push(ns);
        let ctl: Everynode | undefined;
        if (controller === 'everynode') {
          await setBuiltinDaemonSetController(false);
          ctl = Everynode.start('badimage', 'native', ns);
          await ctl.waitForLog('daemonset controller started');
        } else {
          await setBuiltinDaemonSetController(true);
        }
        try {
          createDs(dsManifest('native', ns, 'agent', { maxUnavailable: 1 }));
          const v1 = await waitRolledOut('native', ns, 'agent', nodes, V1, 120_000);
          const v1Uids = v1.map((p) => p.metadata!.uid!);
          const rec = new PodRecorder(ns, 'agent', nodes);
          await rec.start();
          rec.reset(); // the maxima counted while the list was read one pod at a time

          setImage('native', ns, 'agent', BAD);
          const stuck = await waitUntil(`one pod of ${BAD} failing to pull`, async () => {
            const bad = (await livePods(ns, 'agent')).filter((p) => imageOf(p) === BAD);
            return bad.length === 1 && pullFailing(bad[0]!) ? bad[0] : undefined;
          });
          // It stays that way: no second old pod is taken down while the first new one is not Ready.
          await new Promise((r) => setTimeout(r, HOLD_MS));
          const pods = await livePods(ns, 'agent');
          assert.equal(pods.length, nodes.length);
          const bad = pods.filter((p) => imageOf(p) === BAD);
          assert.deepEqual(
            bad.map((p) => p.metadata!.uid),
            [stuck.metadata!.uid],
          );
          assert.ok(pullFailing(bad[0]!) && !isReady(bad[0]!), 'the bad-image pod became Ready');
          const serving = pods.filter((p) => imageOf(p) === V1);
          assert.equal(serving.length, nodes.length - 1);
          assert.ok(serving.every((p) => isReady(p) && v1Uids.includes(p.metadata!.uid!)));
          const s = (await getDs('native', ns, 'agent')).status;
          assert.equal(s?.updatedNumberScheduled, 1);
          assert.equal(s?.numberReady, nodes.length - 1);
          assert.equal(s?.numberUnavailable, 1);
          assert.equal(rec.maxNodesWithoutReady, 1, 'more than maxUnavailable nodes were down');

          assert.match(everynodeRollout('native', ns, ['undo', 'agent']), /rolled back/);
          const back = await waitRolledOut('native', ns, 'agent', nodes, V1, 120_000);
          rec.stop();
          const kept = back.filter((p) => v1Uids.includes(p.metadata!.uid!));
          assert.deepEqual(
            kept.map((p) => p.metadata!.uid).sort(),
            serving.map((p) => p.metadata!.uid).sort(),
            'an old pod that kept serving was restarted',
          );
          const replaced = back.filter((p) => !v1Uids.includes(p.metadata!.uid!));
          assert.deepEqual(replaced.map(nodeOf), [nodeOf(stuck)]);
          // Every pod ever seen: the first rollout's, the stuck one, its replacement.
          assert.equal(rec.created.size, nodes.length + 2);
          assert.equal(rec.maxNodesWithoutReady, 1);
          assert.equal((await podUids(ns, 'agent')).length, nodes.length);
          const revs = await revisionList(ns, 'agent');
          assert.equal(revs.length, 2, `revisions: ${revs.join(', ')}`);
          assert.match(revs[1]!, /@3$/, 'the first revision is current again, renumbered 3');
        } finally {
          if (ctl) assert.equal(await ctl.stop(), 0);
        }
      });
    }
  },
);
