/**
 * The rolling update's candidate walk (rolloutmodes.ts choose) stops at the first unreleased
 * candidate when releaseTest says the released ones come first (no candidate counts as updated).
 * Property: over random nodes, pods (old, new, unavailable, being deleted, older or newer than
 * each other), release counts and orders (steps-like ranks), in both modes and several budgets,
 * the walk that stops gives exactly the plan of the walk over every candidate (the same release
 * test behind a plain wrapper, which choose cannot recognise).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatTime, type Node, type Pod } from '../api/types.js';
import type { Eligibility } from './eligibility.js';
import { EMPTY_NODE_CLASS, R_OLD_AVAILABLE, rolloutClass, type RolloutClass } from './nodeclass.js';
import { heldScan } from './rollingupdate.js';
import { releaseTest, runRollingUpdate } from './rolloutmodes.js';
import { RolloutTally } from './tallies.js';
import { compareNodeNames, type UpdatePolicy } from './updatepolicy.js';

const NOW = Date.parse('2026-12-08T10:00:00Z');
const cx = { hash: 'new', generation: undefined, minReadySeconds: 0, now: NOW };

type PodKind = 'old' | 'oldDown' | 'new' | 'newDown' | 'newGoing' | 'oldGoing';

const nodeArb = fc.record({
  shouldRun: fc.boolean(),
  pods: fc.array(
    fc.record({
      kind: fc.constantFrom<PodKind>(
        'old',
        'old',
        'oldDown',
        'new',
        'newDown',
        'newGoing',
        'oldGoing',
      ),
      age: fc.nat(3),
    }),
    { maxLength: 2 },
  ),
  rank: fc.nat(3),
});

function pod(node: string, i: number, kind: PodKind, age: number): Pod {
  const isNew = kind.startsWith('new');
  const ready = kind !== 'oldDown' && kind !== 'newDown';
  const going = kind.endsWith('Going');
  return {
    metadata: {
      name: `${node}-p${i}`,
      labels: { 'controller-revision-hash': isNew ? 'new' : 'old' },
      creationTimestamp: formatTime(NOW - (10 - age) * 60_000),
      ...(going ? { deletionTimestamp: formatTime(NOW - 1000) } : {}),
    },
    spec: { nodeName: node, containers: [] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

test('choose: stopping at the first unreleased candidate plans exactly what the full walk plans', () => {
  let stopped = 0;
  fc.assert(
    fc.property(
      fc.array(nodeArb, { minLength: 1, maxLength: 14 }),
      fc.nat(14),
      fc.constantFrom(
        { maxSurge: 0, maxUnavailable: 1 },
        { maxSurge: 0, maxUnavailable: 3 },
        { maxSurge: 2, maxUnavailable: 0 },
      ),
      (spec, releasedSeed, budgetSpec) => {
        const names = spec.map((_, i) => `n-${i}`);
        const nodes: Node[] = names.map((name) => ({ metadata: { name } }));
        const eligibility = new Map<string, Eligibility>();
        const nodeToPods = new Map<string, Pod[]>();
        const rank = new Map<string, number>();
        spec.forEach((s, i) => {
          const name = names[i]!;
          eligibility.set(name, {
            shouldRun: s.shouldRun,
            shouldContinueRunning: s.shouldRun,
            reason: '',
          });
          if (s.pods.length > 0)
            nodeToPods.set(
              name,
              s.pods.map((p, j) => pod(name, j, p.kind, p.age)),
            );
          rank.set(name, s.rank);
        });
        // As rollingupdate.ts fills the tally.
        const classes = new Map<string, RolloutClass>();
        const tally = new RolloutTally();
        let desired = 0;
        for (const name of names) {
          const shouldRun = eligibility.get(name)!.shouldRun;
          if (shouldRun) desired++;
          const pods = nodeToPods.get(name);
          if (pods === undefined && !shouldRun) continue;
          const cls = pods === undefined ? EMPTY_NODE_CLASS : rolloutClass(pods, true, cx);
          classes.set(name, cls);
          tally.add(name, cls.bits, shouldRun);
        }
        const order = (a: string, b: string) =>
          rank.get(a)! - rank.get(b)! || compareNodeNames(a, b);
        const policy: UpdatePolicy = {
          name: 'ranks',
          compare: order,
          orderKey: `ranks:${JSON.stringify([...rank])}`,
          released: (d) => releasedSeed % (d + 1),
        };
        const candidate = (node: string) =>
          ((classes.get(node)?.bits ?? 0) & R_OLD_AVAILABLE) !== 0;
        const input = { nodes, eligibility, nodeToPods };
        const released = releaseTest(policy, {
          desired,
          held: () => heldScan(input, cx, candidate),
        });
        const view = {
          tally,
          classOf: (node: string) => classes.get(node) ?? EMPTY_NODE_CLASS,
          shouldRun: (node: string) => eligibility.get(node)?.shouldRun ?? false,
          listed: () => true,
          released,
          requeueAt: null,
        };
        const budget = { desired, ...budgetSpec };
        const ctx = { ds: {}, hash: 'new', now: NOW };
        const fast = runRollingUpdate(view, budget, policy, ctx);
        // The same test behind a wrapper: choose walks every candidate.
        const full = runRollingUpdate(
          { ...view, released: (n) => released(n) },
          budget,
          policy,
          ctx,
        );
        assert.deepEqual(fast, full);
        const held = heldScan(input, cx, candidate);
        if (policy.released(desired) < desired && held.updatedCandidates === 0) stopped++;
      },
    ),
    { numRuns: 400 },
  );
  // The stopping walk was in play (a release set smaller than the fleet, no updated candidate).
  assert.ok(stopped > 50, `stopped ${stopped}`);
});
