/**
 * End to end against the real control plane, in both resource modes: `everynode run` puts a pod
 * on every node, follows a node joining and leaving, a label change (nodeSelector) and a taint
 * (NoExecute evicts, removing it brings the pod back), and replaces a pod the kubelet reports
 * Failed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createDs,
  createNode,
  deleteNode,
  dropNamespaces,
  dsManifest,
  Everynode,
  failPod,
  installCrd,
  livePods,
  modes,
  nodeOf,
  readyNodes,
  closeApi,
  waitRolledOut,
  waitUntil,
} from './helpers.js';
import { freshNamespace, kubectl, skipReason } from './kubectl.js';

describe('e2e: nodes, labels, taints, failed pods', { skip: skipReason }, () => {
  const namespaces: string[] = [];
  let base: string[] = [];
  before(async () => {
    await installCrd();
    base = await readyNodes();
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
        ns = await freshNamespace(`e2e-nodes-${mode}`);
        namespaces.push(ns);
        ctl = Everynode.start(`nodes-${mode}`, mode, ns);
        await ctl.waitForLog('daemonset controller started');
      });
      after(async () => {
        const code = await ctl?.stop();
        assert.equal(code, 0, `everynode exited with ${code} after SIGTERM`);
      });

      test('a DaemonSet reaches every node, and its status says so', async () => {
        createDs(dsManifest(mode, ns, 'every'));
        const pods = await waitRolledOut(mode, ns, 'every', base, 'registry.invalid/agent:1');
        for (const p of pods) {
          assert.equal(p.metadata?.ownerReferences?.[0]?.kind, 'DaemonSet');
          assert.equal(p.metadata?.ownerReferences?.[0]?.controller, true);
          assert.ok(p.metadata?.labels?.['controller-revision-hash'], 'revision hash label');
        }
      });

      test('a node joining gets a pod; a node leaving loses it', async () => {
        const extra = `e2e-join-${mode}`;
        try {
          createNode(extra);
          await waitRolledOut(mode, ns, 'every', [...base, extra], 'registry.invalid/agent:1');
          deleteNode(extra);
          await waitRolledOut(mode, ns, 'every', base, 'registry.invalid/agent:1', 90_000, [extra]);
        } finally {
          deleteNode(extra);
        }
      });

      test('a label change moves the pods a nodeSelector allows', async () => {
        const key = `e2e-pick-${mode}`;
        const [a, b] = base as [string, string];
        try {
          kubectl(['label', 'node', a, b, `${key}=yes`, '--overwrite']);
          createDs(dsManifest(mode, ns, 'picky', { nodeSelector: { [key]: 'yes' } }));
          await waitRolledOut(mode, ns, 'picky', [a, b], 'registry.invalid/agent:1');
          kubectl(['label', 'node', b, `${key}-`]);
          await waitRolledOut(mode, ns, 'picky', [a], 'registry.invalid/agent:1');
          kubectl(['label', 'node', b, `${key}=yes`, '--overwrite']);
          await waitRolledOut(mode, ns, 'picky', [a, b], 'registry.invalid/agent:1');
        } finally {
          kubectl(['label', 'node', a, b, `${key}-`]);
        }
      });

      test('a NoExecute taint evicts the pod; removing it brings one back', async () => {
        const node = base[base.length - 1]!;
        const taint = `e2e-${mode}=x:NoExecute`;
        const rest = base.filter((n) => n !== node);
        try {
          kubectl(['taint', 'node', node, taint]);
          await waitRolledOut(mode, ns, 'every', rest, 'registry.invalid/agent:1');
          kubectl(['taint', 'node', node, `${taint}-`]);
          await waitRolledOut(mode, ns, 'every', base, 'registry.invalid/agent:1');
        } finally {
          try {
            kubectl(['taint', 'node', node, `${taint}-`]);
          } catch {
            // removed already
          }
        }
      });

      test('a pod reported Failed is deleted and recreated on its node', async () => {
        const before = await livePods(ns, 'every');
        const victim = before.find((p) => nodeOf(p) === base[0])!;
        failPod(ns, victim.metadata!.name!);
        await waitUntil(`a new pod replaces ${victim.metadata!.name!}`, async () => {
          const now = await livePods(ns, 'every');
          return (
            !now.some((p) => p.metadata?.uid === victim.metadata?.uid) &&
            now.some((p) => nodeOf(p) === base[0])
          );
        });
        const pods = await waitRolledOut(mode, ns, 'every', base, 'registry.invalid/agent:1');
        const kept = before.filter((p) => p.metadata?.uid !== victim.metadata?.uid);
        for (const p of kept)
          assert.ok(
            pods.some((q) => q.metadata?.uid === p.metadata?.uid),
            `healthy pod ${p.metadata?.name} was replaced`,
          );
        // The failure is reported as upstream does.
        const events = kubectl(['-n', ns, 'get', 'events', '-o', 'json']);
        assert.match(events, /FailedDaemonPod|failed/i);
      });
    });
  }
});
