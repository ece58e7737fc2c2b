import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  TEMPLATE_GENERATION_ANNOTATION,
  type DaemonSet,
  type Mutable,
} from '../api/types.js';
import { dsWith, newNodes, sec, type StrategySpec } from '../../test/harness/fixtures.js';
import { previewRollout, updateOrder, withTemplate, type RolloutPreview } from './rollout.js';
import type { Snapshot } from './types.js';

function empty(ds: DaemonSet, nodes = 5): Snapshot {
  return { ds, nodes: newNodes(nodes), pods: [], revisions: [], now: sec(0), backoff: new Map() };
}

/** A cluster rolled out on T1 and settled, then the template changed to image v2 under `strategy`. */
function changed(strategy: StrategySpec, nodes = 5, minReadySeconds = 0): Snapshot {
  const start = previewRollout(empty(dsWith(strategy, undefined, { minReadySeconds }), nodes));
  assert.ok(start.converged);
  const t2 = structuredClone(start.final.ds.spec!.template) as Mutable<
    NonNullable<DaemonSet['spec']>['template']
  >;
  t2.spec!.containers[0]!.image = 'foo/bar:v2';
  return { ...start.final, ds: withTemplate(start.final.ds, t2) };
}

const summary = (p: RolloutPreview) =>
  p.steps.map((s) => [s.createdOn.length, s.deleted.length, s.unavailable]);

test('previewRollout: a first rollout creates every pod in one step, then converges', () => {
  const p = previewRollout(empty(dsWith({ type: 'RollingUpdate', maxUnavailable: 1 })));
  assert.equal(p.converged, true);
  assert.deepEqual(summary(p), [[5, 0, 5]]);
  assert.equal(p.initialUnavailable, 5);
  assert.equal(p.final.pods.length, 5);
  assert.equal(p.final.ds.status?.numberAvailable, 5);
  assert.equal(p.final.revisions.length, 1);
});

test('previewRollout: maxUnavailable 2 over 5 nodes follows scenario 59, in node order', () => {
  const p = previewRollout(changed({ type: 'RollingUpdate', maxUnavailable: 2 }));
  assert.equal(p.converged, true);
  assert.deepEqual(summary(p), [
    [0, 2, 2],
    [2, 0, 2],
    [0, 2, 2],
    [2, 0, 2],
    [0, 1, 1],
    [1, 0, 1],
  ]);
  assert.equal(p.totalSteps, 6);
  assert.equal(p.peakUnavailable, 2);
  assert.deepEqual(updateOrder(p), ['node-0', 'node-1', 'node-2', 'node-3', 'node-4']);
  assert.ok(p.steps.every((s) => s.maxPodsOnANode <= 1));
  const hash = p.final.revisions.find((r) => r.revision === 2)?.metadata?.labels?.[
    CONTROLLER_REVISION_HASH_LABEL
  ];
  assert.ok(
    p.final.pods.every((x) => x.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash),
  );
});

test('previewRollout: surge keeps every node available, at most two pods per node', () => {
  const p = previewRollout(changed({ type: 'RollingUpdate', maxUnavailable: 0, maxSurge: 2 }));
  assert.equal(p.converged, true);
  assert.equal(p.peakUnavailable, 0);
  assert.ok(p.steps.every((s) => s.maxPodsOnANode <= 2));
  assert.equal(p.final.pods.length, 5);
});

test('previewRollout: minReadySeconds spaces the steps by minReadySeconds + 1 s', () => {
  const p = previewRollout(changed({ type: 'RollingUpdate', maxUnavailable: 1 }, 3, 30));
  assert.equal(p.converged, true);
  const times = p.steps.map((s) => s.time);
  for (let i = 1; i < times.length; i++) assert.equal(times[i]! - times[i - 1]!, 31_000);
});

test('previewRollout: maxSteps caps a long rollout and reports non-convergence', () => {
  const p = previewRollout(changed({ type: 'RollingUpdate', maxUnavailable: 1 }), { maxSteps: 3 });
  assert.equal(p.converged, false);
  assert.equal(p.totalSteps, 3);
});

test('previewRollout: a malformed budget stops the preview with the error', () => {
  const s = changed({ type: 'RollingUpdate', maxUnavailable: 1 });
  const ds = structuredClone(s.ds) as Mutable<DaemonSet>;
  ds.spec!.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 'many' } };
  const p = previewRollout({ ...s, ds });
  assert.equal(p.converged, false);
  assert.match(p.error ?? '', /maxUnavailable/);
});

test('previewRollout is pure: the snapshot is untouched and the result repeats', () => {
  const s = changed({ type: 'RollingUpdate', maxUnavailable: 2 });
  const before = structuredClone(s);
  const a = previewRollout(s);
  const b = previewRollout(s);
  assert.deepEqual(s, before);
  assert.deepEqual(a, b);
});

test('withTemplate: generation and template generation go up only on a real change', () => {
  const ds = dsWith({ type: 'OnDelete' });
  assert.equal(withTemplate(ds, structuredClone(ds.spec!.template)), ds);
  const t = structuredClone(ds.spec!.template);
  t.spec!.containers[0]!.image = 'x';
  const next = withTemplate(ds, t);
  assert.equal(next.metadata?.generation, 2);
  assert.equal(next.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION], '2');
  assert.equal(ds.metadata?.generation, 1);
});
