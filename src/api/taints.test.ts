import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  addDefaultDaemonTolerations,
  defaultDaemonTolerations,
  findUntoleratedTaint,
  formatTaint,
  InvalidTolerationError,
  malformedTaints,
  toleratesTaint,
} from './taints.js';
import type { Taint, Toleration } from './types.js';

const SYSTEM = [
  'node.kubernetes.io/not-ready',
  'node.kubernetes.io/unreachable',
  'node.kubernetes.io/disk-pressure',
  'node.kubernetes.io/memory-pressure',
  'node.kubernetes.io/pid-pressure',
  'node.kubernetes.io/unschedulable',
];

test('defaultDaemonTolerations: order, effects, network-unavailable only with hostNetwork', () => {
  const plain = defaultDaemonTolerations(false);
  assert.deepEqual(
    plain.map((t) => t.key),
    SYSTEM,
  );
  assert.deepEqual(
    plain.map((t) => t.effect),
    ['NoExecute', 'NoExecute', 'NoSchedule', 'NoSchedule', 'NoSchedule', 'NoSchedule'],
  );
  assert.ok(plain.every((t) => t.operator === 'Exists' && t.tolerationSeconds === undefined));
  const host = defaultDaemonTolerations(true);
  assert.equal(host.length, 7);
  assert.deepEqual(host[6], {
    key: 'node.kubernetes.io/network-unavailable',
    operator: 'Exists',
    effect: 'NoSchedule',
  });
});

test('scenario 20: merging the default tolerations replaces a matching entry in place and appends the rest', () => {
  const template: Toleration[] = [
    { key: 'custom', operator: 'Exists' },
    {
      key: 'node.kubernetes.io/not-ready',
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: 300,
    },
  ];
  const frozen = structuredClone(template);
  const merged = addDefaultDaemonTolerations(template, false);
  assert.deepEqual(merged, [
    { key: 'custom', operator: 'Exists' },
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ]);
  assert.deepEqual(template, frozen, 'input not mutated');
  const withHost = addDefaultDaemonTolerations(template, true);
  assert.equal(withHost.length, 8);
  assert.equal(withHost[7]!.key, 'node.kubernetes.io/network-unavailable');
});

test('scenario 20 (derived): a toleration differing in value or effect is not a match, so the default is appended', () => {
  const merged = addDefaultDaemonTolerations(
    [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' }],
    false,
  );
  assert.equal(merged.length, 7);
  assert.deepEqual(merged[0], {
    key: 'node.kubernetes.io/not-ready',
    operator: 'Exists',
    effect: 'NoSchedule',
  });
  assert.deepEqual(merged[1], {
    key: 'node.kubernetes.io/not-ready',
    operator: 'Exists',
    effect: 'NoExecute',
  });
});

test('toleratesTaint: table', () => {
  const taint: Taint = { key: 'dedicated', value: 'user1', effect: 'NoSchedule' };
  const rows: [Toleration, Taint, boolean][] = [
    [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }, taint, true], // empty operator = Equal
    [{ key: 'dedicated', operator: 'Equal', value: 'user1', effect: 'NoSchedule' }, taint, true],
    [{ key: 'dedicated', operator: 'Equal', value: 'user2', effect: 'NoSchedule' }, taint, false],
    [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }, taint, true],
    [{ key: 'dedicated', operator: 'Exists' }, taint, true], // empty effect matches all
    [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, taint, false],
    [{ key: 'other', operator: 'Exists' }, taint, false],
    [{ operator: 'Exists' }, taint, true], // empty key + Exists matches all keys
    [{ operator: 'Equal', value: 'user1' }, taint, false], // empty key needs Exists
    [
      { key: 'dedicated', value: 'user1' },
      { key: 'dedicated', value: 'user1', effect: 'NoExecute' },
      true,
    ],
    [{ key: 'k', operator: 'Equal' }, { key: 'k', effect: 'NoSchedule' }, true], // both values empty
  ];
  for (const [tol, t, want] of rows)
    assert.equal(toleratesTaint(tol, t), want, `${JSON.stringify(tol)} vs ${formatTaint(t)}`);
});

