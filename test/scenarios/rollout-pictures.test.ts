/**
 * Issue 11 in the pictures: the node grid of `sim --report`, `plan --rollout --report` and the
 * dashboard draws a pod held on the stable revision in its own colour (state `pinned`) while the
 * rollout holds nodes, shows the phase and conditions among a DaemonSet's facts, and the sim's
 * timeline tells each change of phase; a held rollout is not reported as stalled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ControllerRevision, DaemonSet, Pod } from '../../src/api/types.js';
import { readScenario } from '../../src/cli/sim.js';
import { loadPlanInput } from '../../src/cli/plan.js';
import { rolloutView } from '../../src/cli/plan-rollout.js';
import { planGridDoc } from '../../src/cli/plan-report.js';
import { classifyNode } from '../../src/sim/report/grid/classify.js';
import { NODE_STATES, S } from '../../src/sim/report/grid/model.js';
import {
  pinnedHash,
  rolloutChange,
  rolloutFact,
  rolloutRoles,
} from '../../src/sim/report/grid/rolloutstate.js';
import { simGridDoc } from '../../src/sim/report/grid/simdoc.js';
import { Simulation } from '../../src/sim/runner.js';

const root = join(import.meta.dirname, '..', '..');

const rev = (name: string, hash: string, revision: number): ControllerRevision => ({
  metadata: { name, labels: { 'controller-revision-hash': hash } },
  revision,
});
const pod = (hash: string): Pod => ({
  metadata: { name: `a-${hash}`, labels: { 'controller-revision-hash': hash } },
  spec: { nodeName: 'n1', containers: [{ name: 'c' }] },
  status: {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }],
  },
});
const ELIGIBLE = { shouldRun: true, shouldContinueRunning: true, reason: '' };
type Status = NonNullable<DaemonSet['status']>;
const COUNTS = {
  currentNumberScheduled: 2,
  desiredNumberScheduled: 2,
  numberMisscheduled: 0,
  numberReady: 2,
};
const crd = (status: Partial<Status>): DaemonSet => ({
  apiVersion: 'apps.everynode.dev/v1alpha1',
  kind: 'DaemonSet',
  metadata: { name: 'a', generation: 2 },
  status: { ...COUNTS, observedGeneration: 2, ...status },
});

/** CIE L*a*b* of a #rrggbb colour (sRGB, D65), to compare colours as the eye does. */
function lab(hex: string): [number, number, number] {
  const [r, g, b] = [1, 3, 5]
    .map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [
    number,
    number,
    number,
  ];
  const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  const x = f((r * 0.4124 + g * 0.3576 + b * 0.1805) / 0.95047);
  const y = f(r * 0.2126 + g * 0.7152 + b * 0.0722);
  const z = f((r * 0.0193 + g * 0.1192 + b * 0.9505) / 1.08883);
  return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
}

test('the pinned state has a colour of its own and classifyNode uses it only for the held hash', () => {
  const pinned = NODE_STATES[S.pinned]!;
  assert.equal(pinned.id, 'pinned');
  // Clearly apart from every other state (old revision above all): a CIE76 distance of 40 is
  // more than the grid's closest pair of other states (old/new-not-ready, about 32).
  for (const s of NODE_STATES.filter((x) => x.id !== 'pinned')) {
    const [a, b] = [lab(pinned.color), lab(s.color)];
    const d = Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    assert.ok(d > 40, `pinned ${pinned.color} vs ${s.id} ${s.color}: distance ${d.toFixed(0)}`);
  }
  const now = Date.parse('2026-01-01T00:10:00Z');
  assert.equal(classifyNode(ELIGIBLE, [pod('h1')], 'h2', 0, now).state, S.old);
  const held = classifyNode(ELIGIBLE, [pod('h1')], 'h2', 0, now, 'h1');
  assert.equal(held.state, S.pinned);
  assert.match(held.why, /held on the stable revision/);
  assert.equal(classifyNode(ELIGIBLE, [pod('h2')], 'h2', 0, now, 'h1').state, S.available);
});

test('rolloutstate: roles, the held hash only while held, the fact and the phase changes', () => {
  const revs = [rev('a-h1', 'h1', 1), rev('a-h2', 'h2', 2)];
  const paused = crd({
    updateRevision: 'a-h2',
    stableRevision: 'a-h1',
    rollout: { phase: 'Paused' },
    conditions: [{ type: 'Progressing', status: 'Unknown', reason: 'RolloutPaused', message: 'm' }],
  });
  assert.deepEqual(rolloutRoles(paused, revs), { update: 'h2', stable: 'h1' });
  assert.equal(pinnedHash(paused, revs), 'h1');
  const rolling = crd({ ...paused.status, rollout: { phase: 'Rolling' } });
  assert.equal(pinnedHash(rolling, revs), undefined, 'a rollout in progress holds nothing');
  assert.equal(rolloutFact(paused), 'rollout: phase Paused · Progressing Unknown (RolloutPaused)');
  assert.deepEqual(rolloutChange(paused), {
    sig: 'Paused',
    text: 'phase Paused (Progressing Unknown, RolloutPaused): m',
  });
  assert.equal(rolloutFact({ metadata: { name: 'plain' } }), undefined);
  // Issue 12: the canary chosen and where it stands are in the facts too.
  const baking = crd({
    ...paused.status,
    rollout: { phase: 'Baking', canaryNodes: ['n-1', 'n-4'], wave: { index: 0, nodes: 2 } },
    numberUnavailableNodeCaused: 1,
    conditions: [
      { type: 'Progressing', status: 'True', reason: 'CanaryBaking', message: 'the canary bakes' },
    ],
  });
  assert.equal(
    rolloutFact(baking),
    'rollout: phase Baking · Progressing True (CanaryBaking) · canary n-1, n-4 · the canary bakes; 1 unavailable pod is on impaired nodes',
  );
});

