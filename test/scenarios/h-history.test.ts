/**
 * Scenarios 83–92 (shared/spec/scenarios.md, section H: history).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeTemplateHash, revisionDataFor, revisionDataMatches } from '../../src/api/hash.js';
import { isPodReady } from '../../src/api/pod.js';
import {
  CHANGE_CAUSE_ANNOTATION,
  CONTROLLER_REVISION_HASH_LABEL,
  POD_TEMPLATE_GENERATION_LABEL,
  RESTARTED_AT_ANNOTATION,
  TEMPLATE_GENERATION_ANNOTATION,
  formatTime,
  type ControllerRevision,
  type DaemonSet,
  type Mutable,
} from '../../src/api/types.js';
import { collisionDecision, newRevision } from '../../src/engine/history.js';
import {
  applyRollbackPatch,
  formatHistoryTable,
  historyTable,
  ROLLBACK_SUCCESS,
  rollbackTarget,
} from '../../src/engine/rollback.js';
import { Harness } from '../harness/harness.js';
import { L1, dsWith, newDaemonSet, newNodes, sec, type StrategySpec } from '../harness/fixtures.js';
import { cd, rolledOut, setImage, syncUntilQuiet } from './update-helpers.js';

const hashOf = (x: { metadata?: { labels?: Readonly<Record<string, string>> } }) =>
  x.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
const mu1: StrategySpec = { type: 'RollingUpdate', maxUnavailable: 1, maxSurge: 0 };

test('scenario 83: first revision', () => {
  const h = new Harness({ ds: newDaemonSet(), nodes: newNodes(1) });
  h.sync();
  assert.equal(h.revisions.length, 1);
  const rev = h.revisions[0]!;
  const hash = hashOf(rev)!;
  assert.equal(rev.metadata?.name, `foo-${hash}`);
  assert.equal(rev.revision, 1);
  assert.deepEqual(rev.metadata?.labels, { ...L1, [CONTROLLER_REVISION_HASH_LABEL]: hash });
  assert.deepEqual(rev.metadata?.ownerReferences, [
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      name: 'foo',
      uid: 'uid-foo',
      controller: true,
      blockOwnerDeletion: true,
    },
  ]);
  assert.deepEqual(rev.metadata?.annotations, h.ds.metadata?.annotations);
  assert.equal(rev.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION], '1');
  const data = rev.data as { spec: { template: Record<string, unknown> } };
  assert.deepEqual(Object.keys(data), ['spec']);
  assert.deepEqual(Object.keys(data.spec), ['template']);
  assert.equal(data.spec.template.$patch, 'replace');
  assert.deepEqual(rev.data, revisionDataFor(h.ds));
  const pod = h.pods[0]!;
  assert.equal(hashOf(pod), hash);
  assert.equal(pod.metadata?.labels?.[POD_TEMPLATE_GENERATION_LABEL], '1');
});

test('scenario 84: template change', () => {
  const h = rolledOut(3, mu1);
  const hash1 = h.currentHash();
  const gen = h.ds.metadata?.generation ?? 0;
  setImage(h, 'foo/bar:v2');
  assert.equal(h.ds.metadata?.generation, gen + 1);
  assert.equal(h.ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION], '2');
  const first = h.sync();
  const hash2 = first.plan.history!.currentRevision.hash;
  assert.notEqual(hash2, hash1);
  const rev2 = h.revisions.find((r) => r.metadata?.name === `foo-${hash2}`)!;
  assert.equal(rev2.revision, 2);
  assert.ok(
    h.revisions.some((r) => r.revision === 1 && hashOf(r) === hash1),
    'revision 1 kept as old',
  );
  syncUntilQuiet(h);
  const active = h.activePods();
  assert.equal(active.length, 3);
  for (const p of active) {
    assert.equal(hashOf(p), hash2);
    assert.equal(p.metadata?.labels?.[POD_TEMPLATE_GENERATION_LABEL], '2');
  }
});

test('scenario 86: rollback by reverting the template', () => {
  const h = rolledOut(3, mu1);
  const t1 = structuredClone(h.ds.spec!.template);
  const hash1 = h.currentHash();
  const r1Name = h.revisions[0]!.metadata!.name!;
  setImage(h, 'foo/bar:does-not-exist');
  assert.deepEqual(cd(h.sync()), [0, 1]);
  assert.deepEqual(cd(h.sync()), [1, 0]);
  h.bindAll();
  assert.deepEqual(cd(h.sync()), [0, 0], 'the unready T2 pod holds the whole budget');
  const hash2 = h.currentHash();
  const stuck = h.activePods().find((p) => hashOf(p) === hash2)!;
  const survivors = h.activePods().filter((p) => hashOf(p) === hash1);
  assert.equal(survivors.length, 2);

  h.setTemplate((t) => {
    Object.assign(t, structuredClone(t1));
  });
  assert.equal(h.ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION], '3');
  const back = h.sync();
  const r1 = h.revisions.find((r) => r.metadata?.name === r1Name)!;
  assert.equal(r1.revision, 3);
  assert.equal(hashOf(r1), hash1);
  assert.deepEqual(back.plan.history!.currentRevision, { name: r1Name, revision: 3, hash: hash1 });
  assert.ok(
    h.revisions.some((r) => hashOf(r) === hash2 && r.revision === 2),
    'R2 stays old',
  );
  assert.deepEqual(back.deleted, [stuck.metadata!.name]);
  assert.match(back.plan.deletes[0]!.reason, /pod unavailable: replaced without budget/);
  assert.equal(h.ds.status?.updatedNumberScheduled, 2, 'the T1 pods count as updated');
  const refill = h.sync();
  assert.deepEqual(cd(refill), [1, 0]);
  assert.equal(hashOf(refill.created[0]!), hash1);
  for (const s of survivors)
    assert.ok(
      h.pods.some((p) => p.metadata?.name === s.metadata?.name),
      'not restarted',
    );
});

/** Revisions 1, 2 and 3 of foo (images v1, v2, v3), 3 current; revision 2 has a change cause. */
function threeRevisions(): Harness {
  const h = rolledOut(
    2,
    mu1,
    (ds) => void (ds.spec!.template.spec!.containers[0]!.image = 'foo/bar:v1'),
  );
  for (const v of ['v2', 'v3']) {
    h.ds = {
      ...h.ds,
      metadata: {
        ...h.ds.metadata,
        annotations: { ...h.ds.metadata?.annotations, [CHANGE_CAUSE_ANNOTATION]: v },
      },
    };
    setImage(h, `foo/bar:${v}`);
    syncUntilQuiet(h);
  }
  // Only revision 2 keeps its change cause, as the scenario has it.
  h.revisions = h.revisions.map((r) => {
    if (r.revision === 2) return r;
    const copy = structuredClone(r) as Mutable<ControllerRevision>;
    const { [CHANGE_CAUSE_ANNOTATION]: _c, ...rest } = copy.metadata!.annotations ?? {};
    copy.metadata!.annotations = rest;
    return copy;
  });
  return h;
}

