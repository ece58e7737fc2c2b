import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  EMPTY_REMOVAL_STATE,
  planRemovals,
  removalLimit,
  type RemovalBudgetSpec,
  type RemovalCandidate,
  type RemovalState,
} from './removalbudget.js';

const S = 1000;
const spec: RemovalBudgetSpec = { maxRemovals: 2, periodSeconds: 300, delaySeconds: 60 };
const nodes = (...names: string[]): RemovalCandidate[] => names.map((node) => ({ node }));
const state = (since: Record<string, number>, recent: number[] = []): RemovalState => ({
  ineligibleSince: new Map(Object.entries(since)),
  recentRemovals: recent,
});

test('removalLimit: int or percent of desired + misscheduled, rounded up, at least 1', () => {
  assert.equal(removalLimit(3, 10, 0), 3);
  assert.equal(removalLimit('10%', 95, 5), 10);
  assert.equal(removalLimit('10%', 1, 0), 1);
  assert.equal(removalLimit('0%', 100, 0), 1);
  assert.equal(removalLimit(0, 100, 0), 1);
  assert.equal(removalLimit('lots', 100, 0), 1);
});

const cases: readonly {
  name: string;
  candidates: RemovalCandidate[];
  state: RemovalState;
  now: number;
  go: string[];
  wait: [string, number, 'Delay' | 'Budget'][];
}[] = [
  {
    name: 'first seen now: everything waits for the delay',
    candidates: nodes('n-1', 'n-2'),
    state: EMPTY_REMOVAL_STATE,
    now: 1000 * S,
    go: [],
    wait: [
      ['n-1', 1060 * S, 'Delay'],
      ['n-2', 1060 * S, 'Delay'],
    ],
  },
  {
    name: 'past the delay: two go now, the third waits for the window',
    candidates: nodes('n-3', 'n-1', 'n-2'),
    state: state({ 'n-1': 0, 'n-2': 0, 'n-3': 0 }),
    now: 100 * S,
    go: ['n-1', 'n-2'],
    wait: [['n-3', 400 * S, 'Budget']],
  },
  {
    name: 'oldest ineligible first, then natural name order',
    candidates: nodes('n-10', 'n-9', 'n-2'),
    state: state({ 'n-10': 0, 'n-9': 10 * S, 'n-2': 10 * S }),
    now: 100 * S,
    go: ['n-10', 'n-2'],
    wait: [['n-9', 400 * S, 'Budget']],
  },
  {
    name: 'recent removals hold their slots until they leave the window',
    candidates: nodes('n-1', 'n-2'),
    state: state({ 'n-1': 0, 'n-2': 0 }, [50 * S, 250 * S]),
    now: 300 * S,
    go: [],
    wait: [
      ['n-1', 350 * S, 'Budget'],
      ['n-2', 550 * S, 'Budget'],
    ],
  },
  {
    name: 'a removal exactly one period ago no longer counts',
    candidates: nodes('n-1'),
    state: state({ 'n-1': 0 }, [0, 250 * S]),
    now: 300 * S,
    go: ['n-1'],
    wait: [],
  },
  {
    name: 'deleted nodes and terminal pods go at once and hold no slot',
    candidates: [
      { node: 'gone', exempt: 'NodeDeleted' },
      { node: 'done', exempt: 'PodTerminal' },
      ...nodes('n-1', 'n-2'),
    ],
    state: state({ 'n-1': 0, 'n-2': 0 }),
    now: 100 * S,
    go: ['gone', 'done', 'n-1', 'n-2'],
    wait: [],
  },
  {
    name: 'a later wait: delay and budget both, the budget decides',
    candidates: nodes('a', 'b', 'c'),
    state: state({ a: 0, b: 0, c: 90 * S }),
    now: 100 * S,
    go: ['a', 'b'],
    wait: [['c', 400 * S, 'Budget']],
  },
];

for (const c of cases) {
  test(`planRemovals: ${c.name}`, () => {
    const plan = planRemovals({
      spec,
      desired: 10,
      misscheduled: 3,
      candidates: c.candidates,
      state: c.state,
      now: c.now,
    });
    assert.deepEqual(plan.now, c.go);
    assert.deepEqual(
      plan.deferred.map((d) => [d.node, d.notBefore, d.why]),
      c.wait,
    );
    assert.equal(plan.pendingRemovals, c.wait.length);
    assert.equal(plan.requeueAt, c.wait.length ? Math.min(...c.wait.map((w) => w[1])) : undefined);
  });
}

