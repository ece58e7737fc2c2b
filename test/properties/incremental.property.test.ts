/**
 * The incremental sync (src/controller/fastplan.ts) against the reference: random sequences of
 * node joins, leaves, label and taint changes, pod binding, readiness, deletion, failure and
 * relabelling, orphans, template and strategy changes, plans carried out, and clock advances.
 * After every step, whenever the incremental planner answers (expectations satisfied or not), its
 * plan must equal reconcile(fullSnapshot, { mode: 'live' }) in everything the executor acts on.
 * A second property starts each run with a template change and draws steps of a rollout in
 * progress (both modes, several budgets), so that the incremental rolling update (the engine's
 * runRollingUpdate over the kept tally) answers often; both count what they covered and hold
 * floors on it. The rollout property runs again with a partition-like update policy (the last two
 * nodes held back), which the incremental sync must honour, and with a policy that has a free
 * select, which it must decline. Issue 11: the rollout property runs again with random rollout
 * controls (pause and resume, partitions, abort and retry, freeze and scale to zero, a progress
 * deadline) on the CRD and on apps/v1 with the strategy annotation, the policy coming from the
 * DaemonSet itself, so paused, partitioned and pinned syncs are compared too.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isNodeImpaired } from '../../src/api/nodeimpairment.js';
import { comparePlans, formatDifference } from '../../src/controller/plancompare.js';
import {
  defaultUpdatePolicy,
  holdBackLast,
  type UpdatePolicy,
} from '../../src/engine/updatepolicy.js';
import { STRATEGY_ANNOTATION } from '../../src/api/rolloutspec.js';
import {
  rolloutStepArb,
  startArb,
  stepArb,
  STEP_SPECS,
  withControls,
  withStepChanges,
  type Step,
} from './incremental-steps.js';
import { CRD_API_VERSION, World } from './incremental-world.js';

/** Random steps after a start, both planners after each; counts of what the plans covered. */
function check(
  steps: fc.Arbitrary<Step[]>,
  numRuns: number,
  rollout: boolean,
  policy: UpdatePolicy | 'own' = defaultUpdatePolicy,
  /** Run the DaemonSet's own rollout spec (policy undefined): as the CRD or apps/v1 + annotation. */
  kind?: 'crd' | 'native',
  /** Issue 12: the DaemonSet carries one of STEP_SPECS (canary, waves, health gates). */
  withSteps = false,
  /** fast-check's seed: fixed where a run's coverage counts are asserted; random otherwise. */
  seed?: number,
): {
  incremental: number;
  fallbacks: number;
  seen: Record<string, number>;
  declined: Record<string, number>;
} {
  let incremental = 0;
  let fallbacks = 0;
  const declined: Record<string, number> = {};
  const seen = {
    misscheduled: 0,
    requeue: 0,
    creates: 0,
    unavailable: 0,
    // The incremental rolling update (runRollingUpdate over the kept tally) and the classes it reads.
    oldPods: 0,
    terminating: 0,
    rolloutDeletes: 0,
    rolloutCreates: 0,
    manageDeletes: 0,
    manageCreatesBesideTerminating: 0,
    rolloutRequeue: 0,
    surgeRollout: 0,
    // Issue 11: creates pinned to the stable revision, held rollouts, aborts going back.
    pinned: 0,
    held: 0,
    goingBack: 0,
    frozen: 0,
    // Issue 12: syncs the steps stage acted in, and what it decided.
    steps: 0,
    stepWrites: 0,
    stepHeld: 0,
    baking: 0,
    awaitingPromotion: 0,
    gateHeld: 0,
    stepProblem: 0,
    // RolloutOnly with an impaired node while old pods remain: the rolling update skips it.
    rolloutOnlySkips: 0,
  };
  fc.assert(
    fc.property(startArb, fc.nat(STEP_SPECS.length - 1), steps, (start, spec, steps) => {
      const w = new World(policy);
      if (kind === 'crd') w.ds = { ...w.ds, apiVersion: CRD_API_VERSION };
      if (kind === 'native')
        w.ds = {
          ...w.ds,
          metadata: { ...w.ds.metadata, annotations: { [STRATEGY_ANNOTATION]: '{}' } },
        };
      if (withSteps) w.setStepFields(STEP_SPECS[spec]!);
      const key = 'default/foo';
      w.step({ k: 'strategy', mode: start.strategy });
      w.ds = { ...w.ds, spec: { ...w.ds.spec!, minReadySeconds: start.minReady } };
      start.nodes.forEach((taint, i) => {
        w.step({ k: 'node', i, present: true, role: false, taint });
      });
      const warmUp: Step[] = [
        { k: 'apply', bind: true, removeDeleted: true },
        { k: 'apply', bind: true, removeDeleted: true },
        { k: 'kubelet' },
        { k: 'apply', bind: true, removeDeleted: true },
      ];
      // A rollout starts from the converged state with a new image.
      if (rollout) warmUp.push({ k: 'template', image: 1, role: false, minReady: start.minReady });
      for (const [n, s] of [...warmUp, ...steps].entries()) {
        w.step(s);
        for (const satisfied of [true, false]) {
          const full = w.snapshotPlan(satisfied);
          const fast = w.planner.plan(key, w.ds, w.now, satisfied, () => full.nodes, w.policy);
          if (typeof fast === 'string') {
            fallbacks++;
            declined[fast] = (declined[fast] ?? 0) + 1;
            continue;
          }
          incremental++;
          if ((full.status.numberMisscheduled ?? 0) > 0) seen.misscheduled++;
          if (full.requeueAfterMs !== null) seen.requeue++;
          if (full.creates.length > 0) seen.creates++;
          if ((full.status.numberUnavailable ?? 0) > 0) seen.unavailable++;
          const st = full.status;
          const old = (st.updatedNumberScheduled ?? 0) < (st.currentNumberScheduled ?? 0);
          if (old) seen.oldPods++;
          if (w.pods.list().some((p) => p.metadata?.deletionTimestamp)) seen.terminating++;
          if (full.deletes.some((d) => d.source === 'rollingUpdate')) seen.rolloutDeletes++;
          if (full.creates.some((c) => c.source === 'rollingUpdate')) seen.rolloutCreates++;
          if (full.deletes.some((d) => d.source === 'manage')) seen.manageDeletes++;
          if (full.creates.some((c) => c.source === 'manage' && /terminating/.test(c.reason)))
            seen.manageCreatesBesideTerminating++;
          if (old && full.rollingUpdateRan && full.requeueAfterMs !== null) seen.rolloutRequeue++;
          const surge = (w.ds.spec?.updateStrategy?.rollingUpdate?.maxSurge ?? 0) !== 0;
          if (old && full.rollingUpdateRan && surge) seen.surgeRollout++;
          if (full.creates.some((c) => c.pinned !== undefined)) seen.pinned++;
          if (full.rollout?.hold !== undefined && old) seen.held++;
          const r = full.rollout;
          if (r && r.targetRevision !== r.updateRevision) seen.goingBack++;
          if (r?.suspend !== undefined) seen.frozen++;
          const st6 = r?.steps;
          if (st6 !== undefined && st6.count > 0) {
            seen.steps++;
            if (full.creates.length + full.deletes.length > 0) seen.stepWrites++;
            if (r?.hold === 'canary' || r?.hold === 'waves') seen.stepHeld++;
            if (st6.state === 'Baking') seen.baking++;
            if (st6.state === 'AwaitingPromotion') seen.awaitingPromotion++;
          }
          if (r?.hold === 'healthGate') seen.gateHeld++;
          if (st6 !== undefined && st6.count === 0 && st6.state === 'Held') seen.stepProblem++;
          if (
            old &&
            w.stepFields?.['unavailableAccounting'] === 'RolloutOnly' &&
            w.nodes.list().some((node) => isNodeImpaired(node).impaired)
          )
            seen.rolloutOnlySkips++;
          const diff = comparePlans(fast, full);
          if (diff !== undefined)
            assert.fail(
              `step ${n} (${JSON.stringify(s)}), satisfied ${satisfied}: the incremental plan differs at ${formatDifference(diff)}`,
            );
        }
      }
    }),
    { numRuns, ...(seed !== undefined ? { seed } : {}) },
  );
  if (process.env['EVERYNODE_PROPERTY_COUNTS'] === '1')
    console.log(
      JSON.stringify({
        rollout,
        policy: policy === 'own' ? kind : policy.name,
        incremental,
        fallbacks,
        ...seen,
        declined,
      }),
    );
  return { incremental, fallbacks, seen, declined };
}

