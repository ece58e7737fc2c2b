/**
 * Issue 12's node-caused unavailability and removal budget as properties of one reconcile, over
 * random fleets (nodes impaired or not, eligible or not, each with no pod, an old or an updated
 * pod, available or not), for everynode's CRD:
 *
 * - the status counts: numberUnavailableNodeCaused is the desired nodes that are impaired
 *   (api/nodeimpairment.ts) without an available pod, and the rollout-caused count is the rest;
 * - `unavailableAccounting: All` plans exactly what the same DaemonSet without the field plans
 *   (the spec's rule 1), and a removal budget with nothing to remove changes no pod write;
 * - `RolloutOnly`: the rolling update touches no impaired node, and deletes available old pods
 *   only within maxUnavailable counted over the unimpaired nodes;
 * - a removal budget: the pods of ineligible nodes removed in a sync are at most maxRemovals (none
 *   before delaySeconds), the rest are pendingRemovals; without one, all go.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { DaemonSet, Mutable } from '../../src/api/types.js';
import { reconcile } from '../../src/engine/reconcile.js';
import type { Plan } from '../../src/engine/types.js';
import { dsWith, newNode, newOwnedPod, sec } from '../harness/fixtures.js';
import { Harness } from '../harness/harness.js';

const CRD = 'apps.everynode.dev/v1alpha1';
const POD_STATES = ['none', 'oldAvailable', 'oldUnavailable', 'newAvailable', 'newUnavailable'];

interface NodeSpec {
  readonly impaired: boolean;
  readonly eligible: boolean;
  readonly pod: string;
}

const nodeArb: fc.Arbitrary<NodeSpec> = fc.record({
  impaired: fc.boolean(),
  eligible: fc.boolean(),
  pod: fc.constantFrom(...POD_STATES),
});

/** Mostly eligible nodes with a pod, so that manage plans nothing and the rolling update runs. */
const rollingArb: fc.Arbitrary<NodeSpec> = fc.record({
  impaired: fc.boolean(),
  eligible: fc.constantFrom(true, true, true, true, false),
  pod: fc.constantFrom(
    'oldAvailable',
    'oldAvailable',
    'oldUnavailable',
    'newAvailable',
    'newUnavailable',
    'none',
  ),
});

interface Fields {
  accounting?: string;
  removalBudget?: { maxRemovals: number; periodSeconds: number; delaySeconds: number };
}

/** The plan of one live reconcile of the fleet, with the given issue-12 fields. */
function planOf(nodes: readonly NodeSpec[], maxUnavailable: number, fields: Fields): Plan {
  const ds = dsWith({ type: 'RollingUpdate', maxUnavailable }, (d: Mutable<DaemonSet>) => {
    d.apiVersion = CRD;
    d.spec!.template.spec!.nodeSelector = { pool: 'a' };
    const ru = d.spec!.updateStrategy!.rollingUpdate as Record<string, unknown>;
    if (fields.accounting !== undefined) ru.unavailableAccounting = fields.accounting;
    if (fields.removalBudget !== undefined)
      (d.spec as Record<string, unknown>).removalBudget = fields.removalBudget;
  });
  const h = new Harness({
    ds,
    nodes: nodes.map((n, i) =>
      newNode(`node-${i}`, {
        labels: n.eligible ? { pool: 'a' } : {},
        conditions: n.impaired ? { Ready: 'False' } : {},
      }),
    ),
  });
  const current = h.currentHash();
  nodes.forEach((n, i) => {
    if (n.pod === 'none') return;
    const hash = n.pod.startsWith('new') ? current : 'old';
    const available = n.pod.endsWith('Available') && !n.pod.endsWith('Unavailable');
    h.addPod(
      newOwnedPod(h.ds, `node-${i}`, {
        hash,
        name: `foo-${i}`,
        created: sec(i),
        ...(available ? { readySince: sec(0) } : {}),
      }),
    );
  });
  return reconcile(h.snapshot(), { mode: 'live' });
}

