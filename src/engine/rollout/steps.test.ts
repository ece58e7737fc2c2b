import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  stepMaxUnavailable,
  stepOrder,
  stepProgress,
  type StepNodeState,
  type StepProgressInput,
} from './steps.js';
import type { RolloutStep } from './waves.js';

function step(name: string, nodes: string[], extra: Partial<RolloutStep> = {}): RolloutStep {
  return { kind: 'wave', name, nodes, bakeSeconds: 0, promotion: 'Auto', ...extra };
}
const canary = step('canary', ['n-7'], { kind: 'canary', bakeSeconds: 600 });
const steps: RolloutStep[] = [
  canary,
  step('zone-a', ['n-1', 'n-4'], { bakeSeconds: 60 }),
  step('zone-b', ['n-2', 'n-10'], { bakeSeconds: 60, promotion: 'Manual' }),
  step('zone-c', ['n-3']),
];

test('stepOrder: canary first, wave by wave, natural order inside; unknown names last', () => {
  const o = stepOrder(steps);
  const all = ['n-3', 'n-10', 'n-new', 'n-2', 'n-1', 'n-7', 'n-4', 'a-0'];
  assert.deepEqual(all.sort(o.compare), [
    'n-7',
    'n-1',
    'n-4',
    'n-2',
    'n-10',
    'n-3',
    'a-0',
    'n-new',
  ]);
  assert.deepEqual([-1, 0, 1, 2, 3, 9].map(o.releasedThrough), [0, 1, 3, 5, 6, 6]);
  assert.equal(stepOrder(steps).orderKey, o.orderKey, 'the same steps, the same key');
  const moved = [steps[0]!, step('zone-a', ['n-1']), step('zone-b', ['n-2', 'n-4', 'n-10'])];
  assert.notEqual(stepOrder(moved).orderKey, o.orderKey, 'a node moving changes the key');
  assert.match(o.orderKey, /^steps:[0-9a-f]+$/);
});

test('stepMaxUnavailable: of the wave size rounded up, at least 1 without surge, capped by the DaemonSet', () => {
  const cases: [number, number, string | number | undefined, number, number][] = [
    // ds maxUnavailable, ds maxSurge, wave value, wave size -> budget
    [5, 0, undefined, 10, 5],
    [5, 0, '25%', 10, 3],
    [2, 0, '25%', 10, 2],
    [5, 0, '0%', 10, 1],
    [0, 3, '0%', 10, 0],
    [5, 0, 1, 10, 1],
    [5, 0, 'lots', 10, 5],
    [5, 0, '10%', 1, 1],
  ];
  for (const [dsMu, dsMs, own, size, want] of cases)
    assert.equal(stepMaxUnavailable(dsMu, dsMs, own, size), want, `${dsMu} ${dsMs} ${own} ${size}`);
});

const T0 = 1_000_000;
function states(map: Record<string, Partial<StepNodeState>>): (n: string) => StepNodeState {
  return (n) => ({ updated: false, available: false, ...map[n] });
}
const done = (since = T0): Partial<StepNodeState> => ({
  updated: true,
  available: true,
  healthySince: since,
});

const progressCases: readonly {
  name: string;
  input: Partial<StepProgressInput>;
  want: Record<string, unknown>;
}[] = [
  {
    name: 'the canary updating',
    input: { state: states({ 'n-7': { updated: true } }) },
    want: { index: 0, released: 1, state: 'Updating', updated: 1, size: 1 },
  },
  {
    name: 'the canary baking: 600 s after its pod became healthy',
    input: { state: states({ 'n-7': done() }), now: T0 + 10_000 },
    want: { index: 0, state: 'Baking', bakeUntil: T0 + 600_000 },
  },
  {
    name: 'the canary baked: zone-a opens',
    input: { state: states({ 'n-7': done() }), now: T0 + 600_000 },
    want: { index: 1, released: 3, state: 'Updating', updated: 0, size: 2 },
  },
  {
    name: 'a container restart moved healthySince: the bake starts over',
    input: { state: states({ 'n-7': done(T0 + 500_000) }), now: T0 + 600_000 },
    want: { index: 0, state: 'Baking', bakeUntil: T0 + 1_100_000 },
  },
  {
    name: 'zone-a baked, zone-b opens; zone-b is Manual and waits once baked',
    input: {
      state: states({ 'n-7': done(), 'n-1': done(), 'n-4': done(), 'n-2': done(), 'n-10': done() }),
      now: T0 + 700_000,
    },
    want: { index: 2, released: 5, state: 'AwaitingPromotion', updated: 2, size: 2 },
  },
  {
    name: 'promoted: zone-c opens',
    input: {
      state: states({ 'n-7': done(), 'n-1': done(), 'n-4': done(), 'n-2': done(), 'n-10': done() }),
      promotedThrough: 2,
      now: T0 + 700_000,
    },
    want: { index: 3, released: 6, state: 'Updating' },
  },
  {
    name: 'everything updated, available and baked: Complete',
    input: {
      state: states({
        'n-7': done(),
        'n-1': done(),
        'n-4': done(),
        'n-2': done(),
        'n-10': done(),
        'n-3': done(),
      }),
      promotedThrough: 2,
      now: T0 + 700_000,
    },
    want: { index: 3, released: 6, state: 'Complete' },
  },
  {
    name: 'monotonic: a regression in an opened step does not close it',
    input: { state: states({}), openedThrough: 2 },
    want: { index: 2, released: 5, state: 'Updating', updated: 0 },
  },
  {
    name: 'an impaired node skipped under RolloutOnly does not hold its wave',
    input: {
      state: states({ 'n-7': done(), 'n-1': done(), 'n-4': { skip: true } }),
      openedThrough: 1,
      now: T0 + 100_000,
    },
    want: { index: 2, released: 5, state: 'Updating' },
  },
  {
    name: 'available without healthySince reads as now: the bake starts',
    input: { state: states({ 'n-7': { updated: true, available: true } }), now: T0 },
    want: { index: 0, state: 'Baking', bakeUntil: T0 + 600_000 },
  },
  {
    name: 'openedThrough beyond the steps (the spec lost waves): the last step',
    input: { state: states({}), openedThrough: 9 },
    want: { index: 3, released: 6, state: 'Updating' },
  },
];

