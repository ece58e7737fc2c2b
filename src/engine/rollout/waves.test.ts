import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { RolloutNode } from './inputs.js';
import { assignWaves, rolloutSteps, type WavesSpec } from './waves.js';
import { compareNodeNames } from '../updatepolicy.js';

const ZONE = 'topology.kubernetes.io/zone';

/** n nodes n-1..n-N in zones a/b/c round-robin; `bare` ones have no zone label. */
function fleet(n: number, bare: readonly string[] = []): RolloutNode[] {
  return Array.from({ length: n }, (_, i) => {
    const name = `n-${i + 1}`;
    const labels: Record<string, string> = bare.includes(name)
      ? {}
      : { [ZONE]: `zone-${'abc'[i % 3]}` };
    return { name, labels };
  });
}
const names = (a: ReturnType<typeof assignWaves>) => a.waves.map((w) => [w.name, w.nodes]);

const cases: readonly {
  name: string;
  spec: WavesSpec;
  nodes: RolloutNode[];
  canaries?: string[];
  want: [string, string[]][];
  problems?: string[];
}[] = [
  {
    name: 'by zone, sorted values',
    spec: { topologyKey: ZONE },
    nodes: fleet(6),
    want: [
      ['zone-a', ['n-1', 'n-4']],
      ['zone-b', ['n-2', 'n-5']],
      ['zone-c', ['n-3', 'n-6']],
    ],
  },
  {
    name: 'by zone with an order: listed first, the rest sorted, unlabelled last',
    spec: { topologyKey: ZONE, order: ['zone-c'] },
    nodes: fleet(7, ['n-7']),
    want: [
      ['zone-c', ['n-3', 'n-6']],
      ['zone-a', ['n-1', 'n-4']],
      ['zone-b', ['n-2', 'n-5']],
      [`(no ${ZONE})`, ['n-7']],
    ],
  },
  {
    name: 'canary nodes leave their wave; an emptied wave is dropped',
    spec: { topologyKey: ZONE },
    nodes: fleet(4),
    canaries: ['n-2', 'n-1'],
    want: [
      ['zone-a', ['n-4']],
      ['zone-c', ['n-3']],
    ],
  },
  {
    name: 'an order naming a zone no node has: reported (blocking), waves still computed',
    spec: { topologyKey: ZONE, order: ['zone-x', 'zone-b'] },
    nodes: fleet(3),
    want: [
      ['zone-b', ['n-2']],
      ['zone-a', ['n-1']],
      ['zone-c', ['n-3']],
    ],
    problems: ['WaveOrderUnknownValue'],
  },
  {
    name: 'a value listed twice: the first place counts',
    spec: { topologyKey: ZONE, order: ['zone-b', 'zone-a', 'zone-b'] },
    nodes: fleet(3),
    want: [
      ['zone-b', ['n-2']],
      ['zone-a', ['n-1']],
      ['zone-c', ['n-3']],
    ],
    problems: ['WaveOrderDuplicate'],
  },
  {
    name: 'steps: cumulative, rounded up, 100% implied',
    spec: { steps: ['10%', '50%'] },
    nodes: fleet(10),
    want: [
      ['10%', ['n-1']],
      ['50%', ['n-2', 'n-3', 'n-4', 'n-5']],
      ['100%', ['n-6', 'n-7', 'n-8', 'n-9', 'n-10']],
    ],
  },
  {
    name: 'steps count the canaries (they are first in the order)',
    spec: { steps: ['30%', '100%'] },
    nodes: fleet(10),
    canaries: ['n-10'],
    want: [
      ['30%', ['n-1', 'n-2']],
      ['100%', ['n-3', 'n-4', 'n-5', 'n-6', 'n-7', 'n-8', 'n-9']],
    ],
  },
  {
    name: 'steps: a step the canary already covers is dropped; int steps are node counts',
    spec: { steps: [1, 3] },
    nodes: fleet(4),
    canaries: ['n-4'],
    want: [
      ['3', ['n-1', 'n-2']],
      ['100%', ['n-3']],
    ],
  },
  {
    name: 'steps that go down: reported, no node lost',
    spec: { steps: ['50%', '20%'] },
    nodes: fleet(4),
    want: [
      ['50%', ['n-1', 'n-2']],
      ['100%', ['n-3', 'n-4']],
    ],
    problems: ['WaveStepsDecreasing'],
  },
  {
    name: 'both topologyKey and steps: blocking',
    spec: { topologyKey: ZONE, steps: ['50%'] },
    nodes: fleet(2),
    want: [],
    problems: ['WavesInvalid'],
  },
  {
    name: 'a malformed step: blocking',
    spec: { steps: ['half'] },
    nodes: fleet(2),
    want: [],
    problems: ['WavesInvalid'],
  },
];

