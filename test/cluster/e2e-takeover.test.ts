/**
 * End to end against the real control plane: handing DaemonSets between kube-controller-manager's
 * built-in controller and everynode, both ways, restarting nothing (README, "Moving an existing
 * DaemonSet" and "Native mode"). Checked each time by pod uid (and every pod ever seen, through
 * the recorder), by the ControllerRevisions' names and numbers, and by the status's updated count.
 * Also: kube-controller-manager's revision bytes for the golden templates are the stored ones, and
 * the revisions everynode writes carry the same bytes (read in protobuf form).
 *
 * Order, to restart kube-controller-manager as few times as possible: with its DaemonSet
 * controller on, the golden set, and the custom-resource round trip (apps/v1 -> CRD -> update
 * under everynode -> apps/v1); with it off, everynode's native takeover and an update; with it on
 * again, kube-controller-manager takes everything back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultDaemonSet } from '../../src/api/defaults.js';
import { revisionDataBytes } from '../../src/api/hash.js';
import { type GoldenRecord, readGolden, recordGolden } from './golden.js';
import {
  api,
  closeApi,
  createDs,
  dropNamespaces,
  dsManifest,
  dsResource,
  Everynode,
  getDs,
  installCrd,
  PodRecorder,
  readyNodes,
  setBuiltinDaemonSetController,
  waitRolledOut,
} from './helpers.js';
import {
  assertUpstreamBytes,
  moveDaemonSet,
  nudgeStatus,
  podUids,
  revisionList,
  waitSynced,
} from './handover.js';
import { freshNamespace, kubectl, skipReason } from './kubectl.js';

const V1 = 'registry.invalid/agent:1';
const V2 = 'registry.invalid/agent:2';

/** A user's image update: a JSON patch of the one field (the rest of the template as it is). */
function updateImage(resource: string, ns: string, name: string, image: string): void {
  const patch = [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: image }];
  kubectl(['-n', ns, 'patch', resource, name, '--type=json', '-p', JSON.stringify(patch)]);
}

