import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeTemplateHash, revisionDataFor } from '../api/hash.js';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  type ControllerRevision,
  type DaemonSet,
  type Mutable,
} from '../api/types.js';
import { L1, newDaemonSet, newOwnedPod } from '../../test/harness/fixtures.js';
import {
  cleanupHistory,
  collisionDecision,
  constructHistory,
  newRevision,
  revisionHash,
} from './history.js';

function withImage(image: string, base: DaemonSet = newDaemonSet()): Mutable<DaemonSet> {
  const ds = structuredClone(base) as Mutable<DaemonSet>;
  ds.spec!.template.spec!.containers[0]!.image = image;
  return ds;
}

/** A revision as the controller would have written it for `ds`, optionally renamed/relabelled. */
function revisionOf(
  ds: DaemonSet,
  revision: number,
  opts: { name?: string; hash?: string | null } = {},
): ControllerRevision {
  const rev = structuredClone(newRevision(ds, revision)) as Mutable<ControllerRevision>;
  if (opts.name !== undefined) rev.metadata!.name = opts.name;
  if (opts.hash === null) {
    const { [CONTROLLER_REVISION_HASH_LABEL]: _gone, ...rest } = rev.metadata!.labels!;
    rev.metadata!.labels = rest;
  } else if (opts.hash !== undefined)
    rev.metadata!.labels![CONTROLLER_REVISION_HASH_LABEL] = opts.hash;
  return rev;
}

test('constructHistory: no revision yet creates <ds>-<hash> as revision 1 with the §8.1 contents', () => {
  const ds = newDaemonSet();
  ds.metadata!.annotations!['kubernetes.io/change-cause'] = 'first';
  const h = constructHistory(ds, [], []);
  const hash = computeTemplateHash(ds.spec!.template);
  assert.equal(h.current.name, `foo-${hash}`);
  assert.deepEqual(h.current, { name: `foo-${hash}`, revision: 1, hash });
  const rev = h.createRevision!;
  assert.equal(rev.revision, 1);
  assert.equal(rev.metadata?.namespace, 'default');
  assert.deepEqual(rev.metadata?.labels, { ...L1, [CONTROLLER_REVISION_HASH_LABEL]: hash });
  assert.deepEqual(rev.metadata?.annotations, ds.metadata!.annotations);
  assert.notEqual(rev.metadata?.annotations, ds.metadata!.annotations);
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
  assert.deepEqual(rev.data, revisionDataFor(ds));
  assert.deepEqual(h.old, []);
  assert.deepEqual(h.updateRevisions, []);
});

test('constructHistory: the collisionCount changes the hash and so the name', () => {
  const ds = newDaemonSet();
  const plain = constructHistory(ds, [], []).current.name;
  ds.status!.collisionCount = 1;
  const bumped = constructHistory(ds, [], []);
  assert.notEqual(bumped.current.name, plain);
  assert.equal(bumped.current.hash, computeTemplateHash(ds.spec!.template, 1));
});

test('constructHistory: a template change creates revision max(old) + 1 and keeps the rest as old', () => {
  const v1 = newDaemonSet();
  const v2 = withImage('foo/bar:2', v1);
  const r1 = revisionOf(v1, 1);
  const r5 = revisionOf(withImage('foo/bar:5', v1), 5);
  const h = constructHistory(v2, [r5, r1], []);
  assert.equal(h.createRevision?.revision, 6);
  assert.deepEqual(
    h.old.map((r) => r.revision),
    [1, 5],
  );
});

test('constructHistory: data decides, not the hash label, so built-in controller revisions are current', () => {
  const ds = newDaemonSet();
  const foreign = revisionOf(ds, 3, { name: 'foo-6f8d9c7b5', hash: '6f8d9c7b5' });
  const h = constructHistory(ds, [foreign], [newOwnedPod(ds, 'node-0', { hash: '6f8d9c7b5' })]);
  assert.equal(h.createRevision, null);
  assert.deepEqual(h.current, { name: 'foo-6f8d9c7b5', revision: 3, hash: '6f8d9c7b5' });
  assert.deepEqual(h.relabelPods, []);
  assert.deepEqual(h.updateRevisions, []);
});

test('constructHistory: rollback raises the matching old revision to the top, keeping name and hash', () => {
  const t1 = newDaemonSet();
  const t2 = withImage('foo/bar:missing', t1);
  const r1 = revisionOf(t1, 1);
  const r2 = revisionOf(t2, 2);
  const h = constructHistory(t1, [r1, r2], []);
  assert.equal(h.createRevision, null);
  assert.deepEqual(h.current, { name: r1.metadata!.name, revision: 3, hash: revisionHash(r1) });
  assert.deepEqual(h.updateRevisions, [{ name: r1.metadata!.name, revision: 3 }]);
  assert.deepEqual(
    h.old.map((r) => r.metadata?.name),
    [r2.metadata!.name],
  );
});

