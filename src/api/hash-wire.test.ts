/**
 * The canonical form, the template hash and the revision match read a value and its JSON round
 * trip (what the API server stores and serves back) the same. Found by the fuzzer: a template in
 * the controller's cache with `runAsNonRoot: Infinity` (stored past the API server, so never
 * through JSON) kept the key in canonical form, while the revision the API server stored from it
 * held null, which canonical form leaves out; the created revision was never recognised and every
 * sync bumped status.collisionCount (src/controller/collision-loop.test.ts has the controller side).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  canonicalJSON,
  computeTemplateHash,
  revisionDataFor,
  revisionDataMatches,
} from './hash.js';
import type { DaemonSet, PodTemplateSpec } from './types.js';

const wire = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function template(runAsNonRoot: unknown): PodTemplateSpec {
  return {
    metadata: { labels: { app: 'a' } },
    spec: {
      containers: [{ name: 'c', image: 'i' }],
      securityContext: { runAsNonRoot, runAsUser: 65534 },
    },
  } as unknown as PodTemplateSpec;
}

const ds = (t: PodTemplateSpec): DaemonSet => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'foo', namespace: 'default', uid: 'u' },
  spec: { selector: { matchLabels: { app: 'a' } }, template: t },
});

for (const value of [Infinity, -Infinity, NaN, null, new Date(NaN)]) {
  test(`canonical form: a key holding ${String(value)} reads as its JSON round trip`, () => {
    const t = template(value);
    assert.equal(canonicalJSON(t), canonicalJSON(wire(t)));
    assert.equal(canonicalJSON(t), canonicalJSON(template(undefined)));
    // In an array JSON keeps the place, as null.
    assert.equal(canonicalJSON([value, 1]), '[null,1]');
  });

  test(`template hash: ${String(value)} hashes as the null the API server stores`, () => {
    const t = template(value);
    for (const count of [undefined, 0, 1, 7])
      assert.equal(computeTemplateHash(t, count), computeTemplateHash(wire(t), count));
  });

  test(`revision match: the revision the API server stores for a template holding ${String(value)} is recognised`, () => {
    const d = ds(template(value));
    // The data as sent, and as the API server stores and serves it back.
    assert.ok(revisionDataMatches(d, revisionDataFor(d)));
    assert.ok(revisionDataMatches(d, wire(revisionDataFor(d))));
    assert.ok(revisionDataMatches(wire(d), revisionDataFor(d)));
  });
}

test('a collisionCount bump gives this template a new hash, so a new revision name', () => {
  const t = template(Infinity);
  const names = new Set([undefined, 0, 1, 2, 3, 15002].map((c) => computeTemplateHash(t, c)));
  assert.equal(names.size, 6);
});