test('issue 17 item 2: an operator or effect validation refuses throws, whatever the taint', () => {
  const taint: Taint = { key: 'n', value: '5', effect: 'NoSchedule' };
  const refused: Toleration[] = [
    { key: 'n', operator: 'Gt', value: '1' }, // Gt/Lt: behind a feature gate that is off
    { key: 'n', operator: 'Lt', value: '9' },
    { key: 'n', operator: 'Bogus' },
    { key: 'other', operator: 'exists' },
    { key: 'n', operator: 'Exists', effect: 'Bogus' },
    { key: 'other', operator: 'Exists', effect: 'noschedule' },
  ];
  for (const tol of refused) {
    assert.throws(() => toleratesTaint(tol, taint), InvalidTolerationError, JSON.stringify(tol));
  }
  assert.throws(
    () => findUntoleratedTaint([taint], [{ key: 'n', operator: 'Bogus' }], () => true),
    /toleration operator "Bogus" is not supported \(Equal or Exists\)/,
  );
});

test('malformedTaints: what a node that bypassed validation would hold is named', () => {
  assert.equal(malformedTaints(undefined), undefined);
  assert.equal(malformedTaints(null), undefined);
  assert.equal(malformedTaints([{ key: 'a', effect: 'NoSchedule' }]), undefined);
  assert.equal(malformedTaints('x'), 'spec.taints is not a list');
  assert.equal(malformedTaints([null]), 'spec.taints[0] is not a map');
  assert.equal(malformedTaints([{ effect: 'NoSchedule' }]), 'spec.taints[0] has no key');
  assert.equal(
    malformedTaints([{ key: 'cp', effect: 'Bogus' }]),
    'spec.taints[0] (cp) has the effect "Bogus", not NoSchedule, PreferNoSchedule or NoExecute',
  );
});

test('findUntoleratedTaint: respects the filter and returns the first untolerated taint', () => {
  const taints: Taint[] = [
    { key: 'a', effect: 'PreferNoSchedule' },
    { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
    { key: 'b', value: 'x', effect: 'NoSchedule' },
    { key: 'c', effect: 'NoExecute' },
  ];
  const tols = defaultDaemonTolerations(false);
  const hard = (t: Taint): boolean => t.effect === 'NoSchedule' || t.effect === 'NoExecute';
  assert.equal(findUntoleratedTaint(taints, tols, hard)?.key, 'b');
  assert.equal(findUntoleratedTaint(taints, tols, (t) => t.effect === 'NoExecute')?.key, 'c');
  assert.equal(findUntoleratedTaint(undefined, tols, hard), undefined);
  assert.equal(findUntoleratedTaint(taints, [{ operator: 'Exists' }], hard), undefined);
});

test('formatTaint: kubectl form', () => {
  assert.equal(
    formatTaint({ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }),
    'dedicated=user1:NoSchedule',
  );
  assert.equal(
    formatTaint({ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }),
    'node.kubernetes.io/not-ready:NoExecute',
  );
});

const effectArb = fc.constantFrom('NoSchedule', 'NoExecute', 'PreferNoSchedule');
const taintArb = fc.record(
  {
    key: fc.stringMatching(/^[a-z][a-z./-]{0,8}$/),
    value: fc.stringMatching(/^[a-z0-9]{0,4}$/),
    effect: effectArb,
  },
  { requiredKeys: ['key', 'effect'] },
);
const tolerationArb = fc.record(
  {
    key: fc.stringMatching(/^[a-z]{0,3}$/),
    operator: fc.constantFrom('Exists', 'Equal'),
    value: fc.stringMatching(/^[a-z]{0,2}$/),
    effect: fc.constantFrom('', 'NoSchedule', 'NoExecute'),
    tolerationSeconds: fc.integer({ min: 0, max: 600 }),
  },
  { requiredKeys: [] },
);

test('property: a toleration built from a taint tolerates it', () => {
  fc.assert(
    fc.property(taintArb, fc.boolean(), (taint, exists) => {
      const tol: Toleration = exists
        ? { key: taint.key, operator: 'Exists', effect: taint.effect }
        : { key: taint.key, operator: 'Equal', value: taint.value ?? '', effect: taint.effect };
      assert.ok(toleratesTaint(tol, taint));
    }),
  );
});

test('property: Exists with an empty key tolerates every taint', () => {
  fc.assert(
    fc.property(taintArb, (taint) => {
      assert.ok(toleratesTaint({ operator: 'Exists' }, taint));
    }),
  );
});

test('property: adding the defaults is idempotent and keeps user tolerations', () => {
  fc.assert(
    fc.property(fc.array(tolerationArb, { maxLength: 5 }), fc.boolean(), (tols, hostNetwork) => {
      const once = addDefaultDaemonTolerations(tols, hostNetwork);
      assert.deepEqual(addDefaultDaemonTolerations(once, hostNetwork), once);
      assert.ok(once.length >= tols.length);
      for (const d of defaultDaemonTolerations(hostNetwork))
        assert.ok(once.some((t) => JSON.stringify(t) === JSON.stringify(d)));
    }),
  );
});
