import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { DaemonSet, Mutable, Node, PodSpec, Taint } from '../api/types.js';
import { makeEligibilityChecker, nodeShouldRunDaemonPod } from './eligibility.js';

function ds(tweak: (s: Mutable<PodSpec>) => void = () => undefined): DaemonSet {
  const spec: Mutable<PodSpec> = { containers: [{ name: 'c', image: 'i' }] };
  tweak(spec);
  return {
    metadata: { name: 'foo', namespace: 'default', uid: 'u' },
    spec: {
      selector: { matchLabels: { a: 'b' } },
      template: { metadata: { labels: { a: 'b' } }, spec },
    },
  };
}

function node(name: string, labels: Record<string, string> = {}, taints: Taint[] = []): Node {
  return { metadata: { name, labels }, spec: { taints } };
}

test('eligibility reasons name what is at fault, in the order of §2.1', () => {
  const rows: [string, DaemonSet, Node, boolean, boolean, string][] = [
    ['untainted', ds(), node('n'), true, true, ''],
    [
      'nodeName',
      ds((s) => void (s.nodeName = 'node-6')),
      node('n'),
      false,
      false,
      'the template pins nodeName node-6',
    ],
    [
      'nodeSelector value',
      ds((s) => void (s.nodeSelector = { color: 'blue' })),
      node('n', { color: 'red' }),
      false,
      false,
      'nodeSelector wants color=blue; node has color=red',
    ],
    [
      'nodeSelector missing label',
      ds((s) => void (s.nodeSelector = { color: 'blue' })),
      node('n'),
      false,
      false,
      'nodeSelector wants color=blue; node has no label color',
    ],
    [
      'NoSchedule',
      ds(),
      node('n', {}, [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }]),
      false,
      true,
      'taint dedicated=user1:NoSchedule is not tolerated (existing pods keep running)',
    ],
    [
      'NoExecute',
      ds(),
      node('n', {}, [{ key: 'x', effect: 'NoExecute' }]),
      false,
      false,
      'taint x:NoExecute is not tolerated',
    ],
    [
      'NoExecute wins over an earlier NoSchedule',
      ds(),
      node('n', {}, [
        { key: 'a', effect: 'NoSchedule' },
        { key: 'b', effect: 'NoExecute' },
      ]),
      false,
      false,
      'taint b:NoExecute is not tolerated',
    ],
    [
      'PreferNoSchedule ignored',
      ds(),
      node('n', {}, [{ key: 'p', effect: 'PreferNoSchedule' }]),
      true,
      true,
      '',
    ],
    [
      'tolerationSeconds still tolerates',
      ds(
        (s) =>
          void (s.tolerations = [
            { key: 'x', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 },
          ]),
      ),
      node('n', {}, [{ key: 'x', effect: 'NoExecute' }]),
      true,
      true,
      '',
    ],
    [
      'network-unavailable without hostNetwork',
      ds(),
      node('n', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]),
      false,
      true,
      'taint node.kubernetes.io/network-unavailable:NoSchedule is not tolerated (existing pods keep running)',
    ],
    [
      'network-unavailable with hostNetwork',
      ds((s) => void (s.hostNetwork = true)),
      node('n', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]),
      true,
      true,
      '',
    ],
    [
      'not-ready NoExecute tolerated by default',
      ds(),
      node('n', {}, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]),
      true,
      true,
      '',
    ],
  ];
  for (const [label, d, n, run, cont, reason] of rows) {
    const { cause, ...got } = nodeShouldRunDaemonPod(n, d);
    assert.deepEqual(got, { shouldRun: run, shouldContinueRunning: cont, reason }, label);
    // The failed check is named for metrics; the reason's first word says which one.
    const want = { the: 'nodeName', nodeSelector: 'nodeSelector', taint: 'taint' }[
      reason.split(' ')[0] as 'the' | 'nodeSelector' | 'taint'
    ];
    assert.equal(cause, want, label);
  }
});

test('an unmatched required node affinity has cause nodeAffinity', () => {
  const d = ds(
    (s) =>
      void (s.affinity = {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'gpu', operator: 'In', values: ['yes'] }] },
            ],
          },
        },
      }),
  );
  const e = nodeShouldRunDaemonPod(node('n'), d);
  assert.equal(e.shouldRun, false);
  assert.equal(e.cause, 'nodeAffinity');
  assert.equal(nodeShouldRunDaemonPod(node('n', { gpu: 'yes' }), d).cause, undefined);
});

test('required node affinity reasons start with a fixed prefix', () => {
  const d = ds(
    (s) =>
      void (s.affinity = {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
            ],
          },
        },
      }),
  );
  const e = nodeShouldRunDaemonPod(node('n', { zone: 'b' }), d);
  assert.equal(e.shouldRun, false);
  assert.equal(e.shouldContinueRunning, false);
  assert.match(e.reason, /^required node affinity does not match: .+/);
  assert.equal(nodeShouldRunDaemonPod(node('n', { zone: 'a' }), d).reason, '');
});

test('property: shouldRun implies shouldContinueRunning; the reason is empty exactly when both hold', () => {
  const effect = fc.constantFrom('NoSchedule', 'NoExecute', 'PreferNoSchedule');
  const taint = fc.record({
    key: fc.constantFrom('a', 'b', 'node.kubernetes.io/unschedulable'),
    effect,
  });
  const toleration = fc.record({
    key: fc.constantFrom('a', 'b'),
    operator: fc.constant('Exists'),
    effect,
  });
  fc.assert(
    fc.property(
      fc.array(taint, { maxLength: 4 }),
      fc.array(toleration, { maxLength: 3 }),
      (taints, tolerations) => {
        const check = makeEligibilityChecker(ds((s) => void (s.tolerations = tolerations)));
        const e = check(node('n', {}, taints));
        if (e.shouldRun) assert.ok(e.shouldContinueRunning);
        assert.equal(e.reason === '', e.shouldRun && e.shouldContinueRunning);
      },
    ),
    { numRuns: 200 },
  );
});