describe(
  'e2e: handover between kube-controller-manager and everynode',
  { skip: skipReason },
  () => {
    let nodes: string[] = [];
    let nsGolden = '';
    let nsNative = '';
    let nsCrd = '';
    let kcmGolden: GoldenRecord[] = [];
    const running: Everynode[] = [];
    before(async () => {
      nodes = await readyNodes();
      [nsGolden, nsNative, nsCrd] = await Promise.all([
        freshNamespace('golden'),
        freshNamespace('handover'),
        freshNamespace('handover-crd'),
      ]);
      await installCrd();
      await setBuiltinDaemonSetController(true);
      createDs(dsManifest('native', nsNative, 'agent', { maxUnavailable: 1 }));
      createDs(dsManifest('native', nsCrd, 'moved', { maxUnavailable: 1 }));
    });
    after(async () => {
      for (const e of running) await e.stop('SIGKILL');
      await setBuiltinDaemonSetController(false);
      dropNamespaces([nsGolden, nsNative, nsCrd]);
      closeApi();
    });

    test("kube-controller-manager's revision bytes are the golden files'", async () => {
      kcmGolden = await recordGolden(api(), process.env.KUBECONFIG!, nsGolden);
      const files = new Map(readGolden().map((g) => [g.name, g.data]));
      assert.equal(kcmGolden.length, files.size);
      for (const g of kcmGolden) {
        assert.equal(g.data.toString('utf8'), files.get(g.name)?.toString('utf8'), g.name);
        assert.equal(g.data.toString('utf8'), revisionDataBytes(defaultDaemonSet(g.daemonSet)));
      }
    });

    test('apps/v1 -> custom resource -> update under everynode -> apps/v1: nothing restarts', async () => {
      const before = await waitRolledOut('native', nsCrd, 'moved', nodes, V1, 120_000);
      const uids = before.map((p) => p.metadata!.uid!).sort();
      const revs0 = await revisionList(nsCrd, 'moved');
      const rec = new PodRecorder(nsCrd, 'moved', nodes);
      await rec.start();
      rec.reset(); // the maxima counted while the list was read one pod at a time
      const ctl = Everynode.start('handover-crd', 'crd', nsCrd);
      running.push(ctl);
      await ctl.waitForLog('daemonset controller started');

      moveDaemonSet('native', 'crd', nsCrd, 'moved');
      await waitSynced('crd', nsCrd, 'moved', nodes.length);
      await waitRolledOut('crd', nsCrd, 'moved', nodes, V1);
      assert.deepEqual(await podUids(nsCrd, 'moved'), uids, 'pods replaced moving to the CRD');
      assert.deepEqual(await revisionList(nsCrd, 'moved'), revs0, 'a revision made or renumbered');

      // The golden templates as custom resources: everynode writes kube-controller-manager's bytes.
      const mine = await recordGolden(api(), process.env.KUBECONFIG!, nsCrd, { crd: true });
      for (const g of mine) {
        const theirs = kcmGolden.find((k) => k.name === g.name)!;
        assert.equal(g.data.toString('utf8'), theirs.data.toString('utf8'), `CRD ${g.name}`);
      }

      updateImage(dsResource('crd'), nsCrd, 'moved', V2);
      const updated = await waitRolledOut('crd', nsCrd, 'moved', nodes, V2, 120_000);
      await assertUpstreamBytes('crd', nsCrd, 'moved');
      const revs1 = await revisionList(nsCrd, 'moved');
      assert.equal(revs1.length, 2);

      rec.reset();
      const createdBefore = rec.created.size;
      moveDaemonSet('crd', 'native', nsCrd, 'moved');
      await waitSynced('native', nsCrd, 'moved', nodes.length);
      await new Promise((r) => setTimeout(r, 2000));
      const back = await waitRolledOut('native', nsCrd, 'moved', nodes, V2);
      rec.stop();
      assert.deepEqual(
        back.map((p) => p.metadata!.uid!).sort(),
        updated.map((p) => p.metadata!.uid!).sort(),
        'kube-controller-manager replaced pods everynode had rolled out',
      );
      assert.equal(rec.created.size, createdBefore, 'a pod was created during the move back');
      assert.equal(rec.maxNodesWithoutReady, 0);
      assert.deepEqual(
        await revisionList(nsCrd, 'moved'),
        revs1,
        'kube-controller-manager made its own revision',
      );
      assert.equal(
        (await getDs('native', nsCrd, 'moved')).status?.updatedNumberScheduled,
        nodes.length,
      );
    });

    let nativeUids: string[] = [];
    let nativeRevs: string[] = [];
    let nativeGolden: string[][] = [];
    test('kube-controller-manager -> everynode (native mode): nothing restarts', async () => {
      const before = await waitRolledOut('native', nsNative, 'agent', nodes, V1, 120_000);
      const revs0 = await revisionList(nsNative, 'agent');
      assert.equal(revs0.length, 1);
      const rec = new PodRecorder(nsNative, 'agent', nodes);
      await rec.start();
      rec.reset(); // the maxima counted while the list was read one pod at a time
      await setBuiltinDaemonSetController(false);
      nudgeStatus('native', nsNative, 'agent');
      const ctl = Everynode.start('handover-native', 'native', nsNative);
      running.push(ctl);
      await waitSynced('native', nsNative, 'agent', nodes.length);
      await new Promise((r) => setTimeout(r, 2000));
      assert.deepEqual(
        await podUids(nsNative, 'agent'),
        before.map((p) => p.metadata!.uid!).sort(),
        'everynode replaced pods kube-controller-manager had rolled out',
      );
      assert.equal(rec.created.size, nodes.length, 'a pod was created at the takeover');
      assert.deepEqual(await revisionList(nsNative, 'agent'), revs0);
      assert.equal(
        (await getDs('native', nsNative, 'agent')).status?.updatedNumberScheduled,
        nodes.length,
      );
      rec.stop();

      // The golden templates under everynode: the revisions it writes carry upstream's bytes.
      const mine = await recordGolden(api(), process.env.KUBECONFIG!, nsNative);
      for (const g of mine) {
        const theirs = kcmGolden.find((k) => k.name === g.name)!;
        assert.equal(g.data.toString('utf8'), theirs.data.toString('utf8'), `native ${g.name}`);
      }
      nativeGolden = await Promise.all(mine.map((g) => revisionList(nsNative, `golden-${g.name}`)));

      updateImage(dsResource('native'), nsNative, 'agent', V2);
      const updated = await waitRolledOut('native', nsNative, 'agent', nodes, V2, 120_000);
      await assertUpstreamBytes('native', nsNative, 'agent');
      nativeUids = updated.map((p) => p.metadata!.uid!).sort();
      nativeRevs = await revisionList(nsNative, 'agent');
      assert.equal(nativeRevs.length, 2);
      assert.equal(await ctl.stop(), 0);
    });

    test('everynode (native mode) -> kube-controller-manager: nothing restarts, no new revision', async () => {
      assert.equal(nativeRevs.length, 2, 'needs the test before');
      const rec = new PodRecorder(nsNative, 'agent', nodes);
      await rec.start();
      rec.reset(); // the maxima counted while the list was read one pod at a time
      const golden = kcmGolden.map((g) => `golden-${g.name}`);
      for (const name of ['agent', ...golden]) nudgeStatus('native', nsNative, name);
      await setBuiltinDaemonSetController(true);
      await waitSynced('native', nsNative, 'agent', nodes.length);
      for (const name of golden) await waitSynced('native', nsNative, name, 0);
      await new Promise((r) => setTimeout(r, 2000));
      rec.stop();
      assert.deepEqual(
        await podUids(nsNative, 'agent'),
        nativeUids,
        'kube-controller-manager replaced pods',
      );
      assert.equal(rec.created.size, nodes.length, 'a pod was created at the handover');
      assert.deepEqual(await revisionList(nsNative, 'agent'), nativeRevs);
      const ds = await waitRolledOut('native', nsNative, 'agent', nodes, V2);
      assert.equal(ds.length, nodes.length);
      // The golden templates: kube-controller-manager found everynode's revision current for each.
      assert.deepEqual(
        await Promise.all(golden.map((name) => revisionList(nsNative, name))),
        nativeGolden,
      );
    });
  },
);