test('planRemovals: a node that turns eligible again starts its delay over (hysteresis)', () => {
  let st = planRemovals({
    spec,
    desired: 5,
    misscheduled: 0,
    candidates: nodes('n-1'),
    state: EMPTY_REMOVAL_STATE,
    now: 0,
  }).state;
  assert.equal(st.ineligibleSince.get('n-1'), 0);
  // n-1 is eligible again at 30 s: no candidate, its entry is dropped.
  st = planRemovals({
    spec,
    desired: 5,
    misscheduled: 0,
    candidates: [],
    state: st,
    now: 30 * S,
  }).state;
  assert.equal(st.ineligibleSince.has('n-1'), false);
  // Ineligible again at 40 s: it may go at 100 s, not at 60 s.
  const again = planRemovals({
    spec,
    desired: 5,
    misscheduled: 0,
    candidates: nodes('n-1'),
    state: st,
    now: 40 * S,
  });
  assert.deepEqual(again.deferred, [{ node: 'n-1', notBefore: 100 * S, why: 'Delay' }]);
});

test('planRemovals: the returned state records this sync removals and forgets old ones', () => {
  const plan = planRemovals({
    spec,
    desired: 5,
    misscheduled: 0,
    candidates: nodes('n-1', 'n-2', 'n-3'),
    state: state({ 'n-1': 0, 'n-2': 0, 'n-3': 0 }, [1 * S]),
    now: 400 * S,
  });
  assert.deepEqual(plan.now, ['n-1', 'n-2']);
  assert.deepEqual(plan.state.recentRemovals, [400 * S, 400 * S]);
  assert.deepEqual([...plan.state.ineligibleSince.keys()], ['n-3']);
});

test('property: no window holds more than maxRemovals; none before its delay; all go eventually', () => {
  const event = fc.record({
    dt: fc.integer({ min: 1, max: 200 }),
    // Which of 12 nodes are ineligible after this step.
    ineligible: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
  });
  fc.assert(
    fc.property(
      fc.array(event, { minLength: 1, maxLength: 25 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 10, max: 200 }),
      fc.integer({ min: 0, max: 120 }),
      (events, maxRemovals, periodSeconds, delaySeconds) => {
        const sp = { maxRemovals, periodSeconds, delaySeconds };
        let st: RemovalState = EMPTY_REMOVAL_STATE;
        let now = 0;
        const removedAt: number[] = [];
        const since = new Map<string, number>(); // the test's own reading of "ineligible since"
        const present = new Set<string>(); // nodes whose pod is still there
        const step = (ineligible: readonly string[]) => {
          for (const n of [...since.keys()]) if (!ineligible.includes(n)) since.delete(n);
          for (const n of ineligible) if (!since.has(n)) since.set(n, now);
          const plan = planRemovals({
            spec: sp,
            desired: 12,
            misscheduled: 0,
            candidates: ineligible.filter((n) => present.has(n)).map((node) => ({ node })),
            state: st,
            now,
          });
          for (const n of plan.now) {
            assert.ok(now >= since.get(n)! + delaySeconds * S, `${n} went before its delay`);
            present.delete(n);
            removedAt.push(now);
          }
          st = plan.state;
          return plan;
        };
        for (const e of events) {
          const ineligible = e.ineligible.flatMap((b, i) => (b ? [`n-${i}`] : []));
          // A node that is eligible has (or gets back) its pod.
          for (let i = 0; i < 12; i++) if (!e.ineligible[i]) present.add(`n-${i}`);
          step(ineligible);
          now += e.dt * S;
        }
        // Then nothing changes: following the requeue times, every pending removal goes.
        const last = events[events.length - 1]!.ineligible.flatMap((b, i) => (b ? [`n-${i}`] : []));
        for (let guard = 0; guard < 100; guard++) {
          const plan = step(last);
          if (plan.requeueAt === undefined) break;
          now = Math.max(now + 1, plan.requeueAt);
        }
        assert.ok(
          last.every((n) => !present.has(n)),
          'a removal never happened',
        );
        removedAt.sort((a, b) => a - b);
        for (let i = 0; i + maxRemovals < removedAt.length; i++)
          assert.ok(
            removedAt[i + maxRemovals]! - removedAt[i]! >= periodSeconds * S,
            `more than ${maxRemovals} removals within ${periodSeconds}s`,
          );
      },
    ),
    { seed: 9, numRuns: 200 },
  );
});