for (const c of cases) {
  test(`assignWaves: ${c.name}`, () => {
    const got = assignWaves(c.spec, c.nodes, c.canaries);
    assert.deepEqual(names(got), c.want);
    assert.deepEqual(
      got.problems.map((p) => p.reason),
      c.problems ?? [],
    );
  });
}

test('assignWaves: the unknown-zone message names the field and the value', () => {
  const got = assignWaves({ topologyKey: ZONE, order: ['zone-a', 'zone-x'] }, fleet(3));
  assert.deepEqual(got.problems[0], {
    reason: 'WaveOrderUnknownValue',
    field: 'waves.order[1]',
    message: `waves.order[1]: no node that should run the pod has ${ZONE}=zone-x`,
    blocking: true,
  });
});

test('rolloutSteps: canary, then waves with their gates; a canary alone adds a "rest" wave', () => {
  const nodes = fleet(6);
  const spec: WavesSpec = {
    topologyKey: ZONE,
    bakeSeconds: 60,
    promotion: 'Manual',
    maxUnavailable: '50%',
  };
  const assignment = assignWaves(spec, nodes, ['n-1']);
  const steps = rolloutSteps(
    nodes,
    { nodes: ['n-1'], bakeSeconds: 600, promotion: 'Auto' },
    { spec, assignment },
  );
  assert.deepEqual(
    steps.map((s) => [s.kind, s.name, s.nodes, s.bakeSeconds, s.promotion, s.maxUnavailable]),
    [
      ['canary', 'canary', ['n-1'], 600, 'Auto', undefined],
      ['wave', 'zone-a', ['n-4'], 60, 'Manual', '50%'],
      ['wave', 'zone-b', ['n-2', 'n-5'], 60, 'Manual', '50%'],
      ['wave', 'zone-c', ['n-3', 'n-6'], 60, 'Manual', '50%'],
    ],
  );
  const alone = rolloutSteps(nodes, { nodes: ['n-3'] }, undefined);
  assert.deepEqual(
    alone.map((s) => [s.name, s.nodes]),
    [
      ['canary', ['n-3']],
      ['rest', ['n-1', 'n-2', 'n-4', 'n-5', 'n-6']],
    ],
  );
  assert.deepEqual(rolloutSteps(nodes, undefined, undefined), []);
});

const fleetArb = fc
  .uniqueArray(
    fc.record({
      name: fc.constantFrom(...Array.from({ length: 50 }, (_, i) => `n-${i}`), 'n-07', 'x'),
      zone: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }),
    }),
    { selector: (n) => n.name, maxLength: 40 },
  )
  .map((xs) =>
    xs.map((x): RolloutNode => ({ name: x.name, labels: x.zone ? { zone: x.zone } : {} })),
  );
const specArb: fc.Arbitrary<WavesSpec> = fc.oneof(
  fc.record({
    topologyKey: fc.constant('zone'),
    order: fc.array(fc.constantFrom('a', 'b', 'c', 'zz'), { maxLength: 4 }),
  }),
  fc.record({
    steps: fc.array(
      fc.oneof(
        fc.nat(100).map((p) => `${p}%`),
        fc.nat(50),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  }),
);

test('property: waves partition the non-canary nodes; canaries + waves is the whole order', () => {
  fc.assert(
    fc.property(specArb, fleetArb, fc.nat(5), (spec, nodes, k) => {
      const canaries = nodes.slice(0, Math.min(k, nodes.length)).map((n) => n.name);
      const got = assignWaves(spec, nodes, canaries);
      const inWaves = got.waves.flatMap((w) => w.nodes);
      assert.equal(new Set(inWaves).size, inWaves.length, 'a node in two waves');
      assert.deepEqual(
        [...inWaves].sort(compareNodeNames),
        nodes
          .map((n) => n.name)
          .filter((n) => !canaries.includes(n))
          .sort(compareNodeNames),
      );
      for (const w of got.waves) {
        assert.ok(w.nodes.length > 0, 'an empty wave');
        assert.deepEqual([...w.nodes].sort(compareNodeNames), w.nodes, 'natural order in a wave');
      }
      // Same input in another order: the same waves.
      const again = assignWaves(spec, [...nodes].reverse(), [...canaries].reverse());
      assert.deepEqual(again.waves, got.waves);
    }),
    { seed: 4, numRuns: 300 },
  );
});