test('incremental sync: after every random step its plan equals the full reconcile', () => {
  const { incremental, fallbacks, seen } = check(
    fc.array(stepArb, { minLength: 5, maxLength: 60 }),
    150,
    false,
  );
  // The property means something only if both paths were taken often, and the incremental one
  // in the states it must get right: creates, misscheduled pods, pods waiting on minReadySeconds.
  const counts = JSON.stringify({ incremental, fallbacks, ...seen });
  assert.ok(incremental > 1000 && fallbacks > 100, counts);
  // Seeds are random: over 150 runs misscheduled states came up 12 to 82 times (the rarest), so
  // the floor is 5, low enough never to fail by chance and high enough to catch a generator that
  // stopped reaching the state.
  for (const what of ['misscheduled', 'requeue', 'creates', 'unavailable'] as const)
    assert.ok((seen[what] ?? 0) >= 5, `${what}: ${counts}`);
});

/**
 * The fast-check seed of the rollout properties' coverage runs (EVERYNODE_ROLLOUT_SEED overrides).
 * Their floors are sums over a run of counts that are 0 in most cases (a rolling-update delete is
 * answered incrementally only once an apply has written the new revision: until then the sync is
 * declined as historyWrite), so with a random seed they failed by chance, never by a plan
 * difference: over 1650 seeds of the both-modes property, rolloutDeletes fell to 4 (seed 1116)
 * and the surge create beside a terminating pod to 0 (seeds 20391, 20773); with the rollout
 * controls, rolloutDeletes fell to 3 in a run of this file and frozen to 4 (seed 40263, both
 * kinds). Each property also runs with a random seed, and there only compares the plans.
 */
