import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { kruiseSelectorAsCanary, selectCanaryNodes, type CanarySpec } from './canary.js';
import type { RolloutNode } from './inputs.js';

const ZONE = 'topology.kubernetes.io/zone';

/** n nodes n-1..n-N, zones a/b/c round-robin, pool=canary on every 4th. */
function fleet(n: number, impaired: readonly string[] = []): RolloutNode[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `n-${i + 1}`,
    labels: {
      [ZONE]: `zone-${'abc'[i % 3]}`,
      ...((i + 1) % 4 === 0 ? { pool: 'canary' } : {}),
    },
    impaired: impaired.includes(`n-${i + 1}`),
  }));
}

const cases: readonly {
  name: string;
  spec: CanarySpec;
  nodes: RolloutNode[];
  previous?: string[];
  want: string[];
  problem?: string;
  blocking?: boolean;
}[] = [
  { name: 'default: one node, natural order', spec: {}, nodes: fleet(12), want: ['n-1'] },
  { name: 'count 3', spec: { count: 3 }, nodes: fleet(12), want: ['n-1', 'n-2', 'n-3'] },
  {
    name: 'percent rounds up: 10% of 12 is 2',
    spec: { count: '10%' },
    nodes: fleet(12),
    want: ['n-1', 'n-2'],
  },
  {
    name: 'natural order: n-2 before n-10',
    spec: { count: 2 },
    nodes: [{ name: 'n-10' }, { name: 'n-9' }, { name: 'n-2' }],
    want: ['n-2', 'n-9'],
  },
  {
    name: 'only a nodeSelector: every match',
    spec: { nodeSelector: { matchLabels: { pool: 'canary' } } },
    nodes: fleet(12),
    want: ['n-4', 'n-8', 'n-12'],
  },
  {
    name: 'nodeSelector and count: count of the matches',
    spec: { count: 2, nodeSelector: { matchLabels: { pool: 'canary' } } },
    nodes: fleet(12),
    want: ['n-4', 'n-8'],
  },
  {
    name: 'spread over zones: round-robin a, b, c',
    spec: { count: 3, spreadByKey: ZONE },
    nodes: fleet(12),
    want: ['n-1', 'n-2', 'n-3'],
  },
  {
    name: 'spread with a selector: zones of the matches (n-4 a, n-8 b, n-12 c)',
    spec: { count: 2, spreadByKey: ZONE, nodeSelector: { matchLabels: { pool: 'canary' } } },
    nodes: fleet(12),
    want: ['n-4', 'n-8'],
  },
  {
    name: 'spread: nodes without the label are the last group',
    spec: { count: 3, spreadByKey: 'rack' },
    nodes: [
      { name: 'a-1' },
      { name: 'a-2', labels: { rack: 'r2' } },
      { name: 'a-3', labels: { rack: 'r1' } },
      { name: 'a-4', labels: { rack: 'r1' } },
    ],
    want: ['a-1', 'a-2', 'a-3'],
  },
  {
    name: 'impaired nodes are not picked',
    spec: { count: 2 },
    nodes: fleet(5, ['n-1', 'n-3']),
    want: ['n-2', 'n-4'],
  },
  {
    name: 'count above desired: every node, with a non-blocking problem',
    spec: { count: 20 },
    nodes: fleet(3),
    want: ['n-1', 'n-2', 'n-3'],
    problem: 'CanaryShort',
    blocking: false,
  },
  {
    name: 'a selector matching nothing: no node, blocking',
    spec: { nodeSelector: { matchLabels: { pool: 'nope' } } },
    nodes: fleet(5),
    want: [],
    problem: 'CanarySelectorMatchesNothing',
    blocking: true,
  },
  {
    name: 'every candidate impaired: blocking',
    spec: { count: 1 },
    nodes: fleet(2, ['n-1', 'n-2']),
    want: [],
    problem: 'CanaryNoHealthyNode',
    blocking: true,
  },
  {
    name: 'a malformed selector: blocking, names the field',
    spec: { nodeSelector: { matchExpressions: [{ key: 'pool', operator: 'Near' }] } },
    nodes: fleet(3),
    want: [],
    problem: 'CanaryInvalid',
    blocking: true,
  },
  {
    name: 'a malformed count: blocking',
    spec: { count: 'ten' },
    nodes: fleet(3),
    want: [],
    problem: 'CanaryInvalid',
    blocking: true,
  },
  { name: 'no nodes at all: nothing to do, no problem', spec: { count: 2 }, nodes: [], want: [] },
  {
    name: 'sticky: previous canaries kept even when not first in order',
    spec: { count: 2 },
    nodes: fleet(6),
    previous: ['n-5', 'n-6'],
    want: ['n-5', 'n-6'],
  },
  {
    name: 'sticky: a canary that left is replaced by the next candidate',
    spec: { count: 2 },
    nodes: fleet(6).filter((n) => n.name !== 'n-6'),
    previous: ['n-5', 'n-6'],
    want: ['n-1', 'n-5'],
  },
  {
    name: 'sticky with spread: the replacement comes from the zone that lost one',
    spec: { count: 3, spreadByKey: ZONE },
    nodes: fleet(9).filter((n) => n.name !== 'n-2'),
    previous: ['n-1', 'n-2', 'n-3'],
    want: ['n-1', 'n-3', 'n-5'],
  },
  {
    name: 'sticky: an impaired canary stays a canary',
    spec: { count: 1 },
    nodes: fleet(3, ['n-2']),
    previous: ['n-2'],
    want: ['n-2'],
  },
  {
    name: 'sticky: the list never grows (a node that joins stays out)',
    spec: { count: 3 },
    nodes: fleet(6),
    previous: ['n-1'],
    want: ['n-1'],
  },
  {
    name: 'sticky: a canary whose label no longer matches leaves',
    spec: { nodeSelector: { matchLabels: { pool: 'canary' } } },
    nodes: fleet(12),
    previous: ['n-3', 'n-4'],
    want: ['n-4', 'n-8'],
  },
];

