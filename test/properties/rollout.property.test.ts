/**
 * Rollout invariants over random clusters, templates and strategies, in the harness model
 * (previewRollout drives reconcile to convergence on a virtual clock):
 *
 * - never more than maxUnavailable eligible nodes without an available pod, beyond those already
 *   unavailable when the rollout started (surge: maxUnavailable is 0);
 * - never more than one pod on a node without surge, never more than two with it;
 * - every rollout converges to one available pod of the newest revision on every eligible node,
 *   and to no pod anywhere else;
 * - a converged state plans nothing, in either reconcile mode.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { getControllerOf, getTargetNodeName, isPodAvailable } from '../../src/api/pod.js';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  formatTime,
  type DaemonSet,
  type IntOrString,
  type Mutable,
  type Node,
  type Pod,
  type Taint,
  type Toleration,
} from '../../src/api/types.js';
import { resolveBudget } from '../../src/engine/budget.js';
import { makeEligibilityChecker } from '../../src/engine/eligibility.js';
import { reconcile } from '../../src/engine/reconcile.js';
import { previewRollout, withTemplate } from '../../src/engine/rollout.js';
import type { Snapshot } from '../../src/engine/types.js';
import { dsWith, newNode, sec } from '../harness/fixtures.js';

const TAINTS: readonly Taint[] = [
  { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
  { key: 'maintenance', effect: 'NoExecute' },
  { key: 'soft', effect: 'PreferNoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
];
const TOLERATIONS: readonly Toleration[] = [
  { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
  { key: 'maintenance', operator: 'Exists' },
];

const nodeArb = fc.record({
  zone: fc.constantFrom('a', 'b', 'c'),
  taints: fc.subarray([...TAINTS], { maxLength: 2 }),
});
const clusterArb = fc.array(nodeArb, { minLength: 2, maxLength: 30 });

const templateArb = fc.record({
  zones: fc.option(fc.subarray(['a', 'b', 'c'], { minLength: 1 }), { nil: undefined }),
  tolerations: fc.subarray([...TOLERATIONS]),
});

type Strategy = { maxUnavailable: IntOrString; maxSurge: IntOrString };
const strategyArb: fc.Arbitrary<Strategy> = fc.oneof(
  fc.record({ maxUnavailable: fc.integer({ min: 1, max: 6 }), maxSurge: fc.constant(0) }),
  fc.record({
    maxUnavailable: fc.integer({ min: 1, max: 100 }).map((p) => `${p}%`),
    maxSurge: fc.constant(0),
  }),
  fc.record({ maxUnavailable: fc.constant(0), maxSurge: fc.integer({ min: 1, max: 6 }) }),
  fc.record({
    maxUnavailable: fc.constant(0),
    maxSurge: fc.integer({ min: 1, max: 100 }).map((p) => `${p}%`),
  }),
);

type TemplateSpec = { zones: string[] | undefined; tolerations: Toleration[] };

function shape(ds: Mutable<DaemonSet>, t: TemplateSpec, image: string): void {
  const spec = ds.spec!.template.spec!;
  spec.containers[0]!.image = image;
  spec.tolerations = t.tolerations.length > 0 ? structuredClone(t.tolerations) : undefined;
  spec.affinity =
    t.zones === undefined
      ? undefined
      : {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'zone', operator: 'In', values: [...t.zones] }] },
              ],
            },
          },
        };
}

function nodesOf(cluster: readonly { zone: string; taints: Taint[] }[]): Node[] {
  return cluster.map((n, i) =>
    newNode(`node-${i}`, { labels: { zone: n.zone }, taints: n.taints }),
  );
}

/** Active pods of the DaemonSet by node. */
function podsByNode(s: Snapshot): Map<string, Pod[]> {
  const out = new Map<string, Pod[]>();
  for (const p of s.pods) {
    if (p.metadata?.deletionTimestamp || getControllerOf(p)?.uid !== s.ds.metadata?.uid) continue;
    const t = getTargetNodeName(p);
    if ('node' in t) out.set(t.node, [...(out.get(t.node) ?? []), p]);
  }
  return out;
}