test('scenario 87: kubectl rollout undo and kubectl rollout history', () => {
  const h = threeRevisions();
  assert.deepEqual(h.revisions.map((r) => r.revision).sort(), [1, 2, 3]);
  // a. history
  assert.deepEqual(historyTable(h.revisions), [
    { revision: 1, changeCause: '<none>' },
    { revision: 2, changeCause: 'v2' },
    { revision: 3, changeCause: '<none>' },
  ]);
  assert.equal(
    formatHistoryTable(historyTable(h.revisions)),
    'REVISION  CHANGE-CAUSE\n1         <none>\n2         v2\n3         <none>\n',
  );
  // c, d, e.
  assert.deepEqual(rollbackTarget(h.revisions, 3, h.ds), {
    kind: 'skipped',
    message: 'skipped rollback (current template already matches revision 3)',
  });
  assert.deepEqual(rollbackTarget(h.revisions, 9, h.ds), {
    kind: 'error',
    message: 'unable to find specified revision 9 in history',
  });
  assert.deepEqual(rollbackTarget([h.revisions[0]!], 0, h.ds), {
    kind: 'error',
    message: 'no last revision to roll back to',
  });
  // b. undo targets revision 2; the patch replaces the template and the controller renumbers it 4.
  const target = rollbackTarget(h.revisions, 0, h.ds);
  assert.equal(target.kind, 'rollback');
  if (target.kind !== 'rollback') return;
  assert.equal(target.revision.revision, 2);
  assert.equal(ROLLBACK_SUCCESS, 'rolled back');
  const patched = applyRollbackPatch(h.ds, target.patch);
  h.setTemplate((t) => {
    Object.assign(t, structuredClone(patched.spec!.template));
  });
  const r = h.sync();
  assert.deepEqual(r.plan.history!.currentRevision, {
    name: target.revision.metadata!.name,
    revision: 4,
    hash: hashOf(target.revision),
  });
  assert.equal(
    h.revisions.find((x) => x.metadata?.name === target.revision.metadata?.name)?.revision,
    4,
  );
});

test('scenario 88: hash collision', () => {
  const ds = dsWith(mu1);
  const h = new Harness({ ds, nodes: newNodes(1) });
  h.sync();
  h.bindAll();
  h.markAllReady();
  assert.equal(h.revisions.length, 1);
  const t0 = structuredClone(h.ds) as Mutable<DaemonSet>;
  // A revision named for T1 (T0 with terminationGracePeriodSeconds 1) but holding T0's data.
  const t1 = structuredClone(t0);
  t1.spec!.template.spec!.terminationGracePeriodSeconds = 1;
  const hashT1 = computeTemplateHash(t1.spec!.template);
  const squatter = structuredClone(newRevision(t0, 2)) as Mutable<ControllerRevision>;
  squatter.metadata!.name = `foo-${hashT1}`;
  squatter.metadata!.uid = 'uid-squatter';
  h.revisions.push(squatter);
  h.setTemplate((t) => void (t.spec!.terminationGracePeriodSeconds = 1));
  // The pure decision the executor takes on AlreadyExists.
  assert.deepEqual(collisionDecision(h.ds, squatter, h.ds), { bumpTo: 1 });
  const failed = h.sync();
  assert.equal(failed.error, 'AlreadyExists');
  assert.deepEqual(cd(failed), [0, 0]);
  assert.equal(h.ds.status?.collisionCount, 1);
  const next = h.sync();
  assert.equal(next.error, undefined);
  const created = h.revisions.find((r) => r.revision === 3)!;
  assert.equal(created.metadata?.name, `foo-${computeTemplateHash(h.ds.spec!.template, 1)}`);
  assert.notEqual(created.metadata?.name, squatter.metadata!.name);
  assert.ok(revisionDataMatches(h.ds, created.data));
  syncUntilQuiet(h);
  assert.equal(h.activePods().length, 1);
  assert.equal(h.activePods()[0]!.spec?.terminationGracePeriodSeconds, 1);
});

