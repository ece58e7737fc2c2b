/**
 * The claim behind everynode's stable update order (docs/adr/2026-11-28-stable-update-order.md):
 * upstream's rolling update, which visits nodes in random map order and checks the budget inside
 * the loop, plans the same number of creates and deletes whatever the order, and so does
 * everynode's, whatever the policy. Checked against a reference written from spec §6.3–6.4.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Pod } from '../../src/api/types.js';
import { resolveBudget } from '../../src/engine/budget.js';
import type { Eligibility } from '../../src/engine/eligibility.js';
import {
  defaultUpdatePolicy,
  rollingUpdate,
  type UpdatePolicy,
} from '../../src/engine/rollingupdate.js';
import { dsWith, newNodes, newOwnedPod, sec } from '../harness/fixtures.js';

const KINDS = [
  'none',
  'old',
  'old-unready',
  'new',
  'new-unready',
  'old+new',
  'old+new-unready',
  'old-unready+new-unready',
  'dup-old',
  'terminating',
] as const;
type Kind = (typeof KINDS)[number];

const nodeArb = fc.record({ kind: fc.constantFrom(...KINDS), shouldRun: fc.boolean() });
const strategyArb = fc.oneof(
  fc.record({
    maxUnavailable: fc.integer({ min: 0, max: 8 }),
    maxSurge: fc.constant(0),
  }),
  fc.record({
    maxUnavailable: fc.constant(0),
    maxSurge: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({
    maxUnavailable: fc.constant(0),
    maxSurge: fc.integer({ min: 1, max: 100 }).map((p) => `${p}%`),
  }),
);

interface NodeCase {
  readonly name: string;
  readonly kind: Kind;
  readonly shouldRun: boolean;
}

/** Spec §6.3–6.4 with upstream's in-loop budget checks, visiting nodes in the given order. */
function reference(
  order: readonly NodeCase[],
  maxSurge: number,
  maxUnavailable: number,
  desired: number,
): [number, number] {
  const visited = order.filter((n) => n.kind !== 'none' || n.shouldRun);
  if (maxSurge === 0) {
    let numUnavailable = 0;
    let replacements = 0;
    let candidates = 0;
    for (const n of visited) {
      switch (n.kind) {
        case 'dup-old':
        case 'none':
        case 'terminating':
        case 'old+new':
        case 'old+new-unready':
        case 'old-unready+new-unready':
        case 'new-unready':
          numUnavailable++;
          break;
        case 'new':
          break;
        case 'old-unready':
          replacements++;
          numUnavailable++;
          break;
        case 'old':
          if (numUnavailable >= maxUnavailable) continue;
          candidates++;
      }
    }
    return [0, replacements + Math.min(Math.max(0, maxUnavailable - numUnavailable), candidates)];
  }
  let numSurge = 0;
  let numAvailable = 0;
  let creates = 0;
  let deletes = 0;
  let candidates = 0;
  let shouldNotRun = 0;
  for (const n of visited) {
    if (n.kind === 'dup-old') {
      numSurge++;
      continue;
    }
    if (
      n.kind === 'old' ||
      n.kind === 'old+new' ||
      n.kind === 'old+new-unready' ||
      n.kind === 'new'
    )
      numAvailable++;
    switch (n.kind) {
      case 'old-unready':
        if (n.shouldRun) creates++;
        else deletes++;
        break;
      case 'old':
        if (!n.shouldRun) shouldNotRun++;
        else if (numSurge < maxSurge) candidates++;
        break;
      case 'old+new':
        deletes++;
        break;
      case 'old+new-unready':
      case 'old-unready+new-unready':
        numSurge++;
        break;
      default:
        break;
    }
  }
  deletes += Math.min(Math.max(0, numAvailable - desired), shouldNotRun);
  creates += Math.min(Math.max(0, maxSurge - numSurge), candidates);
  return [creates, deletes];
}

function podsFor(ds: ReturnType<typeof dsWith>, n: NodeCase): Pod[] {
  const old = { hash: 'old', readySince: sec(0) };
  const cur = { hash: 'new', readySince: sec(0) };
  const p = (opts: Parameters<typeof newOwnedPod>[2]) => newOwnedPod(ds, n.name, opts);
  switch (n.kind) {
    case 'none':
      return [];
    case 'old':
      return [p(old)];
    case 'old-unready':
      return [p({ hash: 'old' })];
    case 'new':
      return [p(cur)];
    case 'new-unready':
      return [p({ hash: 'new' })];
    case 'old+new':
      return [p(old), p(cur)];
    case 'old+new-unready':
      return [p(old), p({ hash: 'new' })];
    case 'old-unready+new-unready':
      return [p({ hash: 'old' }), p({ hash: 'new' })];
    case 'dup-old':
      return [p(old), p(old)];
    case 'terminating':
      return [p({ ...old, deleting: sec(1) })];
  }
}

test('update counts do not depend on the visit order or the policy', () => {
  fc.assert(
    fc.property(
      fc.array(nodeArb, { minLength: 1, maxLength: 25 }),
      strategyArb,
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      (specs, strategy, seed) => {
        const ds = dsWith({ type: 'RollingUpdate', ...strategy });
        delete ds.metadata!.annotations;
        const nodes = newNodes(specs.length);
        const cases: NodeCase[] = specs.map((s, i) => ({ ...s, name: `node-${i}` }));
        const eligibility = new Map<string, Eligibility>(
          cases.map((c) => [
            c.name,
            { shouldRun: c.shouldRun, shouldContinueRunning: true, reason: '' },
          ]),
        );
        const nodeToPods = new Map<string, Pod[]>();
        for (const c of cases) {
          const pods = podsFor(ds, c);
          if (pods.length > 0) nodeToPods.set(c.name, pods);
        }
        const desired = cases.filter((c) => c.shouldRun).length;
        const budget = resolveBudget(ds, desired);
        const input = { ds, nodes, eligibility, nodeToPods, hash: 'new', now: sec(1000) };
        const result = rollingUpdate(input);
        const counts: [number, number] = [result.createOnNodes.length, result.deletePods.length];

        // Upstream's loop in a pseudo-random visit order, and in the reverse of ours.
        let x = seed;
        const shuffled = cases
          .map((c) => {
            x = (x * 1103515245 + 12345) % 2 ** 31;
            return { c, k: x };
          })
          .sort((a, b) => a.k - b.k)
          .map((e) => e.c);
        for (const order of [shuffled, [...cases].reverse(), cases]) {
          assert.deepEqual(
            counts,
            reference(order, budget.maxSurge, budget.maxUnavailable, desired),
          );
        }
        // Any policy, e.g. the reverse of the default, gives the same counts.
        const reverse: UpdatePolicy = {
          ...defaultUpdatePolicy,
          name: 'reverse',
          select: (cs, n) => [...cs].reverse().slice(0, n),
        };
        const other = rollingUpdate({ ...input, policy: reverse });
        assert.deepEqual([other.createOnNodes.length, other.deletePods.length], counts);
        // Nothing is planned twice.
        assert.equal(
          new Set(result.createOnNodes.map((c) => c.node)).size,
          result.createOnNodes.length,
        );
        assert.equal(new Set(result.deletePods.map((d) => d.pod)).size, result.deletePods.length);
      },
    ),
    { numRuns: 300 },
  );
});
