/** Conformance: pod registry rules the controller and the kubelet rely on, graceful deletion. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { InvalidError } from '../../src/cluster/port.js';
import { isGone, pod, rejectsWith, withTarget, type MakeCluster } from './helpers.js';

/** Registers the pod tests. */
export function podTests(make: MakeCluster): void {
  // kube-apiserver's pods/status keeps spec and owner references but, unlike most status
  // subresources, takes label changes; so the test asks only for the first two.
  test('a new pod is Pending; update keeps status and updateStatus keeps spec and owners', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const p = await cluster.create<Pod>(
        'Pod',
        pod(namespace, 'p', { nodeName: `${namespace}-node` }),
      );
      assert.equal(p.status?.phase, 'Pending');
      const owner = {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        name: 'not-an-owner',
        uid: '00000000-0000-0000-0000-000000000001',
      };
      const running = await cluster.updateStatus<Pod>('Pod', {
        ...p,
        metadata: { ...p.metadata, ownerReferences: [owner] },
        spec: {
          ...p.spec!,
          containers: [{ ...p.spec!.containers[0]!, image: 'registry.k8s.io/pause:3.10' }],
        },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
      });
      assert.equal(running.status?.phase, 'Running');
      assert.deepEqual(running.spec, p.spec);
      assert.deepEqual(running.metadata?.ownerReferences, p.metadata?.ownerReferences);
      const relabelled = await cluster.update<Pod>('Pod', {
        ...running,
        metadata: { ...running.metadata, labels: { app: 'conf', extra: '1' } },
        status: { phase: 'Failed' },
      });
      assert.equal(relabelled.metadata?.labels?.extra, '1');
      assert.equal(relabelled.status?.phase, 'Running');
    }));

  test('pod spec is immutable apart from a few fields', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const p = await cluster.create<Pod>('Pod', pod(namespace, 'p'));
      const renamed = {
        ...p,
        spec: { ...p.spec!, containers: [{ name: 'other', image: 'registry.k8s.io/pause:3.9' }] },
      };
      await rejectsWith(cluster.update('Pod', renamed), InvalidError);
      const reimaged = {
        ...p,
        spec: {
          ...p.spec!,
          containers: [{ ...p.spec!.containers[0]!, image: 'registry.k8s.io/pause:3.10' }],
        },
      };
      const next = await cluster.update<Pod>('Pod', reimaged);
      assert.equal(next.spec?.containers[0]?.image, 'registry.k8s.io/pause:3.10');
    }));

  test('deleting a bound pod is graceful: deletionTimestamp first, gone after a delete with grace 0', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      await cluster.create('Pod', pod(namespace, 'g', { nodeName: `${namespace}-node` }));
      await cluster.delete('Pod', namespace, 'g', { gracePeriodSeconds: 20 });
      const terminating = await cluster.get<Pod>('Pod', namespace, 'g');
      assert.ok(terminating.metadata?.deletionTimestamp);
      assert.equal(terminating.metadata?.deletionGracePeriodSeconds, 20);
      await cluster.delete('Pod', namespace, 'g', { gracePeriodSeconds: 0 });
      assert.ok(await isGone(cluster, 'Pod', namespace, 'g'));
    }));

  test('the default grace period is the pod terminationGracePeriodSeconds', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const base = pod(namespace, 'tg', { nodeName: `${namespace}-node` });
      await cluster.create('Pod', {
        ...base,
        spec: { ...base.spec!, terminationGracePeriodSeconds: 7 },
      });
      await cluster.delete('Pod', namespace, 'tg');
      const terminating = await cluster.get<Pod>('Pod', namespace, 'tg');
      assert.equal(terminating.metadata?.deletionGracePeriodSeconds, 7);
      await cluster.delete('Pod', namespace, 'tg', { gracePeriodSeconds: 0 });
    }));

  test('an unbound pod is removed at once', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      await cluster.create('Pod', pod(namespace, 'u'));
      await cluster.delete('Pod', namespace, 'u');
      assert.ok(await isGone(cluster, 'Pod', namespace, 'u'));
    }));

  test('list pods by field selector spec.nodeName and by label selector', () =>
    withTarget(make, async ({ cluster, namespace }) => {
      const a = `${namespace}-a`;
      await cluster.create(
        'Pod',
        pod(namespace, 'p1', { nodeName: a, labels: { app: 'x', tier: 'web' } }),
      );
      await cluster.create(
        'Pod',
        pod(namespace, 'p2', { nodeName: `${namespace}-b`, labels: { app: 'x' } }),
      );
      await cluster.create('Pod', pod(namespace, 'p3', { labels: { app: 'y' } }));
      const names = (items: readonly Pod[]): string[] => items.map((p) => p.metadata!.name!).sort();
      const onA = await cluster.list<Pod>('Pod', {
        namespace,
        fieldSelector: `spec.nodeName=${a}`,
      });
      assert.deepEqual(names(onA.items), ['p1']);
      const unbound = await cluster.list<Pod>('Pod', {
        namespace,
        fieldSelector: 'spec.nodeName=',
      });
      assert.deepEqual(names(unbound.items), ['p3']);
      const x = await cluster.list<Pod>('Pod', { namespace, labelSelector: 'app=x' });
      assert.deepEqual(names(x.items), ['p1', 'p2']);
      const notWeb = await cluster.list<Pod>('Pod', {
        namespace,
        labelSelector: 'app in (x,y),tier!=web',
      });
      assert.deepEqual(names(notWeb.items), ['p2', 'p3']);
      const byName = await cluster.list<Pod>('Pod', {
        namespace,
        fieldSelector: 'metadata.name=p2',
      });
      assert.deepEqual(names(byName.items), ['p2']);
      for (const p of ['p1', 'p2'])
        await cluster.delete('Pod', namespace, p, { gracePeriodSeconds: 0 });
    }));
}