test('constructHistory: duplicates keep the highest revision, relabel every other pod, delete the rest', () => {
  const ds = newDaemonSet();
  const a = revisionOf(ds, 1, { name: 'foo-a', hash: 'a' });
  const b = revisionOf(ds, 2, { name: 'foo-b', hash: 'b' });
  const old = revisionOf(withImage('foo/bar:0'), 0, { name: 'foo-z', hash: 'z' });
  const pods = [
    newOwnedPod(ds, 'node-0', { hash: 'a', name: 'pa' }),
    newOwnedPod(ds, 'node-1', { hash: 'b', name: 'pb' }),
    newOwnedPod(ds, 'node-2', { hash: 'z', name: 'pz' }),
  ];
  const h = constructHistory(ds, [b, old, a], pods);
  assert.deepEqual(h.current, { name: 'foo-b', revision: 2, hash: 'b' });
  assert.deepEqual(h.deleteDuplicates, ['foo-a']);
  // Upstream relabels all pods whose hash differs, genuinely old ones included.
  assert.deepEqual(h.relabelPods, [
    { namespace: 'default', name: 'pa', labels: { ...L1, [CONTROLLER_REVISION_HASH_LABEL]: 'b' } },
    { namespace: 'default', name: 'pz', labels: { ...L1, [CONTROLLER_REVISION_HASH_LABEL]: 'b' } },
  ]);
  // On a tie the later one in list order wins.
  const c = revisionOf(ds, 2, { name: 'foo-c', hash: 'c' });
  assert.equal(constructHistory(ds, [b, c], []).current.name, 'foo-c');
  assert.equal(constructHistory(ds, [c, b], []).current.name, 'foo-b');
});

test('constructHistory: revisions without a hash label are repaired with their own name', () => {
  const ds = newDaemonSet();
  const cur = revisionOf(ds, 2, { name: 'foo-cur', hash: null });
  const old = revisionOf(withImage('x'), 1, { name: 'foo-old', hash: null });
  const h = constructHistory(ds, [cur, old], []);
  assert.deepEqual(h.labelRevisions, ['foo-cur', 'foo-old']);
  assert.equal(h.current.hash, 'foo-cur');
  assert.equal(h.old[0]!.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL], 'foo-old');
  assert.equal(
    old.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL],
    undefined,
    'input not mutated',
  );
});

function oldRevisions(n: number): ControllerRevision[] {
  return Array.from({ length: n }, (_, i) =>
    revisionOf(withImage(`foo/bar:${i + 1}`), i + 1, { name: `foo-h${i + 1}`, hash: `h${i + 1}` }),
  );
}

test('cleanupHistory: deletes the lowest old revisions beyond the limit, sparing live hashes', () => {
  const ds = newDaemonSet({ revisionHistoryLimit: 2 });
  const old = oldRevisions(4).reverse();
  const current = [newOwnedPod(ds, 'node-0', { hash: 'h5' })];
  assert.deepEqual(cleanupHistory(ds, old, current), ['foo-h1', 'foo-h2']);
  assert.deepEqual(
    cleanupHistory(ds, old, [...current, newOwnedPod(ds, 'node-1', { hash: 'h1' })]),
    ['foo-h2', 'foo-h3'],
  );
  assert.deepEqual(cleanupHistory(newDaemonSet({ revisionHistoryLimit: 0 }), old, current), [
    'foo-h1',
    'foo-h2',
    'foo-h3',
    'foo-h4',
  ]);
  assert.deepEqual(cleanupHistory(newDaemonSet({ revisionHistoryLimit: 4 }), old, current), []);
  const noLimit = newDaemonSet();
  delete noLimit.spec!.revisionHistoryLimit;
  assert.deepEqual(cleanupHistory(noLimit, oldRevisions(11), []), ['foo-h1']);
  // Everything live: more than the limit remains.
  const allLive = old.map((r, i) => newOwnedPod(ds, `node-${i}`, { hash: revisionHash(r) }));
  assert.deepEqual(cleanupHistory(ds, old, allLive), []);
});

test('collisionDecision: own revision, stale count, or bump', () => {
  const ds = newDaemonSet();
  const mine = revisionOf(ds, 1);
  const other = revisionOf(withImage('else'), 1, { name: mine.metadata!.name! });
  assert.equal(collisionDecision(ds, mine, ds), 'use-existing');
  assert.deepEqual(collisionDecision(ds, other, ds), { bumpTo: 1 });
  const counted = structuredClone<Mutable<DaemonSet>>(ds);
  counted.status!.collisionCount = 4;
  assert.deepEqual(collisionDecision(counted, other, counted), { bumpTo: 5 });
  assert.equal(collisionDecision(ds, other, counted), 'stale-count-retry');
  const zero = structuredClone<Mutable<DaemonSet>>(ds);
  zero.status!.collisionCount = 0;
  assert.equal(collisionDecision(ds, other, zero), 'stale-count-retry', 'nil and 0 differ');
});