const ROLLOUT_SEED = Number(process.env['EVERYNODE_ROLLOUT_SEED'] ?? 42);

test('incremental sync: rollouts in both modes, random seed, equal the full reconcile', () => {
  const { incremental } = check(
    fc.array(rolloutStepArb, { minLength: 5, maxLength: 40 }),
    120,
    true,
  );
  assert.ok(incremental > 1000, String(incremental));
});

test('incremental sync: rollouts in both modes are planned incrementally and equal the full reconcile', () => {
  const { incremental, fallbacks, seen } = check(
    fc.array(rolloutStepArb, { minLength: 5, maxLength: 40 }),
    120,
    true,
    defaultUpdatePolicy,
    undefined,
    false,
    ROLLOUT_SEED,
  );
  const counts = JSON.stringify({ incremental, fallbacks, ...seen });
  assert.ok(incremental > 1000, counts);
  // Each class the incremental rolling update reads, and each kind of write it plans (misscheduled
  // pods are the first property's: rare here, 6 to 10 a run). A surge create beside a node's one
  // terminating pod is rare (0 in 2 of 1650 random seeds), so its floor is 1 (seed 42 gives 20);
  // fastplan.test.ts covers it deterministically (scenario 76). Seed 42 gives rolloutDeletes 30.
  const floors: Readonly<Record<string, number>> = {
    misscheduled: 0,
    manageCreatesBesideTerminating: 1,
  };
  for (const [what, n] of Object.entries(seen))
    if (!ISSUE_11.has(what)) assert.ok(n >= (floors[what] ?? 5), `${what}: ${counts}`);
});

/** The counts only the rollout-control and steps properties reach. */
const ISSUE_11 = new Set([
  'pinned',
  'held',
  'goingBack',
  'frozen',
  'steps',
  'stepWrites',
  'stepHeld',
  'baking',
  'awaitingPromotion',
  'gateHeld',
  'stepProblem',
  'rolloutOnlySkips',
]);

for (const kind of ['crd', 'native'] as const) {
  const steps = fc.array(withControls(rolloutStepArb), { minLength: 5, maxLength: 40 });
  test(`incremental sync: paused, partitioned, pinned, aborted and suspended rollouts (${kind}), random seed, equal the full reconcile`, () => {
    const { incremental } = check(steps, 100, true, 'own', kind);
    assert.ok(incremental > 800, String(incremental));
  });
  // Over ROLLOUT_SEED (see there): seed 42 gives rolloutDeletes 22, pinned 20 (crd) and 26.
  test(`incremental sync: paused, partitioned, pinned, aborted and suspended rollouts (${kind}) are planned incrementally and equal the full reconcile`, () => {
    const { incremental, fallbacks, seen, declined } = check(
      steps,
      100,
      true,
      'own',
      kind,
      false,
      ROLLOUT_SEED,
    );
    const counts = JSON.stringify({ incremental, fallbacks, ...seen, declined });
    assert.ok(incremental > 800, counts);
    // Each issue-11 state was planned incrementally, and the rollout's writes too.
    for (const what of ['pinned', 'held', 'goingBack', 'frozen', 'rolloutDeletes'] as const)
      assert.ok((seen[what] ?? 0) >= 5, `${what}: ${counts}`);
  });
}

test('incremental sync: with a partition-like policy (the last 2 nodes held back), random seed, equal the full reconcile', () => {
  const { incremental, declined } = check(
    fc.array(rolloutStepArb, { minLength: 5, maxLength: 40 }),
    80,
    true,
    holdBackLast(2),
  );
  assert.equal(declined['policy'] ?? 0, 0, JSON.stringify(declined));
  assert.ok(incremental > 700, String(incremental));
});

