/**
 * Scenarios 1–20 (shared/spec/scenarios.md, section A: eligibility and taints), run through the
 * harness model; most run with both strategies, as upstream does.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildNodeToDaemonPods } from '../../src/engine/nodepods.js';
import { nodeShouldRunDaemonPod } from '../../src/engine/eligibility.js';
import { pinAffinityToNode } from '../../src/engine/podfactory.js';
import type { Affinity, Mutable, Node, Pod, PodSpec } from '../../src/api/types.js';
import { Harness } from '../harness/harness.js';
import {
  BOTH_STRATEGIES,
  L1,
  L2,
  NL1,
  NL2,
  dsWith,
  newNode,
  newNodes,
  newOrphanPod,
  newOwnedPod,
  statusTuple,
  strategyName,
  type StrategySpec,
} from '../harness/fixtures.js';

type TemplateSpec = Mutable<PodSpec>;

function setup(
  strategy: StrategySpec,
  nodes: Node[],
  tweak: (spec: TemplateSpec) => void = () => undefined,
): Harness {
  const ds = dsWith(strategy, (d) => {
    tweak(d.spec!.template.spec!);
  });
  return new Harness({ ds, nodes });
}

const targets = (pods: readonly Pod[]): string[] =>
  pods
    .map(
      (p) =>
        p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
          ?.nodeSelectorTerms[0]?.matchFields?.[0]?.values?.[0] ?? '',
    )
    .sort();

const labeledNodes = (): Mutable<Node>[] => [
  ...newNodes(4),
  ...newNodes(3, { labels: NL1 }, 'node-', 4),
];

for (const strategy of BOTH_STRATEGIES) {
  describe(`section A with ${strategyName(strategy)}`, () => {
    test('scenario 1: simple DaemonSet runs on every node', () => {
      const h = setup(strategy, newNodes(5));
      const r = h.sync();
      assert.equal(r.creates, 5);
      assert.equal(r.deletes, 0);
      assert.deepEqual(r.events, []);
      assert.deepEqual(statusTuple(h.ds.status), [5, 5, 0, 0, 0, 5, 5]);
      assert.equal(h.ds.status?.observedGeneration, h.ds.metadata?.generation);
      assert.deepEqual(targets(r.created), ['node-0', 'node-1', 'node-2', 'node-3', 'node-4']);
    });

    test('scenario 2: created pods are pinned through affinity, not nodeName', () => {
      const h = setup(strategy, newNodes(5), (s) => {
        s.tolerations = [{ key: 'custom', operator: 'Exists' }];
      });
      const r = h.sync();
      const hash = h.lastPlan!.history!.currentRevision.hash;
      for (const pod of r.created) {
        assert.equal(pod.spec?.nodeName, undefined);
        const terms =
          pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
            ?.nodeSelectorTerms;
        assert.equal(terms?.length, 1);
        assert.equal(terms[0]?.matchFields?.length, 1);
        assert.equal(terms[0]?.matchExpressions, undefined);
        assert.equal(terms[0]?.matchFields?.[0]?.key, 'metadata.name');
        assert.equal(terms[0]?.matchFields?.[0]?.operator, 'In');
        const ref = pod.metadata?.ownerReferences?.[0];
        assert.deepEqual(
          {
            apiVersion: ref?.apiVersion,
            kind: ref?.kind,
            name: ref?.name,
            controller: ref?.controller,
            block: ref?.blockOwnerDeletion,
          },
          { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'foo', controller: true, block: true },
        );
        assert.equal(pod.metadata?.generateName, 'foo-');
        assert.deepEqual(pod.metadata?.labels, {
          ...L1,
          'controller-revision-hash': hash,
          'pod-template-generation': '1',
        });
        const keys = (pod.spec?.tolerations ?? []).map((t) => t.key);
        assert.deepEqual(keys, [
          'custom',
          'node.kubernetes.io/not-ready',
          'node.kubernetes.io/unreachable',
          'node.kubernetes.io/disk-pressure',
          'node.kubernetes.io/memory-pressure',
          'node.kubernetes.io/pid-pressure',
          'node.kubernetes.io/unschedulable',
        ]);
      }
      assert.deepEqual(targets(r.created), ['node-0', 'node-1', 'node-2', 'node-3', 'node-4']);
    });

    test('scenario 4: which node a pod belongs to; unmappable pods are ignored', () => {
      const ds = dsWith(strategy);
      const bound = newOwnedPod(ds, 'node-1', { name: 'a' });
      const pinned = newOwnedPod(ds, 'node-1', { name: 'b', unbound: true });
      const two = newOwnedPod(ds, 'node-1', { name: 'c', unbound: true });
      two.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms[0]!.matchFields![0]!.values =
        ['node-1', 'node-2'];
      const empty: Mutable<Pod> = {
        ...newOwnedPod(ds, 'node-1', { name: 'd' }),
        spec: { containers: [] },
      };
      const map = buildNodeToDaemonPods([bound, pinned, two, empty], false);
      assert.deepEqual([...map.keys()], ['node-1']);
      assert.deepEqual(
        map.get('node-1')?.map((p) => p.metadata?.name),
        ['a', 'b'],
      );
      // c. and d.: neither mapped, nor deleted, nor blocking a new pod anywhere.
      const h = new Harness({
        ds,
        nodes: [newNode('node-1'), newNode('node-2')],
        pods: [two, empty],
      });
      const r = h.sync();
      assert.equal(r.creates, 2);
      assert.equal(r.deletes, 0);
    });

    test('scenario 5: no nodes, or exactly one node', () => {
      const none = setup(strategy, []);
      const r0 = none.sync();
      assert.equal(r0.creates + r0.deletes, 0);
      assert.deepEqual(statusTuple(none.ds.status), [0, 0, 0, 0, 0, 0, 0]);
      const one = setup(strategy, [newNode('only-node')]);
      assert.equal(one.sync().creates, 1);
      one.bindAll();
      one.markAllReady();
      one.sync();
      assert.equal(one.ds.status?.numberReady, 1);
    });

    test('scenario 6: node conditions and system taints do not block daemon pods', () => {
      const cases: Mutable<Node>[] = [
        newNode('a', { conditions: { Ready: 'False' } }),
        newNode('b', {
          conditions: { Ready: 'False' },
          taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }],
        }),
        newNode('c', {
          conditions: { Ready: 'Unknown' },
          taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }],
        }),
        newNode('d', { conditions: { NetworkUnavailable: 'True' } }),
        newNode('e', {
          conditions: { DiskPressure: 'True', MemoryPressure: 'True', PIDPressure: 'True' },
          taints: [
            { key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' },
            { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
            { key: 'node.kubernetes.io/pid-pressure', effect: 'NoSchedule' },
          ],
        }),
      ];
      for (const node of cases) {
        const r = setup(strategy, [node]).sync();
        assert.equal(r.creates, 1, `node ${node.metadata?.name}`);
      }
    });

    test('scenario 7: cordoned node, and network-unavailable with hostNetwork', () => {
      const a = newNode('a', {
        unschedulable: true,
        taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }],
      });
      const b = newNode('b', {
        conditions: { Ready: 'False', NetworkUnavailable: 'True' },
        taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }],
      });
      const h = setup(strategy, [a, b], (s) => {
        s.hostNetwork = true;
      });
      assert.equal(h.sync().creates, 2);
      h.bindAll();
      h.markAllReady();
      assert.equal(h.sync().creates, 0);
      assert.equal(h.ds.status?.numberReady, 2);
    });

    test('scenario 9: resource and port checks are not the controller’s job', () => {
      const requests = (mem: string) => (s: TemplateSpec) => {
        s.containers[0]!.resources = { requests: { memory: mem } };
      };
      // a. nodeSelector decides, not capacity.
      const n1 = newNode('node1');
      n1.status!.allocatable = { pods: '100', memory: '10M' };
      const n2 = newNode('node2', { labels: NL1 });
      const a = setup(strategy, [n1, n2], (s) => {
        requests('50M')(s);
        s.nodeSelector = { ...NL1 };
      });
      const ra = a.sync();
      assert.equal(ra.creates, 1);
      assert.deepEqual(targets(ra.created), ['node2']);
      assert.deepEqual(ra.events, []);
      // b. other pods' use of resources is ignored.
      const b = setup(strategy, [newNode('too-much-mem')], (s) => {
        requests('75M')(s);
        s.nodeName = 'too-much-mem';
      });
      const other = newOrphanPod('too-much-mem', { labels: {} });
      other.spec!.containers[0]!.resources = { requests: { memory: '75M' } };
      b.addPod(other);
      assert.equal(b.sync().creates, 1);
      // c. an unrelated pod's host port.
      const c = setup(strategy, [newNode('port')], (s) => {
        s.containers[0]!.ports = [{ containerPort: 6662, hostPort: 6662 }];
      });
      const unrelated = newOrphanPod('port', { labels: {} });
      unrelated.spec!.containers[0]!.ports = [{ containerPort: 6661, hostPort: 6661 }];
      c.addPod(unrelated);
      assert.equal(c.sync().creates, 1);
      // d. our own pod already holding the port.
      const d = setup(strategy, [newNode('port')], (s) => {
        s.containers[0]!.ports = [{ containerPort: 666, hostPort: 666 }];
      });
      d.addOwnedPod('port');
      const rd = d.sync();
      assert.equal(rd.creates + rd.deletes, 0);
      // e. a pod that does not fit stays Pending, and still counts as scheduled.
      const x = newNode('x');
      x.status!.allocatable = { pods: '100', memory: '100M' };
      const y = newNode('y');
      y.status!.allocatable = { pods: '100', memory: '200M' };
      const e = setup(strategy, [x, y], requests('120M'));
      assert.equal(e.sync().creates, 2);
      const onY = e.podsOn('y')[0]!;
      e.pods = e.pods.map((p) => (p === onY ? { ...p, spec: { ...p.spec!, nodeName: 'y' } } : p));
      e.markReady(onY);
      e.sync();
      assert.deepEqual(statusTuple(e.ds.status).slice(0, 4), [2, 2, 0, 1]);
    });

    test('scenario 10: NodeShouldRunDaemonPod truth table', () => {
      const node = newNode('test-node', { labels: L1 });
      node.status!.allocatable = { pods: '100', memory: '100M', cpu: '1' };
      const unschedulable = newNode('test-node', { labels: L1, unschedulable: true });
      const rows: [string, (s: TemplateSpec) => void, boolean, boolean, Node?][] = [
        [
          'requests 50M',
          (s) => void (s.containers[0]!.resources = { requests: { memory: '50M' } }),
          true,
          true,
        ],
        [
          'requests 200M',
          (s) => void (s.containers[0]!.resources = { requests: { memory: '200M' } }),
          true,
          true,
        ],
        ['nodeName other-node', (s) => void (s.nodeName = 'other-node'), false, false],
        [
          'host port 666',
          (s) => void (s.containers[0]!.ports = [{ containerPort: 666, hostPort: 666 }]),
          true,
          true,
        ],
        ['nodeSelector L2', (s) => void (s.nodeSelector = { ...L2 }), false, false],
        ['nodeSelector L1', (s) => void (s.nodeSelector = { ...L1 }), true, true],
        [
          'affinity type In [test]',
          (s) => void (s.affinity = affinityIn('type', 'test')),
          false,
          false,
        ],
        [
          'affinity type In [production]',
          (s) => void (s.affinity = affinityIn('type', 'production')),
          true,
          true,
        ],
        ['node unschedulable without taint', () => undefined, true, true, unschedulable],
      ];
      for (const [label, tweak, run, cont, n] of rows) {
        const ds = dsWith(strategy, (d) => {
          tweak(d.spec!.template.spec!);
        });
        const e = nodeShouldRunDaemonPod(n ?? node, ds);
        assert.deepEqual([e.shouldRun, e.shouldContinueRunning], [run, cont], label);
        assert.equal(e.reason === '', run && cont, label);
      }
    });

    test('scenario 11: nodeSelector matching', () => {
      const a = setup(strategy, labeledNodes(), (s) => void (s.nodeSelector = { ...NL1 }));
      assert.deepEqual(targets(a.sync().created), ['node-4', 'node-5', 'node-6']);
      const b = setup(strategy, labeledNodes(), (s) => void (s.nodeSelector = { ...NL2 }));
      assert.equal(b.sync().creates, 0);
      assert.match(
        b.lastPlan!.nodes[4]!.reason,
        /^nodeSelector wants color=red; node has color=blue$/,
      );
      assert.match(
        b.lastPlan!.nodes[0]!.reason,
        /^nodeSelector wants color=red; node has no label color$/,
      );
    });

    test('scenario 12: template nodeName', () => {
      const a = setup(strategy, newNodes(5), (s) => void (s.nodeName = 'node-0'));
      const ra = a.sync();
      assert.equal(ra.creates, 1);
      assert.equal(ra.created[0]?.spec?.nodeName, 'node-0');
      assert.deepEqual(targets(ra.created), ['node-0']);
      assert.equal(a.lastPlan!.nodes[1]!.reason, 'the template pins nodeName node-0');
      const b = setup(strategy, newNodes(5), (s) => void (s.nodeName = 'node-10'));
      assert.equal(b.sync().creates, 0);
      const c = setup(strategy, labeledNodes(), (s) => {
        s.nodeSelector = { ...NL1 };
        s.nodeName = 'node-6';
      });
      assert.deepEqual(targets(c.sync().created), ['node-6']);
      const d = setup(strategy, labeledNodes(), (s) => {
        s.nodeSelector = { ...NL1 };
        s.nodeName = 'node-0';
      });
      assert.equal(d.sync().creates, 0);
    });

    test('scenario 13: required node affinity', () => {
      const a = setup(
        strategy,
        labeledNodes(),
        (s) => void (s.affinity = affinityIn('color', 'blue')),
      );
      assert.equal(a.sync().creates, 3);
      assert.match(a.lastPlan!.nodes[0]!.reason, /^required node affinity does not match: /);
      const nodes = [
        ...newNodes(2),
        ...newNodes(2, { labels: { zone: 'test' } }, 'node-', 2),
        ...newNodes(2, {}, 'node-', 4),
      ];
      const b = setup(strategy, nodes, (s) => {
        s.affinity = {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'zone', operator: 'In', values: ['test'] }] },
                { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] },
              ],
            },
          },
        };
      });
      assert.deepEqual(targets(b.sync().created), ['node-1', 'node-2', 'node-3']);
      b.bindAll();
      b.markAllReady();
      b.sync();
      assert.equal(b.ds.status?.numberReady, 3);
    });

    test('scenario 15: untolerated NoSchedule taint', () => {
      const tainted = () => [
        newNode('tainted', {
          taints: [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }],
        }),
      ];
      const tolerate = (s: TemplateSpec) =>
        void (s.tolerations = [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }]);
      const a = setup(strategy, tainted());
      assert.equal(a.sync().creates, 0);
      assert.equal(
        a.lastPlan!.nodes[0]!.reason,
        'taint dedicated=user1:NoSchedule is not tolerated (existing pods keep running)',
      );
      assert.equal(setup(strategy, tainted(), tolerate).sync().creates, 1);
      assert.equal(setup(strategy, [newNode('plain')], tolerate).sync().creates, 1);
    });

    test('scenario 16: NoSchedule taint added under a running pod', () => {
      const h = setup(strategy, [
        newNode('tainted', {
          taints: [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }],
        }),
      ]);
      h.addOwnedPod('tainted');
      const r = h.sync();
      assert.equal(r.creates + r.deletes, 0);
      assert.deepEqual(statusTuple(h.ds.status), [0, 0, 1, 0, 0, 0, 0]);
    });

    test('scenario 17: NoExecute taint added under a running pod', () => {
      const h = setup(strategy, [
        newNode('tainted', { taints: [{ key: 'dedicated', value: 'user1', effect: 'NoExecute' }] }),
      ]);
      const pod = h.addOwnedPod('tainted');
      const r = h.sync();
      assert.equal(r.creates, 0);
      assert.deepEqual(r.deleted, [pod.metadata?.name]);
      assert.equal(
        r.plan.deletes[0]?.reason,
        'node no longer eligible: taint dedicated=user1:NoExecute is not tolerated',
      );
      assert.deepEqual(statusTuple(h.ds.status), [0, 0, 0, 0, 0, 0, 0]);
    });

    test('scenario 18: taint removal starts the pod', () => {
      const h = setup(strategy, [
        newNode('node-with-taint', {
          taints: [{ key: 'key1', value: 'val1', effect: 'NoSchedule' }],
        }),
        newNode('node-without-taint'),
      ]);
      assert.deepEqual(targets(h.sync().created), ['node-without-taint']);
      h.bindAll();
      h.markAllReady();
      h.sync();
      assert.equal(h.ds.status?.numberReady, 1);
      h.updateNode('node-with-taint', (n) => void (n.spec!.taints = []));
      assert.deepEqual(targets(h.sync().created), ['node-with-taint']);
      h.bindAll();
      h.markAllReady();
      h.sync();
      assert.equal(h.ds.status?.numberReady, 2);
    });

    test('scenario 20: merging the default tolerations', () => {
      const userTolerations = (s: TemplateSpec) =>
        void (s.tolerations = [
          { key: 'custom', operator: 'Exists' },
          {
            key: 'node.kubernetes.io/not-ready',
            operator: 'Exists',
            effect: 'NoExecute',
            tolerationSeconds: 300,
          },
        ]);
      const pod = setup(strategy, [newNode('n')], userTolerations).sync().created[0]!;
      assert.deepEqual(pod.spec?.tolerations, [
        { key: 'custom', operator: 'Exists' },
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
        { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
      ]);
      const withHostNetwork = setup(strategy, [newNode('n')], (s) => {
        userTolerations(s);
        s.hostNetwork = true;
      }).sync().created[0]!;
      assert.deepEqual(withHostNetwork.spec?.tolerations?.at(-1), {
        key: 'node.kubernetes.io/network-unavailable',
        operator: 'Exists',
        effect: 'NoSchedule',
      });
    });
  });
}

function affinityIn(key: string, value: string): Mutable<Affinity> {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key, operator: 'In', values: [value] }] }],
      },
    },
  };
}

describe('scenario 3: affinity replacement rules', () => {
  const pin = {
    nodeSelectorTerms: [
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['host_1'] }] },
    ],
  };
  const required = (terms: Mutable<Affinity>['nodeAffinity']) => ({ nodeAffinity: terms });
  const cases: [string, Affinity | undefined, Affinity][] = [
    [
      'a. nil affinity',
      undefined,
      { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: pin } },
    ],
    [
      'b. hostname matchExpression',
      required({
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: 'kubernetes.io/hostname', operator: 'In', values: ['host_1'] },
              ],
            },
          ],
        },
      }),
      { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: pin } },
    ],
    [
      'c. only preferred terms',
      required({
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 1, preference: { matchExpressions: [{ key: 'a', operator: 'Exists' }] } },
        ],
      }),
      {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 1, preference: { matchExpressions: [{ key: 'a', operator: 'Exists' }] } },
          ],
          requiredDuringSchedulingIgnoredDuringExecution: pin,
        },
      },
    ],
    [
      'd. two names',
      required({
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchFields: [{ key: 'metadata.name', operator: 'In', values: ['host_1', 'host_2'] }],
            },
          ],
        },
      }),
      { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: pin } },
    ],
    [
      'e. two terms',
      required({
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: 'kubernetes.io/hostname', operator: 'In', values: ['host_1'] },
              ],
            },
            { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['host_2'] }] },
          ],
        },
      }),
      { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: pin } },
    ],
    [
      'f. NotIn',
      required({
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['host_2'] }] },
          ],
        },
      }),
      { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: pin } },
    ],
    [
      'g. other field',
      required({
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchFields: [{ key: 'metadata.foo', operator: 'In', values: ['bar'] }] },
          ],
        },
      }),
      { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: pin } },
    ],
  ];
  for (const [label, input, want] of cases) {
    test(`scenario 3${label}`, () => {
      const before = structuredClone(input);
      assert.deepEqual(pinAffinityToNode(input, 'host_1'), want);
      assert.deepEqual(input, before, 'input untouched');
    });
  }
});
