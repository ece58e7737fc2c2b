/**
 * Faithful by default (issue 11; shared/spec/rollout-features.md rule 1): a DaemonSet that sets
 * none of everynode's rollout fields is planned exactly as plain apps/v1. After every random step
 * of cluster changes, template changes and rollouts (the incremental property's world), the plan
 * with the rollout code (engine/rolloutpolicy.ts, rolloutprogress.ts, pinning) is compared with
 * reconcile(..., { plain: true }), which reads no rollout spec, record or status:
 *
 * - an apps/v1 DaemonSet without rollout annotations: the whole plan is identical, status
 *   included (nothing is added to it);
 * - everynode's CRD without the new fields: every pod, revision and event action, the apps/v1
 *   counters, observedGeneration and the requeue are identical; what differs is only what the
 *   README documents: the CRD's status gets the rollout fields and conditions, and history
 *   cleanup never deletes the stable revision (it keeps it as it keeps a revision with live pods,
 *   so the next old revision without pods may go in its place).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  comparePlans,
  firstDifference,
  formatDifference,
} from '../../src/controller/plancompare.js';
import type { Plan } from '../../src/engine/types.js';
import { rolloutStepArb, startArb, stepArb, type Step } from './incremental-steps.js';
import { CRD_API_VERSION, World } from './incremental-world.js';

const COUNTERS = [
  'desiredNumberScheduled',
  'currentNumberScheduled',
  'numberMisscheduled',
  'numberReady',
  'numberAvailable',
  'numberUnavailable',
  'updatedNumberScheduled',
  'observedGeneration',
  'collisionCount',
] as const;

/**
 * The actions of a plan and its apps/v1 counters, as plain data; `cleanup` false leaves out the
 * revisions history cleanup deletes (compared apart when the stable revision was kept).
 */
function actions(p: Plan, cleanup: boolean): Record<string, unknown> {
  return {
    skip: p.skip,
    claims: p.claims,
    history: p.history && {
      ...p.history,
      deleteRevisions: cleanup ? p.history.deleteRevisions : [],
      oldRevisions: cleanup ? p.history.oldRevisions : [],
    },
    creates: p.creates.map((c) => ({
      node: c.node,
      revisionHash: c.revisionHash,
      source: c.source,
      reason: c.reason,
      pod: c.pod,
    })),
    deletes: p.deletes,
    events: p.events,
    counters: COUNTERS.map((k) => p.status[k]),
    requeueAfterMs: p.requeueAfterMs,
    backoffUpdates: [...p.backoffUpdates.entries()],
    rollingUpdateRan: p.rollingUpdateRan,
    error: p.error,
  };
}

function check(
  kind: 'native' | 'crd',
  steps: fc.Arbitrary<Step[]>,
  rollout: boolean,
  numRuns: number,
): {
  compared: number;
  stableKept: number;
  creates: number;
  deletes: number;
} {
  let compared = 0;
  let stableKept = 0;
  let creates = 0;
  let deletes = 0;
  fc.assert(
    fc.property(startArb, fc.constantFrom(0, 1, 10), steps, (start, limit, steps) => {
      const w = new World('own');
      if (kind === 'crd') w.ds = { ...w.ds, apiVersion: CRD_API_VERSION };
      w.step({ k: 'strategy', mode: start.strategy });
      w.ds = {
        ...w.ds,
        spec: { ...w.ds.spec!, minReadySeconds: start.minReady, revisionHistoryLimit: limit },
      };
      start.nodes.forEach((taint, i) => {
        w.step({ k: 'node', i, present: true, role: false, taint });
      });
      const warmUp: Step[] = [
        { k: 'apply', bind: true, removeDeleted: true },
        { k: 'apply', bind: true, removeDeleted: true },
        { k: 'kubelet' },
        { k: 'apply', bind: true, removeDeleted: true },
      ];
      if (rollout) warmUp.push({ k: 'template', image: 1, role: false, minReady: start.minReady });
      for (const [n, s] of [...warmUp, ...steps].entries()) {
        w.step(s);
        for (const satisfied of [true, false]) {
          const featured = w.snapshotPlan(satisfied);
          const plain = w.snapshotPlan(satisfied, true);
          compared++;
          creates += featured.creates.length;
          deletes += featured.deletes.length;
          const where = `step ${n} (${JSON.stringify(s)}), satisfied ${satisfied}`;
          if (kind === 'native') {
            const diff = comparePlans(featured, plain);
            if (diff !== undefined)
              assert.fail(`${where}: the plan differs from apps/v1's at ${formatDifference(diff)}`);
            continue;
          }
          // Cleanup keeps the stable revision as it keeps one with live pods: the next old
          // revision without pods may go in its place, never more of them.
          const stable = featured.rollout?.stableRevision;
          const kept = stable !== undefined && plain.history?.deleteRevisions.includes(stable);
          if (kept) {
            stableKept++;
            const f = featured.history?.deleteRevisions ?? [];
            const oldNames = new Set(featured.history?.oldRevisions.map((r) => r.name));
            assert.ok(!f.includes(stable) && oldNames.has(stable), where);
            assert.ok(f.length <= plain.history!.deleteRevisions.length, where);
          }
          const diff = firstDifference(actions(featured, !kept), actions(plain, !kept), 'plan');
          if (diff !== undefined)
            assert.fail(`${where}: the plan differs from apps/v1's at ${formatDifference(diff)}`);
        }
      }
    }),
    { numRuns },
  );
  return { compared, stableKept, creates, deletes };
}

for (const kind of ['native', 'crd'] as const) {
  test(`faithful by default (${kind}): without the new fields every plan is apps/v1's`, () => {
    const a = check(kind, fc.array(stepArb, { minLength: 5, maxLength: 40 }), false, 60);
    const b = check(kind, fc.array(rolloutStepArb, { minLength: 5, maxLength: 30 }), true, 60);
    const counts = JSON.stringify({ a, b });
    if (process.env['EVERYNODE_PROPERTY_COUNTS'] === '1') console.log(kind, counts);
    // The comparison covered plans that act, in both the cluster-change and rollout runs.
    assert.ok(a.compared > 1000 && b.compared > 1000, counts);
    assert.ok(a.creates > 100 && b.deletes > 50, counts);
  });
}