// Over ROLLOUT_SEED (see there): with random seeds rolloutDeletes came up exactly 1 time in 3 of
// 300 seeds, at its floor of 1.
test('incremental sync: with a partition-like policy (the last 2 nodes held back) it still answers and equals the full reconcile', () => {
  const { incremental, fallbacks, seen, declined } = check(
    fc.array(rolloutStepArb, { minLength: 5, maxLength: 40 }),
    80,
    true,
    holdBackLast(2),
    undefined,
    false,
    ROLLOUT_SEED,
  );
  const counts = JSON.stringify({ incremental, fallbacks, ...seen, declined });
  // The incremental planner honours the policy rather than declining it.
  assert.equal(declined['policy'] ?? 0, 0, counts);
  assert.ok(incremental > 700, counts);
  // Most syncs whose rolling update deletes under this policy also write the new revision
  // (declined as historyWrite): answered ones came up 2 to 27 times a run over 80 runs, so the
  // deletes' floor is 1 (a floor of 5 failed about one run in three; seed 42 gives 10). The
  // creates the incremental planner answers are as rare for the same reason (3 in one run of
  // five at a floor of 5): their floor is 1 too. Each answer is still compared with the full
  // reconcile's; the floors only say that the class came up at all.
  const floors: Readonly<Record<string, number>> = { rolloutDeletes: 1, rolloutCreates: 1 };
  for (const what of ['rolloutDeletes', 'rolloutCreates', 'surgeRollout'] as const)
    assert.ok((seen[what] ?? 0) >= (floors[what] ?? 5), `${what}: ${counts}`);
});

test('incremental sync: a policy with a free select is declined as policy, never ignored', () => {
  const select: UpdatePolicy = {
    ...defaultUpdatePolicy,
    name: 'reverse',
    select: (cs, n) => [...cs].reverse().slice(0, n),
  };
  const { incremental, declined, seen } = check(
    fc.array(rolloutStepArb, { minLength: 5, maxLength: 20 }),
    20,
    true,
    select,
  );
  // Every sync where the rolling update runs goes to the full reconcile, which runs the select.
  assert.equal(
    (seen['rolloutDeletes'] ?? 0) + (seen['rolloutCreates'] ?? 0),
    0,
    JSON.stringify(seen),
  );
  assert.ok((declined['policy'] ?? 0) > 0, JSON.stringify(declined));
  assert.ok(incremental > 0);
});

const SEEDS = {
  crd: Number(process.env['EVERYNODE_STEPS_SEED'] ?? 7),
  native: Number(process.env['EVERYNODE_STEPS_SEED'] ?? 11),
};
for (const kind of ['crd', 'native'] as const) {
  test(`incremental sync: rollouts with a canary, waves and health gates (${kind}), random seed, equal the full reconcile`, () => {
    const { incremental } = check(
      fc.array(withStepChanges(withControls(rolloutStepArb)), { minLength: 5, maxLength: 40 }),
      100,
      true,
      'own',
      kind,
      true,
    );
    assert.ok(incremental > 600);
  });
  // The coverage floors below are over one fixed seed: with a random one, gate holds and
  // RolloutOnly skips came up 0 to 4 times in some runs of 100 and failed their floor of 5.
  test(`incremental sync: rollouts with a canary, waves and health gates (${kind}) are planned incrementally and equal the full reconcile`, () => {
    const { incremental, fallbacks, seen, declined } = check(
      fc.array(withStepChanges(withControls(rolloutStepArb)), { minLength: 5, maxLength: 40 }),
      100,
      true,
      'own',
      kind,
      true,
      SEEDS[kind],
    );
    const counts = JSON.stringify({ incremental, fallbacks, ...seen, declined });
    assert.ok(incremental > 600, counts);
    // Over 8 runs of 100: steps 1000+, writes 180+, held 900+, baking 16-88, gate holds 12-94,
    // blocking problems 114-254. A Manual step awaiting its promote came up 0 to 14 times (the
    // random promote often comes early and is kept), so it has no floor here; the canary-promote
    // example (test/examples.test.ts, verified on every sync) plans it incrementally.
    for (const what of [
      'steps',
      'stepWrites',
      'stepHeld',
      'baking',
      'gateHeld',
      'stepProblem',
      'rolloutOnlySkips',
    ] as const)
      assert.ok((seen[what] ?? 0) >= 5, `${what}: ${counts}`);
  });
}
