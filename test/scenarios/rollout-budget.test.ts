/**
 * Issue 12's removal budget (spec.removalBudget, §3.10) and node-caused unavailability
 * (unavailableAccounting, §3.8) on the embedded cluster, for everynode's CRD and for apps/v1
 * through the strategy annotation. Each "upstream" case is the control: the same cluster without
 * the field behaves as apps/v1 does (all pods leave at once; an impaired node's unavailable old pod
 * fills the budget).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STRATEGY_ANNOTATION, ROLLOUT_STATE_ANNOTATION } from '../../src/api/rolloutspec.js';
import type { DaemonSet, Mutable, Node } from '../../src/api/types.js';
import type { ResourceKind } from '../../src/cluster/port.js';
import { dsFoo, harness, node } from '../../src/controller/testing.js';
import {
  CRD,
  annotate,
  change,
  converge,
  events,
  get,
  podsByNode,
  revisions,
  run,
  setImage,
  type World,
} from './rollout-helpers.js';

const KINDS: readonly ResourceKind[] = ['EverynodeDaemonSet', 'DaemonSet'];
const BUDGET = { maxRemovals: 1, periodSeconds: 60, delaySeconds: 10 };

/** Sets issue 12's fields on the CRD's spec, or as the strategy annotation on apps/v1. */
function withFields(
  kind: ResourceKind,
  ds: Mutable<DaemonSet>,
  fields: { removalBudget?: object; unavailableAccounting?: string },
): void {
  if (kind === 'EverynodeDaemonSet') {
    const spec = ds.spec as Record<string, unknown>;
    if (fields.removalBudget) spec.removalBudget = fields.removalBudget;
    if (fields.unavailableAccounting)
      (ds.spec!.updateStrategy!.rollingUpdate as Record<string, unknown>).unavailableAccounting =
        fields.unavailableAccounting;
    return;
  }
  const json: Record<string, unknown> = {};
  if (fields.removalBudget) json.removalBudget = fields.removalBudget;
  if (fields.unavailableAccounting)
    json.rollingUpdate = { unavailableAccounting: fields.unavailableAccounting };
  annotate(ds, STRATEGY_ANNOTATION, JSON.stringify(json));
}

async function startPool(
  kind: ResourceKind,
  nodes: number,
  fields: { removalBudget?: object; unavailableAccounting?: string },
  nodeSelector?: Record<string, string>,
): Promise<World> {
  const h = harness({ workers: 1, dsKind: kind });
  for (let i = 1; i <= nodes; i++) await h.cluster.create('Node', node(`n${i}`, { pool: 'a' }));
  const ds = structuredClone(
    dsFoo('foo', nodeSelector ? { nodeSelector } : {}),
  ) as Mutable<DaemonSet>;
  if (kind === 'EverynodeDaemonSet') ds.apiVersion = CRD;
  withFields(kind, ds, fields);
  await h.cluster.create(kind, ds);
  await h.controller.start();
  const w = { h, kind };
  await run(w);
  return w;
}

async function relabel(w: World, names: readonly string[], labels: Record<string, string>) {
  for (const name of names) {
    const n = structuredClone(await w.h.cluster.get<Node>('Node', '', name)) as Mutable<Node>;
    n.metadata!.labels = { ...n.metadata!.labels, ...labels };
    await w.h.cluster.update('Node', n);
  }
  await w.h.settle();
}

const livePods = async (w: World): Promise<number> => (await w.h.pods(true)).length;
const ALL = ['n1', 'n2', 'n3', 'n4'];

