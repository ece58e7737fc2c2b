import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, Taint, Toleration } from '../../src/api/types.js';
import { unfitReason } from '../../src/sim/scheduler.js';
import { evictionDelay } from '../../src/sim/lifecycle.js';
import { buildNode, nodeHealth, resolveNodes, withHealthTaints } from '../../src/sim/nodes.js';

const node = (
  name: string,
  extra: {
    labels?: Record<string, string>;
    taints?: Taint[];
    pods?: number;
    unschedulable?: boolean;
  } = {},
): Node => {
  const n = buildNode(
    {
      name,
      labels: extra.labels ?? {},
      taints: extra.taints ?? [],
      pods: extra.pods ?? 110,
      ready: true,
    },
    0,
  );
  return extra.unschedulable ? { ...n, spec: { ...n.spec, unschedulable: true } } : n;
};
const pod = (spec: Pod['spec'] = { containers: [] }): Pod => ({
  metadata: { name: 'p', namespace: 'default' },
  spec,
});
const pinned = (target: string, tolerations: Toleration[] = []): Pod =>
  pod({
    containers: [],
    tolerations,
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchFields: [{ key: 'metadata.name', operator: 'In', values: [target] }] },
          ],
        },
      },
    },
  });

test('scheduler filters: affinity pin, nodeSelector, taints, cordon, capacity', () => {
  const cases: [string, Pod, Node, number, RegExp | ''][] = [
    ['fits its pinned node', pinned('a'), node('a'), 0, ''],
    ['pinned elsewhere', pinned('b'), node('a'), 0, /node affinity/],
    [
      'nodeSelector miss',
      pod({ containers: [], nodeSelector: { gpu: 'yes' } }),
      node('a'),
      0,
      /nodeSelector/,
    ],
    [
      'nodeSelector hit',
      pod({ containers: [], nodeSelector: { gpu: 'yes' } }),
      node('a', { labels: { gpu: 'yes' } }),
      0,
      '',
    ],
    [
      'untolerated NoSchedule',
      pinned('a'),
      node('a', { taints: [{ key: 'k', effect: 'NoSchedule' }] }),
      0,
      /untolerated taint k:NoSchedule/,
    ],
    [
      'PreferNoSchedule is ignored',
      pinned('a'),
      node('a', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] }),
      0,
      '',
    ],
    [
      'tolerated taint',
      pinned('a', [{ key: 'k', operator: 'Exists' }]),
      node('a', { taints: [{ key: 'k', effect: 'NoExecute' }] }),
      0,
      '',
    ],
    ['cordoned', pinned('a'), node('a', { unschedulable: true }), 0, /cordoned/],
    [
      'cordon tolerated',
      pinned('a', [
        { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
      ]),
      node('a', { unschedulable: true }),
      0,
      '',
    ],
    ['full', pinned('a'), node('a', { pods: 3 }), 3, /full \(3 pods\)/],
  ];
  for (const [name, p, n, load, want] of cases) {
    const got = unfitReason(p, n, load);
    if (want === '') assert.equal(got, '', name);
    else assert.match(got, want, name);
  }
});

test('taint manager: evict now, after tolerationSeconds, or never', () => {
  const noExec: Taint[] = [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }];
  assert.equal(evictionDelay(pod(), noExec), 0);
  assert.equal(
    evictionDelay(
      pod({
        containers: [],
        tolerations: [
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
        ],
      }),
      noExec,
    ),
    undefined,
  );
  assert.equal(
    evictionDelay(
      pod({
        containers: [],
        tolerations: [
          { operator: 'Exists', tolerationSeconds: 300 },
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 30 },
        ],
      }),
      noExec,
    ),
    30_000,
  );
  assert.equal(evictionDelay(pod(), [{ key: 'x', effect: 'NoSchedule' }]), undefined);
});

test('node health: conditions and lifecycle taints move together; user taints stay', () => {
  const user: Taint = { key: 'dedicated', value: 'db', effect: 'NoExecute' };
  const notReady = withHealthTaints([user], 'notReady', 0);
  assert.deepEqual(
    notReady.map((t) => t.key),
    ['dedicated', 'node.kubernetes.io/not-ready'],
  );
  const unreachable = withHealthTaints(notReady, 'unreachable', 0);
  assert.deepEqual(
    unreachable.map((t) => t.key),
    ['dedicated', 'node.kubernetes.io/unreachable'],
  );
  assert.deepEqual(withHealthTaints(unreachable, 'ready', 0), [user]);
  assert.equal(nodeHealth(node('a')), 'ready');
});

test('node references: names, labels, count; missing names reported', () => {
  const nodes = new Map(
    ['b', 'a', 'c'].map((n) => [n, node(n, { labels: n === 'c' ? { z: '1' } : { z: '2' } })]),
  );
  const names = (r: ReturnType<typeof resolveNodes>) => r.nodes.map((n) => n.metadata!.name);
  assert.deepEqual(names(resolveNodes(nodes, { labels: { z: '2' } })), ['a', 'b']);
  assert.deepEqual(names(resolveNodes(nodes, { count: 2 })), ['a', 'b']);
  assert.deepEqual(resolveNodes(nodes, { names: ['a', 'x'] }).missing, ['x']);
});
