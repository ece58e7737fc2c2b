/**
 * Issue 11 in `everynode plan` and `plan --rollout`: the rollout's phase and revisions, what holds
 * it (a pause and who set it, a partition and the nodes it keeps), the deadline and the planned
 * conditions; creates pinned to the stable revision; and, without any of the new fields, the
 * same document and tables as before (no `rollout` key, no new lines).
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return --
   the documents under test are parsed JSON; the assertions check their shape. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadPlanInput } from '../../src/cli/plan.js';
import { planView, renderPlanTable } from '../../src/cli/plan-view.js';
import { renderRollout, rolloutView } from '../../src/cli/plan-rollout.js';
import { reconcile } from '../../src/engine/reconcile.js';

const root = new URL('../..', import.meta.url).pathname;
const ex = (f: string): string => join(root, 'examples', 'plan', f);
const tmp = mkdtempSync(join(tmpdir(), 'everynode-plan-rc-'));
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});
const NOW = Date.parse('2026-12-01T00:00:00Z');
const PIPE = { isTTY: false } as const;

/**
 * The plan example's v1.8.2 DaemonSet as everynode's CRD whose revision 1 finished rolling out
 * (status.stableRevision), with `change` applied.
 */
function crd(change: (ds: any) => void): string {
  const ds = parse(readFileSync(ex('daemonset-v1.8.2.yaml'), 'utf8'));
  ds.apiVersion = 'apps.everynode.dev/v1alpha1';
  delete ds.metadata.annotations['deprecated.daemonset.template.generation'];
  ds.status.stableRevision = 'node-exporter-75c94b6df8';
  ds.status.updateRevision = 'node-exporter-75c94b6df8';
  change(ds);
  const file = join(tmp, `ds-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(ds));
  return file;
}

async function input(file: string) {
  return loadPlanInput(
    {
      filename: file,
      nodes: ex('nodes.yaml'),
      pods: ex('pods.yaml'),
      revisions: ex('revisions.yaml'),
    },
    NOW,
  );
}

async function plan(file: string) {
  const i = await input(file);
  const view = planView(i, reconcile(i.snapshot, { mode: 'harness' }));
  return { view, text: renderPlanTable(view, PIPE), json: JSON.parse(JSON.stringify(view)) };
}

test('plan of a paused rollout: phase, who paused it, the deadline; the joining node pinned to stable', async () => {
  const { text, json } = await plan(
    crd((ds) => {
      ds.metadata.annotations['rollout.everynode.dev/paused'] = 'true';
      ds.spec.progressDeadlineSeconds = 600;
    }),
  );
  assert.match(
    text,
    /^Rollout: +phase Paused · update node-exporter-56b495ccf6 · stable node-exporter-75c94b6df8$/m,
  );
  assert.match(
    text,
    /^Controls: +paused by rollout\.everynode\.dev\/paused · nodes that need a pod get the stable revision while paused · progress deadline 600s$/m,
  );
  assert.match(text, /^Conditions: +Progressing Unknown \(RolloutPaused\) · Available True/m);
  assert.match(
    text,
    /create pod +node-exporter-xxxxx \(hash 75c94b6df8, pinned to stable\) +worker-4 +.*the rollout is paused: stable revision node-exporter-75c94b6df8/,
  );
  assert.match(text, /^Generation: +2$/m, 'the CRD has no template generation to show');
  assert.equal(json.rollout.phase, 'Paused');
  assert.equal(json.rollout.pausedBy, 'rollout.everynode.dev/paused');
  assert.equal(json.rollout.stableRevision, 'node-exporter-75c94b6df8');
  assert.equal(json.rollout.progressDeadlineSeconds, 600);
  assert.deepEqual(
    json.create.map((c: any) => [c.node, c.revisionHash, c.pinned]),
    [['worker-4', '75c94b6df8', 'paused']],
  );
  // A held node's old pod stays; it does not wait for the rolling update.
  const worker1 = json.nodes.find((n: any) => n.name === 'worker-1');
  assert.match(worker1.reason, /^pod \S+ stays on its revision: the rollout is paused$/);
});

test('plan of a partition: the nodes it keeps say so, the released ones still wait', async () => {
  const { json } = await plan(
    crd((ds) => {
      ds.spec.updateStrategy.rollingUpdate = { maxUnavailable: 1, partition: 2 };
    }),
  );
  const reasons = json.nodes.map((n: any) => [n.name, n.reason]);
  // worker-3's old pod stays; worker-4 (no pod) gets the stable revision; worker-1 and
  // worker-2 are released and wait for the rolling update as in apps/v1.
  assert.deepEqual(
    reasons
      .filter(([, r]: string[]) => /outside the partition/.test(r ?? ''))
      .map(([n]: string[]) => n),
    ['worker-3', 'worker-4'],
  );
  assert.match(reasons.find(([n]: string[]) => n === 'worker-3')[1], /stays on its revision/);
  assert.match(
    reasons.find(([n]: string[]) => n === 'worker-1')[1],
    /waits for the rolling update$/,
  );
});

test('plan --rollout of a paused rollout: no node moves, the new node gets stable, and it says why', async () => {
  const file = crd((ds) => {
    ds.spec.paused = true;
  });
  const view = rolloutView(await input(file));
  const text = renderRollout(view, PIPE);
  assert.match(text, /^Controls: +paused by spec\.paused/m);
  assert.match(text, /^ +1 +\+0s +worker-4 \(stable\) /m);
  assert.match(text, /^Phase: +Paused at the end; Progressing Unknown \(RolloutPaused\)/m);
  // gpu-1 (a NoSchedule taint it does not tolerate; it may keep its pod) is held too: only the
  // update would remove its old pod, and a pause means no deletes driven by the update.
  assert.match(
    text,
    /^Held: +paused by spec\.paused: no pod moves to node-exporter-56b495ccf6; gpu-1, worker-1, worker-2, worker-3, worker-4 stay on node-exporter-75c94b6df8/m,
  );
  assert.equal(view.rollout?.hold, 'paused');
  assert.deepEqual(view.steps[0]?.pinned, ['worker-4']);
});

test('plan --rollout stops at a partition and names the nodes that keep the stable revision', async () => {
  const file = crd((ds) => {
    ds.spec.updateStrategy.rollingUpdate.partition = '50%';
    ds.spec.progressDeadlineSeconds = 300;
    ds.spec.progressDeadlineAbort = true;
  });
  const view = rolloutView(await input(file));
  const text = renderRollout(view, PIPE);
  assert.match(
    text,
    /^Controls: +partition 50%: 2 nodes keep the stable revision · nodes that need a pod get the stable revision outside the partition · progress deadline 300s, then abort$/m,
  );
  assert.match(text, /^End: +2 of 4 nodes updated/m);
  assert.match(
    text,
    /^Held: +at the partition \(50%\); worker-3, worker-4 stay on node-exporter-75c94b6df8 \(Progressing True, PartitionRolledOut: `rollout status` exits 0\)\.$/m,
  );
  assert.match(text, /^Deadline: 300s without progress fails the rollout .* and aborts it;/m);
  assert.deepEqual(view.rollout?.heldNodes, ['worker-3', 'worker-4']);
  assert.equal(view.rollout?.phase, 'Partitioned');
  assert.equal(view.converged, true);
});

test('without any rollout field: no rollout key, no new line, as before', async () => {
  const { text, json } = await plan(ex('daemonset-v1.8.2.yaml'));
  assert.equal('rollout' in json, false);
  assert.ok(json.create.every((c: any) => !('pinned' in c)));
  assert.doesNotMatch(text, /^(Rollout|Controls|Conditions):/m);
  const r = rolloutView(await input(ex('daemonset-v1.8.2.yaml')));
  assert.equal('rollout' in r, false);
  assert.doesNotMatch(renderRollout(r, PIPE), /^(Controls|Phase|Held|Deadline):/m);
});