for (const c of progressCases) {
  test(`stepProgress: ${c.name}`, () => {
    const got = stepProgress({
      steps,
      state: states({}),
      openedThrough: 0,
      promotedThrough: -1,
      now: T0,
      ...c.input,
    });
    for (const [k, v] of Object.entries(c.want)) assert.equal(got[k as keyof typeof got], v, k);
  });
}

test('stepProgress: no steps is Complete with nothing released', () => {
  assert.deepEqual(
    stepProgress({ steps: [], state: states({}), openedThrough: 0, promotedThrough: -1, now: 0 }),
    { index: -1, released: 0, state: 'Complete', updated: 0, size: 0 },
  );
});

test('stepProgress: a pause stops the bake clock (§3.1), and only for a bake it interrupted', () => {
  // The canary (bake 600 s) healthy since T0; paused at T0 + 100 s, resumed at T0 + 400 s.
  const base = {
    steps,
    state: states({ 'n-7': done() }),
    openedThrough: 0,
    promotedThrough: -1,
  };
  const at = (s: number) => T0 + s * 1000;
  const resumed = stepProgress({
    ...base,
    now: at(400),
    bakeHeld: { step: 0, ms: 0, pausedFrom: at(100) },
  });
  assert.equal(resumed.state, 'Baking');
  assert.equal(resumed.bakeUntil, at(600 + 300), 'the 300 s paused are added');
  assert.deepEqual(resumed.bakeHeld, { ms: 300_000, until: at(400) });
  // Later syncs read the kept 300 s back; a second pause adds to them.
  const later = stepProgress({
    ...base,
    now: at(800),
    bakeHeld: { step: 0, ms: 300_000, until: at(400) },
  });
  assert.equal(later.bakeUntil, at(900));
  const twice = stepProgress({
    ...base,
    now: at(860),
    bakeHeld: { step: 0, ms: 300_000, until: at(400), pausedFrom: at(820) },
  });
  assert.equal(twice.bakeUntil, at(940));
  // A bake that had ended before the pause began owes nothing: Complete/next step as before.
  const ended = stepProgress({
    ...base,
    now: at(900),
    bakeHeld: { step: 0, ms: 0, pausedFrom: at(700) },
  });
  assert.notEqual(ended.index, 0);
  // A bake that began after the last pause ended (a pod restarted since) starts clean.
  const restarted = stepProgress({
    ...base,
    state: states({ 'n-7': done(at(500)) }),
    now: at(600),
    bakeHeld: { step: 0, ms: 300_000, until: at(400) },
  });
  assert.equal(restarted.bakeUntil, at(1100));
  assert.equal(restarted.bakeHeld, undefined);
  // Healthy only during the pause: the bake counts from the resume.
  const during = stepProgress({
    ...base,
    state: states({ 'n-7': done(at(200)) }),
    now: at(400),
    bakeHeld: { step: 0, ms: 0, pausedFrom: at(100) },
  });
  assert.equal(during.bakeUntil, at(1000));
});

test('property: progress never goes below openedThrough, releases a prefix, and Complete means all done', () => {
  const nodeState = fc.record({
    updated: fc.boolean(),
    available: fc.boolean(),
    healthySince: fc.integer({ min: 0, max: 2_000_000 }),
    skip: fc.boolean(),
  });
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(4), fc.constantFrom<'Auto' | 'Manual'>('Auto', 'Manual')), {
        minLength: 1,
        maxLength: 5,
      }),
      fc.array(nodeState, { minLength: 20, maxLength: 20 }),
      fc.nat(6),
      fc.integer({ min: -1, max: 5 }),
      fc.integer({ min: 0, max: 3_000_000 }),
      (shape, st, opened, promoted, now) => {
        let k = 0;
        const ss = shape.map(([size, promotion], i) =>
          step(
            `w${i}`,
            Array.from({ length: size }, () => `n-${k++}`),
            {
              promotion,
              bakeSeconds: 300,
            },
          ),
        );
        const state = (n: string) => st[Number(n.slice(2)) % 20]!;
        const got = stepProgress({
          steps: ss,
          state,
          openedThrough: opened,
          promotedThrough: promoted,
          now,
        });
        assert.ok(got.index >= Math.min(opened, ss.length - 1));
        assert.equal(got.released, stepOrder(ss).releasedThrough(got.index));
        if (got.state === 'Complete') {
          for (const s of ss.slice(Math.min(opened, ss.length - 1)))
            for (const n of s.nodes) {
              const x = state(n);
              assert.ok(x.skip || (x.updated && x.available));
            }
        }
        if (got.state === 'Baking') assert.ok(got.bakeUntil! > now);
      },
    ),
    { seed: 5, numRuns: 300 },
  );
});