const writes = (p: Plan): string =>
  JSON.stringify({
    creates: p.creates.map((c) => [c.node, c.revisionHash, c.reason]),
    deletes: p.deletes.map((d) => [d.name, d.reason]),
  });

const available = (n: NodeSpec): boolean => n.pod === 'oldAvailable' || n.pod === 'newAvailable';
const nodeIndex = (name: string): number => Number(name.slice('node-'.length));

test('node-caused counts; All is apps/v1; RolloutOnly skips impaired nodes within the budget', () => {
  let rolloutOnlyRuns = 0;
  fc.assert(
    fc.property(
      fc.oneof(
        fc.array(nodeArb, { minLength: 1, maxLength: 12 }),
        fc.array(rollingArb, { minLength: 1, maxLength: 8 }),
      ),
      fc.integer({ min: 1, max: 3 }),
      (nodes, maxU) => {
        const plain = planOf(nodes, maxU, {});
        const desired = nodes.filter((n) => n.eligible);
        const nodeCaused = desired.filter((n) => n.impaired && !available(n)).length;
        const s = plain.status;
        assert.equal(s.numberUnavailableNodeCaused, nodeCaused);
        assert.equal(s.numberUnavailableRolloutCaused, (s.numberUnavailable ?? 0) - nodeCaused);
        assert.equal(s.pendingRemovals, undefined);

        assert.equal(writes(planOf(nodes, maxU, { accounting: 'All' })), writes(plain));

        const ro = planOf(nodes, maxU, { accounting: 'RolloutOnly' });
        if (!ro.rollingUpdateRan) return;
        rolloutOnlyRuns++;
        const ru = ro.deletes.filter((d) => d.source === 'rollingUpdate');
        for (const d of ru)
          assert.ok(!nodes[nodeIndex(d.node)]!.impaired, `RolloutOnly deleted on ${d.node}`);
        const unavailableHealthy = desired.filter((n) => !n.impaired && !available(n)).length;
        const withinBudget = ru.filter((d) => available(nodes[nodeIndex(d.node)]!));
        assert.ok(
          withinBudget.filter((d) => nodes[nodeIndex(d.node)]!.eligible).length <=
            Math.max(0, maxU - unavailableHealthy),
          JSON.stringify({ ru, unavailableHealthy }),
        );
      },
    ),
    { numRuns: 300 },
  );
  assert.ok(rolloutOnlyRuns > 30, `the rolling update ran ${rolloutOnlyRuns} times`);
});

test('removal budget: at most maxRemovals ineligible pods go, none before the delay', () => {
  let deferred = 0;
  fc.assert(
    fc.property(
      fc.array(nodeArb, { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 1, max: 3 }),
      fc.constantFrom(0, 30),
      (nodes, max, delay) => {
        const leaving = (p: Plan): number =>
          p.deletes.filter((d) => !nodes[nodeIndex(d.node)]!.eligible).length;
        // Pods on nodes that stopped being eligible (terminal pods and deleted nodes aside).
        const candidates = nodes.filter((n) => !n.eligible && n.pod !== 'none').length;
        const plain = planOf(nodes, 1, {});
        assert.equal(leaving(plain), candidates, 'upstream: every one goes at once');
        const budget = { maxRemovals: max, periodSeconds: 60, delaySeconds: delay };
        const p = planOf(nodes, 1, { removalBudget: budget });
        const gone = leaving(p);
        assert.equal(gone, delay > 0 ? 0 : Math.min(max, candidates));
        assert.equal(p.status.pendingRemovals, candidates - gone);
        if (candidates === 0) assert.equal(writes(p), writes(plain));
        if (candidates > gone) {
          deferred++;
          assert.ok(p.events.some((e) => e.reason === 'RemovalDeferred'));
          assert.ok(p.requeueAfterMs !== null && p.requeueAfterMs <= (delay || 60) * 1000);
        }
      },
    ),
    { numRuns: 300 },
  );
  assert.ok(deferred > 30, `deferred in ${deferred} runs`);
});
