/**
 * End to end against the real control plane, in both resource modes: rolling updates bounded by
 * maxUnavailable and by maxSurge (checked on every pod watch event), OnDelete, and rollbacks with
 * `everynode rollout undo` and, for apps/v1, `kubectl rollout undo`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
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
  imageOf,
  installCrd,
  livePods,
  modes,
  PodRecorder,
  readyNodes,
  root,
  setImage,
  waitRolledOut,
  waitUntil,
  type Mode,
} from './helpers.js';
import { freshNamespace, kubectl, skipReason } from './kubectl.js';

const V1 = 'registry.invalid/agent:1';
const V2 = 'registry.invalid/agent:2';

function everynodeRollout(mode: Mode, ns: string, args: readonly string[]): string {
  return execFileSync(
    process.execPath,
    [
      join(root, 'bin', 'everynode.js'),
      'rollout',
      ...args,
      '-n',
      ns,
      '--resource',
      mode,
      '--kubeconfig',
      process.env.KUBECONFIG!,
    ],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
  );
}

async function revisions(ns: string, name: string): Promise<ControllerRevision[]> {
  const l = await api().list<ControllerRevision>('ControllerRevision', {
    namespace: ns,
    labelSelector: `app=${name}`,
  });
  return [...l.items].sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
}

describe('e2e: rolling updates, OnDelete, rollback', { skip: skipReason }, () => {
  const namespaces: string[] = [];
  let nodes: string[] = [];
  before(async () => {
    await installCrd();
    nodes = await readyNodes();
  });
  after(() => {
    dropNamespaces(namespaces);
    closeApi();
  });

  for (const mode of modes) {
    describe(`--resource ${mode}`, () => {
      let ns = '';
      let ctl: Everynode | undefined;
      before(async () => {
        ns = await freshNamespace(`e2e-roll-${mode}`);
        namespaces.push(ns);
        ctl = Everynode.start(`rollout-${mode}`, mode, ns);
        await ctl.waitForLog('daemonset controller started');
      });
      after(async () => {
        assert.equal(await ctl?.stop(), 0);
      });

      test('a rolling update with maxUnavailable=2 never has more than 2 nodes down', async () => {
        const rec = new PodRecorder(ns, 'unavail', nodes);
        await rec.start();
        try {
          createDs(dsManifest(mode, ns, 'unavail', { maxUnavailable: 2, minReadySeconds: 1 }));
          await waitRolledOut(mode, ns, 'unavail', nodes, V1);
          rec.reset();
          setImage(mode, ns, 'unavail', V2);
          await waitRolledOut(mode, ns, 'unavail', nodes, V2);
          assert.ok(rec.maxNodesWithoutReady <= 2, `${rec.maxNodesWithoutReady} nodes were down`);
          assert.ok(rec.maxNodesWithoutReady >= 1, 'no node was ever without a ready pod');
          assert.equal(rec.maxPodsPerNode, 1, 'a node had two pods without maxSurge');
        } finally {
          rec.stop();
        }
      });

      test('a rolling update with maxSurge=1 keeps a ready pod on every node', async () => {
        const rec = new PodRecorder(ns, 'surge', nodes);
        await rec.start();
        try {
          createDs(
            dsManifest(mode, ns, 'surge', { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 1 }),
          );
          await waitRolledOut(mode, ns, 'surge', nodes, V1);
          rec.reset();
          setImage(mode, ns, 'surge', V2);
          await waitRolledOut(mode, ns, 'surge', nodes, V2);
          assert.equal(rec.maxNodesWithoutReady, 0, 'a node was left without a ready pod');
          assert.equal(rec.maxPodsPerNode, 2, 'the surge pod never ran beside the old one');
        } finally {
          rec.stop();
        }
      });

      test('OnDelete replaces a pod only when it is deleted', async () => {
        createDs(dsManifest(mode, ns, 'ondel', { strategy: 'OnDelete' }));
        const first = await waitRolledOut(mode, ns, 'ondel', nodes, V1);
        setImage(mode, ns, 'ondel', V2);
        await waitUntil('the new generation observed', async () => {
          const ds = await getDs(mode, ns, 'ondel');
          return (ds.status?.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 1);
        });
        await new Promise((r) => setTimeout(r, 3000));
        const still = await livePods(ns, 'ondel');
        assert.deepEqual(
          still.map((p) => p.metadata?.uid).sort(),
          first.map((p) => p.metadata?.uid).sort(),
          'OnDelete replaced pods on its own',
        );
        const victim = first[0]!;
        kubectl(['-n', ns, 'delete', 'pod', victim.metadata!.name!, '--wait=false']);
        await waitUntil('the deleted pod is replaced with the new template', async () => {
          const pods = await livePods(ns, 'ondel');
          const ds = await getDs(mode, ns, 'ondel');
          return (
            pods.length === nodes.length &&
            pods.filter((p) => imageOf(p) === V2).length === 1 &&
            ds.status?.updatedNumberScheduled === 1 &&
            ds.status.numberReady === nodes.length
          );
        });
      });

      test('everynode rollout undo rolls back to the previous revision', async () => {
        createDs(dsManifest(mode, ns, 'undo', { maxUnavailable: '100%' }));
        await waitRolledOut(mode, ns, 'undo', nodes, V1);
        setImage(mode, ns, 'undo', V2);
        await waitRolledOut(mode, ns, 'undo', nodes, V2);
        const out = everynodeRollout(mode, ns, ['undo', 'undo']);
        assert.match(out, /rolled back/);
        await waitRolledOut(mode, ns, 'undo', nodes, V1);
        const revs = await revisions(ns, 'undo');
        assert.deepEqual(
          revs.map((r) => r.revision),
          [2, 3],
          'revision 1 should be re-numbered 3, not duplicated',
        );
        const history = everynodeRollout(mode, ns, ['history', 'undo']);
        assert.match(history, /^2\s/m);
        assert.match(history, /^3\s/m);
      });

      if (mode === 'native') {
        test('kubectl rollout undo works on a DaemonSet everynode manages', async () => {
          createDs(dsManifest(mode, ns, 'kundo', { maxUnavailable: '100%' }));
          await waitRolledOut(mode, ns, 'kundo', nodes, V1);
          setImage(mode, ns, 'kundo', V2);
          await waitRolledOut(mode, ns, 'kundo', nodes, V2);
          const hist = kubectl(['-n', ns, 'rollout', 'history', 'daemonset/kundo']);
          assert.match(hist, /^1\s/m);
          assert.match(hist, /^2\s/m);
          kubectl(['-n', ns, 'rollout', 'undo', 'daemonset/kundo']);
          await waitRolledOut(mode, ns, 'kundo', nodes, V1);
          kubectl(['-n', ns, 'rollout', 'status', 'daemonset/kundo', '--timeout=60s']);
          const revs = await revisions(ns, 'kundo');
          assert.deepEqual(
            revs.map((r) => r.revision),
            [2, 3],
          );
        });
      }
    });
  }
});
