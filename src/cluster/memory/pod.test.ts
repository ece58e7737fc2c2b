import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from '../../api/types.js';
import { VirtualClock } from '../../clock/virtual.js';
import { InvalidError } from '../port.js';
import { MemoryCluster } from './cluster.js';

async function stored(
  spec: Record<string, unknown>,
): Promise<{ cluster: MemoryCluster; pod: Pod }> {
  const cluster = new MemoryCluster({ clock: new VirtualClock() });
  const pod = await cluster.create<Pod>('Pod', {
    metadata: { name: 'p', namespace: 'default' },
    spec: spec as Pod['spec'],
  });
  return { cluster, pod };
}

const withSpec = (pod: Pod, spec: Record<string, unknown>): Pod =>
  ({ ...pod, spec: { ...pod.spec, ...spec } }) as Pod;

test('pod update: images may change, other container fields may not', async () => {
  const { cluster, pod } = await stored({
    containers: [
      { name: 'a', image: 'a:1' },
      { name: 'b', image: 'b:1' },
    ],
  });
  const changed = await cluster.update<Pod>(
    'Pod',
    withSpec(pod, {
      containers: [
        { name: 'a', image: 'a:2' },
        { name: 'b', image: 'b:1' },
      ],
    }),
  );
  assert.equal(changed.spec?.containers[0]?.image, 'a:2');
  await assert.rejects(
    cluster.update(
      'Pod',
      withSpec(changed, {
        containers: [
          { name: 'a', image: 'a:3' },
          { name: 'c', image: 'b:1' },
        ],
      }),
    ),
    InvalidError,
  );
  await assert.rejects(
    cluster.update('Pod', withSpec(changed, { containers: [{ name: 'a', image: 'a:2' }] })),
    InvalidError,
  );
});

test('pod update: absent, null and empty fields are alike; a new non-empty field is Forbidden', async () => {
  const { cluster, pod } = await stored({ containers: [{ name: 'a', image: 'a:1' }], volumes: [] });
  const same = await cluster.update<Pod>(
    'Pod',
    withSpec(pod, { volumes: undefined, nodeSelector: {}, initContainers: [] }),
  );
  assert.equal(same.metadata?.resourceVersion, pod.metadata?.resourceVersion);
  await assert.rejects(
    cluster.update('Pod', withSpec(pod, { nodeSelector: { a: 'b' } })),
    InvalidError,
  );
  await assert.rejects(
    cluster.update('Pod', withSpec(pod, { restartPolicy: 'Never' })),
    InvalidError,
  );
});

test('pod update: a bound pod keeps its node; dropping a stored field is Forbidden', async () => {
  const { cluster, pod } = await stored({
    containers: [{ name: 'a', image: 'a:1' }],
    restartPolicy: 'Always',
  });
  const bound = await cluster.update<Pod>('Pod', withSpec(pod, { nodeName: 'n1' }));
  assert.equal(bound.spec?.nodeName, 'n1');
  await assert.rejects(cluster.update('Pod', withSpec(bound, { nodeName: 'n2' })), InvalidError);
  const { restartPolicy: _, ...rest } = bound.spec;
  await assert.rejects(cluster.update('Pod', { ...bound, spec: rest }), InvalidError);
});