async function simRun(file: string) {
  const cwd = process.cwd();
  process.chdir(root);
  try {
    return await new Simulation(await readScenario(file), { record: true }).run();
  } finally {
    process.chdir(cwd);
  }
}

test('sim --report of the partition example: the held nodes pinned, the phase in the facts and the timeline', async () => {
  const r = await simRun('examples/rollout/partition.yaml');
  const doc = simGridDoc(r);
  const ds = doc.daemonSets[0]!;
  // A node's runs are [dt, state, pod, why, ...]: the states it went through.
  const statesOf = (node: string): number[] => {
    const run = ds.runs[doc.nodes.names.indexOf(node)]!;
    return run.filter((_, i) => i % 4 === 1);
  };
  for (const n of ['node-08', 'node-09', 'node-10']) assert.ok(statesOf(n).includes(S.pinned), n);
  for (const n of ['node-01', 'node-07']) assert.ok(!statesOf(n).includes(S.pinned), n);
  assert.ok(
    ds.facts.some((f) =>
      /^rollout: phase Complete · .*Progressing True \(RolloutComplete\)/.test(f),
    ),
  );
  const texts = doc.events.map((e) => e.text);
  assert.ok(
    texts.some((t) =>
      /^default\/agent: phase Partitioned \(Progressing True, PartitionRolledOut\)/.test(t),
    ),
  );
  assert.ok(!texts.some((t) => /stalled/.test(t)), 'held at the partition is not a stall');
});

test('sim timeline of the invalid-strategy example: InvalidStrategy journaled when it comes and when it goes', async () => {
  const r = await simRun('examples/rollout/invalid-strategy.yaml');
  const lines = r.sim.journal.entries.map((e) => `${e.kind} ${e.message}`);
  assert.ok(
    lines.some((l) =>
      /^warning default\/agent: InvalidStrategy: .*rollingUpdate\.partition: Invalid value: "150%"/.test(
        l,
      ),
    ),
    lines.join('\n'),
  );
  assert.ok(
    lines.includes('rollout default/agent: InvalidStrategy cleared: the annotations parse again'),
  );
});

test('plan --rollout --report at a partition: only the nodes that stay on stable are drawn pinned', async () => {
  const ex = (f: string): string => join(root, 'examples', 'plan', f);
  const { writeFileSync, mkdtempSync, readFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { parse, stringify } = await import('yaml');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed manifest, edited
  const ds = parse(readFileSync(ex('daemonset-v1.8.2.yaml'), 'utf8')) as Record<string, any>;
  ds.apiVersion = 'apps.everynode.dev/v1alpha1';
  delete ds.metadata.annotations['deprecated.daemonset.template.generation'];
  ds.status.stableRevision = 'node-exporter-75c94b6df8';
  ds.spec.updateStrategy.rollingUpdate.partition = 2;
  const file = join(mkdtempSync(join(tmpdir(), 'rollui-pic-')), 'ds.yaml');
  writeFileSync(file, stringify(ds));
  const input = await loadPlanInput(
    {
      filename: file,
      nodes: ex('nodes.yaml'),
      pods: ex('pods.yaml'),
      revisions: ex('revisions.yaml'),
    },
    Date.parse('2026-12-01T00:00:00Z'),
  );
  const doc = planGridDoc(input, rolloutView(input));
  const d = doc.daemonSets[0]!;
  const states = (node: string) =>
    d.runs[doc.nodes.names.indexOf(node)]!.filter((_, i) => i % 4 === 1);
  assert.ok(states('worker-3').includes(S.pinned));
  assert.ok(states('worker-4').includes(S.pinned));
  assert.ok(!states('worker-1').includes(S.pinned), 'worker-1 is updated: old, not held');
  assert.ok(
    d.facts.some((f) => /^held: at the partition \(2\); worker-3, worker-4 stay on/.test(f)),
  );
  assert.ok(
    d.facts.some((f) =>
      f.endsWith('(Progressing True, PartitionRolledOut: rollout status exits 0).'),
    ),
    'plain text in the page: no code quotes',
  );
});

test('sim of the manual canary: waiting for the promote is not a stall, and the held nodes are drawn pinned', async () => {
  const r = await simRun('examples/rollout/canary-promote.yaml');
  const doc = simGridDoc(r);
  const texts = doc.events.map((e) => e.text);
  assert.ok(texts.some((t) => /phase AwaitingPromotion/.test(t)));
  assert.ok(!texts.some((t) => /stalled/.test(t)), 'a canary awaiting its promote is not a stall');
  const ds = doc.daemonSets[0]!;
  const statesOf = (node: string): number[] => {
    const run = ds.runs[doc.nodes.names.indexOf(node)]!;
    return run.filter((_, i) => i % 4 === 1);
  };
  assert.ok(statesOf('node-03').includes(S.pinned), 'a node after the canary waits pinned');
});
