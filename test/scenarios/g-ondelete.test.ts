/**
 * Scenarios 81 and 82 (shared/spec/scenarios.md, section G: OnDelete).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { revisionDataMatches } from '../../src/api/hash.js';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  POD_TEMPLATE_GENERATION_LABEL,
} from '../../src/api/types.js';
import { cd, rolledOut, setImage } from './update-helpers.js';

function afterImagePatch() {
  const h = rolledOut(3);
  const h1 = h.currentHash();
  assert.equal(h.revisions.length, 1);
  assert.equal(h.revisions[0]!.revision, 1);
  assert.ok(h.pods.every((p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === h1));
  const before = h.pods.map((p) => p.metadata?.name).sort();
  setImage(h, 'foo/bar:v2');
  const r = h.sync();
  return { h, h1, before, r };
}

test('scenario 81: a template change does not replace pods', () => {
  const { h, h1, before, r } = afterImagePatch();
  assert.deepEqual(cd(r), [0, 0]);
  assert.equal(r.plan.rollingUpdateRan, false);
  assert.deepEqual(h.pods.map((p) => p.metadata?.name).sort(), before);
  assert.ok(h.pods.every((p) => p.spec?.containers[0]?.image === 'foo/bar'));
  assert.ok(h.pods.every((p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === h1));
  assert.equal(h.revisions.length, 2);
  const r2 = h.revisions.find((x) => x.revision === 2)!;
  const h2 = r2.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
  assert.notEqual(h2, h1);
  assert.equal(h.revisions.filter((x) => revisionDataMatches(h.ds, x.data)).length, 1);
  assert.equal(h.ds.status?.updatedNumberScheduled ?? 0, 0);
  for (let i = 0; i < 3; i++) assert.deepEqual(cd(h.sync()), [0, 0], 'and never later either');
});

test('scenario 82: deleting a pod under OnDelete', () => {
  const { h } = afterImagePatch();
  const h2 = h.currentHash();
  const victim = h.podsOn('node-0')[0]!;
  h.pods = h.pods.filter((p) => p !== victim);
  const r = h.sync();
  assert.deepEqual(cd(r), [1, 0]);
  const pod = r.created[0]!;
  assert.equal(r.plan.creates[0]!.node, 'node-0');
  assert.equal(pod.spec?.containers[0]?.image, 'foo/bar:v2');
  assert.equal(pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL], h2);
  assert.equal(pod.metadata?.labels?.[POD_TEMPLATE_GENERATION_LABEL], '2');
  assert.equal(h.ds.status?.updatedNumberScheduled, 1);
});