for (const c of cases) {
  test(`selectCanaryNodes: ${c.name}`, () => {
    const got = selectCanaryNodes(c.spec, c.nodes, c.previous);
    assert.deepEqual(got.nodes, c.want);
    assert.equal(got.problem?.reason, c.problem);
    if (c.blocking !== undefined) assert.equal(got.problem?.blocking, c.blocking);
  });
}

test('selectCanaryNodes: messages say what is wrong and where', () => {
  const none = selectCanaryNodes({ nodeSelector: { matchLabels: { pool: 'nope' } } }, fleet(5));
  assert.equal(
    none.problem?.message,
    'canary.nodeSelector "pool=nope" matches none of the 5 nodes that should run the pod',
  );
  assert.equal(none.problem?.field, 'canary.nodeSelector');
  const bad = selectCanaryNodes(
    { nodeSelector: { matchExpressions: [{ key: 'pool', operator: 'Near' }] } },
    fleet(3),
  );
  assert.equal(
    bad.problem?.message,
    'canary.nodeSelector: matchExpressions[0].operator: "Near": not a valid selector operator',
  );
  const short = selectCanaryNodes({ count: 5 }, fleet(3));
  assert.equal(
    short.problem?.message,
    'canary.count asks for 5 nodes but only 3 match: the canary runs on 3',
  );
  const gone = selectCanaryNodes({ count: 1 }, fleet(2, ['n-1']), ['n-9']);
  assert.deepEqual(gone.replaced, [{ left: 'n-9', by: 'n-2' }]);
});

test('kruiseSelectorAsCanary: a selector without a count takes every match', () => {
  const spec = kruiseSelectorAsCanary({ matchLabels: { pool: 'canary' } });
  assert.deepEqual(selectCanaryNodes(spec, fleet(8)).nodes, ['n-4', 'n-8']);
});