test('scenario 88: the collision decision when the revision is ours or the count is stale', () => {
  const ds = dsWith(mu1);
  const own = newRevision(ds, 1);
  assert.equal(collisionDecision(ds, own, ds), 'use-existing');
  const other = newRevision(
    dsWith(mu1, (d) => void (d.spec!.template.spec!.terminationGracePeriodSeconds = 1)),
    1,
  );
  const live = structuredClone<Mutable<DaemonSet>>(ds);
  live.status!.collisionCount = 1;
  assert.equal(collisionDecision(ds, other, live), 'stale-count-retry');
  assert.deepEqual(collisionDecision(live, other, live), { bumpTo: 2 });
});

/** foo with revisionHistoryLimit `limit`, old revisions 1–4 (h1–h4) and current 5, pods on h5. */
function fiveRevisions(limit: number): { h: Harness; names: string[] } {
  const versions = [1, 2, 3, 4, 5].map((i) =>
    dsWith(
      { type: 'OnDelete' },
      (d) => void (d.spec!.template.spec!.containers[0]!.image = `foo/bar:v${i}`),
      {
        revisionHistoryLimit: limit,
      },
    ),
  );
  const revisions = versions.map((v, i) => newRevision(v, i + 1));
  const h = new Harness({ ds: versions[4]!, nodes: newNodes(2), revisions });
  h.addOwnedPod('node-0', { readySince: sec(0) });
  h.addOwnedPod('node-1', { readySince: sec(0) });
  return { h, names: revisions.map((r) => r.metadata!.name!) };
}

test('scenario 90: cleaning up history', () => {
  {
    const { h, names } = fiveRevisions(2);
    const r = h.sync();
    assert.deepEqual(
      r.plan.history!.deleteRevisions,
      [names[0], names[1]],
      'a. revisions 1 and 2 go',
    );
    assert.deepEqual(h.revisions.map((x) => x.revision).sort(), [3, 4, 5]);
  }
  {
    const { h, names } = fiveRevisions(2);
    h.addOwnedPod('node-0', {
      hash: hashOf(h.revisions[0]!)!,
      readySince: sec(0),
      name: 'still-h1',
    });
    h.pods = h.pods.filter((p) => p.metadata?.name === 'still-h1' || p.spec?.nodeName !== 'node-0');
    const r = h.sync();
    assert.deepEqual(
      r.plan.history!.deleteRevisions,
      [names[1], names[2]],
      'b. h1 is live: 2 and 3 go',
    );
  }
  {
    const { h, names } = fiveRevisions(0);
    assert.deepEqual(
      h.sync().plan.history!.deleteRevisions,
      names.slice(0, 4),
      'c. limit 0: all old go',
    );
  }
  {
    const { h, names } = fiveRevisions(2);
    h.addOwnedPod('node-1', { hash: hashOf(h.revisions[1]!)!, name: 'done-h2' });
    h.setPhase('done-h2', 'Succeeded');
    h.setDeleting('done-h2');
    const r = h.sync();
    assert.deepEqual(
      r.plan.history!.deleteRevisions,
      [names[0], names[2]],
      'd. a terminal pod being deleted protects h2',
    );
  }
});

test('scenario 92: kubectl rollout restart', () => {
  for (const strategy of [mu1, { type: 'OnDelete' } as const]) {
    const h = rolledOut(3, strategy);
    const before = h.currentHash();
    const names = new Set(h.pods.map((p) => p.metadata?.name));
    h.setTemplate((t) => {
      t.metadata = {
        ...t.metadata,
        annotations: {
          ...t.metadata?.annotations,
          [RESTARTED_AT_ANNOTATION]: formatTime(sec(500)),
        },
      };
    });
    const first = h.sync();
    const after = first.plan.history!.currentRevision;
    assert.notEqual(after.hash, before);
    assert.equal(after.revision, 2);
    if (strategy.type === 'OnDelete') {
      assert.deepEqual(cd(first), [0, 0]);
      assert.equal(h.ds.status?.updatedNumberScheduled ?? 0, 0, 'every pod counts as old');
      continue;
    }
    syncUntilQuiet(h);
    assert.equal(h.activePods().length, 3);
    assert.ok(
      h
        .activePods()
        .every((p) => !names.has(p.metadata?.name) && hashOf(p) === after.hash && isPodReady(p)),
    );
  }
});