for (const kind of KINDS) {
  test(`removal budget (${kind}): a relabelled pool loses its pods one per period after the delay`, async () => {
    const w = await startPool(kind, 4, { removalBudget: BUDGET }, { pool: 'a' });
    assert.equal(await livePods(w), 4);
    await relabel(w, ALL, { pool: 'b' });
    await run(w, 2);
    assert.equal(await livePods(w), 4, 'nothing goes before delaySeconds');
    assert.ok((await events(w, 'RemovalDeferred')).length >= 1, 'Event RemovalDeferred');
    if (kind === 'EverynodeDaemonSet') assert.equal((await get(w)).status?.pendingRemovals, 4);
    await w.h.advance(10_000);
    await run(w, 1);
    assert.equal(await livePods(w), 3, 'one removal once the delay is over');
    const ds = await get(w);
    if (kind === 'EverynodeDaemonSet') {
      assert.equal(ds.status?.pendingRemovals, 3);
      assert.equal(ds.status?.removals?.length, 1);
    } else {
      // apps/v1 status has no such fields: the window is in the rollout record.
      assert.equal(ds.status?.pendingRemovals, undefined);
      const recs = (await revisions(w)).map(
        (r) => r.metadata?.annotations?.[ROLLOUT_STATE_ANNOTATION],
      );
      assert.ok(
        recs.some((r) => r?.includes('"removals":[')),
        `record: ${recs.join(' ')}`,
      );
    }
    // A restart keeps the window (the removal times are stored): nothing more within the period.
    await w.h.restart();
    await w.h.advance(30_000);
    await run(w, 1);
    assert.equal(await livePods(w), 3, 'the window holds across a restart');
    await w.h.advance(30_000);
    await run(w, 2);
    assert.equal(await livePods(w), 2, 'the next one a period later');
    await w.h.advance(130_000);
    await run(w, 2);
    assert.equal(await livePods(w), 0);
    if (kind === 'EverynodeDaemonSet') assert.equal((await get(w)).status?.pendingRemovals, 0);
  });

  test(`removal budget (${kind}): without it (upstream) every pod goes in one sync`, async () => {
    const w = await startPool(kind, 4, {}, { pool: 'a' });
    await relabel(w, ALL, { pool: 'b' });
    await run(w, 1);
    assert.equal(await livePods(w), 0);
    assert.equal((await events(w, 'RemovalDeferred')).length, 0);
  });

  test(`removal budget (${kind}): a node that turns eligible again within the delay keeps its pod`, async () => {
    const w = await startPool(kind, 4, { removalBudget: BUDGET }, { pool: 'a' });
    await relabel(w, ['n1'], { pool: 'b' });
    await w.h.advance(5000);
    await relabel(w, ['n1'], { pool: 'a' });
    await w.h.advance(60_000);
    await run(w, 1);
    assert.equal(await livePods(w), 4);
  });

  test(`removal budget (${kind}): terminal pods and deleted nodes are exempt`, async () => {
    const w = await startPool(kind, 4, { removalBudget: BUDGET }, { pool: 'a' });
    // n1's pod fails, then n1 and n2 leave the pool: the failed pod goes at once, n2's waits.
    const p1 = (await w.h.pods(true)).find((p) => p.spec?.nodeName === 'n1')!;
    await w.h.cluster.updateStatus('Pod', { ...p1, status: { phase: 'Failed' } });
    await relabel(w, ['n1', 'n2'], { pool: 'b' });
    await w.h.settle();
    const left = [...(await podsByNode(w)).keys()];
    assert.deepEqual(left, ['n2', 'n3', 'n4']);
  });

  test(`RolloutOnly (${kind}): an impaired node's unavailable pod uses no budget and blocks no completion`, async () => {
    for (const accounting of ['All', 'RolloutOnly']) {
      const w = await startPool(kind, 4, { unavailableAccounting: accounting });
      // n4 goes NotReady; the node lifecycle controller marks its pod not ready.
      const n4 = structuredClone(await w.h.cluster.get<Node>('Node', '', 'n4')) as Mutable<Node>;
      n4.status = { ...n4.status, conditions: [{ type: 'Ready', status: 'Unknown' }] };
      await w.h.cluster.updateStatus('Node', n4);
      const p4 = (await w.h.pods(true)).find((p) => p.spec?.nodeName === 'n4')!;
      await w.h.cluster.updateStatus('Pod', {
        ...p4,
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] },
      });
      await w.h.settle();
      if (kind === 'EverynodeDaemonSet') {
        const s = (await get(w)).status!;
        assert.equal(s.numberUnavailableNodeCaused, 1, accounting);
        assert.equal(s.numberUnavailableRolloutCaused, 0, accounting);
      }
      const before = await podsByNode(w);
      await change(w, (ds) => {
        setImage(ds, 'foo/bar:2');
      });
      const after = await podsByNode(w);
      const gone = ALL.filter((n) => before.get(n)?.join() !== after.get(n)?.join());
      if (accounting === 'All') {
        // apps/v1: n4's unavailable old pod is replaced without budget and fills it.
        assert.deepEqual(gone, ['n4'], accounting);
      } else {
        // RolloutOnly: n4 is skipped; the budget of 1 goes to the first healthy node.
        assert.deepEqual(gone, ['n1'], accounting);
        await converge(w);
        const pods = await podsByNode(w);
        assert.equal(pods.get('n4')?.join(), before.get('n4')?.join(), 'n4 waits for recovery');
        const ds = await get(w);
        const progressing = ds.status?.conditions?.find((c) => c.type === 'Progressing');
        assert.equal(progressing?.reason, 'RolloutComplete', 'completes without n4');
        if (kind === 'EverynodeDaemonSet') assert.equal(ds.status?.rollout?.phase, 'Complete');
      }
      await w.h.controller.stop();
    }
  });
}

test('CRD status: both counts are always reported (zero with nothing unavailable)', async () => {
  const w = await startPool('EverynodeDaemonSet', 2, {});
  const s = (await get(w)).status!;
  assert.equal(s.numberUnavailableNodeCaused, 0);
  assert.equal(s.numberUnavailableRolloutCaused, 0);
  assert.equal(s.pendingRemovals, undefined, 'no removal budget, no pendingRemovals');
});

test('apps/v1 without rollout fields: status has none of the new fields', async () => {
  const w = await startPool('DaemonSet', 2, {}, { pool: 'a' });
  const s = (await get(w)).status!;
  assert.equal(s.numberUnavailableNodeCaused, undefined);
  assert.equal(s.pendingRemovals, undefined);
});