// Arbitrary fleets: names from a small pool (so natural order and ties matter), zones, impaired.
const nodesArb = fc
  .uniqueArray(
    fc.record({
      name: fc.constantFrom(...Array.from({ length: 40 }, (_, i) => `n-${i}`), 'a', 'n-01', 'm-7'),
      zone: fc.option(fc.constantFrom('a', 'b', 'c', 'd'), { nil: undefined }),
      pool: fc.boolean(),
      impaired: fc.boolean(),
    }),
    { selector: (n) => n.name, maxLength: 30 },
  )
  .map((xs) =>
    xs.map((x): RolloutNode => ({
      name: x.name,
      labels: { ...(x.zone ? { zone: x.zone } : {}), ...(x.pool ? { pool: 'y' } : {}) },
      impaired: x.impaired,
    })),
  );
const specArb: fc.Arbitrary<CanarySpec> = fc.record(
  {
    count: fc.oneof(
      fc.nat(40),
      fc.nat(100).map((p) => `${p}%`),
    ),
    nodeSelector: fc.constant({ matchLabels: { pool: 'y' } }),
    spreadByKey: fc.constant('zone'),
  },
  { requiredKeys: [] },
);

test('property: canaries are healthy candidates, never more than asked or than desired, order-independent', () => {
  fc.assert(
    fc.property(specArb, nodesArb, (spec, nodes) => {
      const got = selectCanaryNodes(spec, nodes);
      assert.ok(got.nodes.length <= nodes.length);
      assert.ok(got.nodes.length <= got.wanted);
      assert.equal(new Set(got.nodes).size, got.nodes.length);
      for (const name of got.nodes) {
        const n = nodes.find((x) => x.name === name)!;
        assert.ok(n && !n.impaired);
        if (spec.nodeSelector) assert.equal(n.labels?.pool, 'y');
      }
      if (got.problem?.blocking) assert.deepEqual(got.nodes, []);
      // Fewer than asked only when the healthy candidates ran out (and then a problem says so).
      if (got.nodes.length < got.wanted && nodes.length > 0) assert.ok(got.problem);
      const reversed = selectCanaryNodes(spec, [...nodes].reverse());
      assert.deepEqual(reversed.nodes, got.nodes);
    }),
    { seed: 1, numRuns: 300 },
  );
});

test('property: sticky selection is a fixed point, and the list never grows', () => {
  fc.assert(
    fc.property(specArb, nodesArb, fc.nat(29), (spec, nodes, drop) => {
      const first = selectCanaryNodes(spec, nodes);
      const again = selectCanaryNodes(spec, nodes, first.nodes);
      assert.deepEqual(again.nodes, first.nodes);
      const fewer = nodes.filter((_, i) => i !== drop);
      const later = selectCanaryNodes(spec, fewer, first.nodes);
      assert.ok(later.nodes.length <= first.nodes.length);
      for (const name of first.nodes)
        if (fewer.some((n) => n.name === name)) assert.ok(later.nodes.includes(name));
    }),
    { seed: 2, numRuns: 300 },
  );
});

test('property: spread picks differ by at most one between zones that still have healthy nodes', () => {
  fc.assert(
    fc.property(fc.nat(30), nodesArb, (count, nodes) => {
      const got = selectCanaryNodes({ count, spreadByKey: 'zone' }, nodes);
      const zoneOf = (name: string) => nodes.find((n) => n.name === name)!.labels?.zone ?? '-';
      const picked = new Map<string, number>();
      for (const name of got.nodes) picked.set(zoneOf(name), (picked.get(zoneOf(name)) ?? 0) + 1);
      const open = new Set(
        nodes.filter((n) => !n.impaired && !got.nodes.includes(n.name)).map((n) => zoneOf(n.name)),
      );
      for (const z of open)
        for (const [, k] of picked) assert.ok(k <= (picked.get(z) ?? 0) + 1, `zone ${z} starved`);
    }),
    { seed: 3, numRuns: 300 },
  );
});