function makeUnready(s: Snapshot, which: readonly boolean[]): Snapshot {
  const pods = s.pods.map((p, i) =>
    which[i % which.length]
      ? {
          ...p,
          status: {
            ...p.status,
            conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: formatTime(s.now) }],
          },
        }
      : p,
  );
  return { ...s, pods };
}

test('rollout properties: budget, pods per node, convergence, quiet when converged', () => {
  fc.assert(
    fc.property(
      clusterArb,
      templateArb,
      templateArb,
      strategyArb,
      strategyArb,
      fc.constantFrom(0, 5),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
      (cluster, t1, t2, strategy, strategy2, minReadySeconds, unready) => {
        const nodes = nodesOf(cluster);
        const ds1 = dsWith(
          { type: 'RollingUpdate', ...strategy },
          (d) => {
            shape(d, t1, 'foo/bar:v1');
          },
          { minReadySeconds },
        );
        const start = previewRollout({
          ds: ds1,
          nodes,
          pods: [],
          revisions: [],
          now: sec(0),
          backoff: new Map(),
        });
        assert.ok(start.converged, `first rollout converges: ${start.error ?? ''}`);

        const next = structuredClone(start.final.ds.spec!.template) as Mutable<
          NonNullable<DaemonSet['spec']>['template']
        >;
        const holder = { spec: { template: next } } as Mutable<DaemonSet>;
        shape(holder, t2, 'foo/bar:v2');
        // The update changes the template and, at random, the strategy too.
        const changed = structuredClone(withTemplate(start.final.ds, next)) as Mutable<DaemonSet>;
        changed.spec!.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { ...strategy2 } };
        const before = makeUnready({ ...start.final, ds: changed }, unready);
        const p = previewRollout(before);
        assert.ok(p.converged, `rollout converges: ${p.error ?? ''}`);

        const eligible = makeEligibilityChecker(before.ds);
        const desired = nodes.filter((n) => eligible(n).shouldRun).length;
        const budget = resolveBudget(before.ds, desired);
        const surging = budget.maxSurge > 0;
        for (const s of p.steps) {
          assert.ok(
            s.unavailable <= p.initialUnavailable + budget.maxUnavailable,
            `unavailable ${s.unavailable} > ${p.initialUnavailable} + ${budget.maxUnavailable}`,
          );
          assert.ok(s.maxPodsOnANode <= (surging ? 2 : 1), `${s.maxPodsOnANode} pods on a node`);
        }

        const final = p.final;
        const newest = [...final.revisions].sort((a, b) => b.revision - a.revision)[0];
        const hash = newest?.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
        const byNode = podsByNode(final);
        const minReady = final.ds.spec?.minReadySeconds ?? 0;
        for (const node of nodes) {
          const name = node.metadata!.name!;
          const pods = byNode.get(name) ?? [];
          if (eligible(node).shouldRun) {
            assert.equal(pods.length, 1, `one pod on ${name}`);
            assert.equal(pods[0]!.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL], hash);
            assert.ok(isPodAvailable(pods[0]!, minReady, final.now), `available on ${name}`);
          } else if (
            eligible(node).shouldContinueRunning &&
            budget.maxSurge === 0 &&
            budget.maxUnavailable === 0
          ) {
            // Upstream keeps a pod on a node it should no longer schedule to (an untolerated
            // NoSchedule taint) when the budget scales to zero: with no eligible node left, a
            // percentage maxSurge or maxUnavailable resolves to 0 and the fallback to 1 needs
            // desired > 0 (§6.1). The pod stays, counted as misscheduled.
            assert.ok(pods.length <= 1, `at most the one kept pod on ${name}`);
          } else {
            assert.equal(pods.length, 0, `no pod on ineligible ${name}`);
          }
        }
        for (const mode of ['harness', 'live'] as const) {
          const again = reconcile(final, { mode });
          assert.deepEqual(
            [again.creates.length, again.deletes.length],
            [0, 0],
            `${mode} reconcile plans nothing`,
          );
          assert.equal(again.history?.createRevision ?? null, null);
        }
      },
    ),
    { numRuns: 60 },
  );
});
