import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  canonicalJSON,
  computeTemplateHash,
  fnv1a32,
  revisionDataBytes,
  revisionDataFor,
  revisionDataMatches,
  safeEncodeString,
} from './hash.js';
import type { DaemonSet, PodTemplateSpec } from './types.js';

const template: PodTemplateSpec = {
  metadata: { labels: { app: 'a' } },
  spec: { containers: [{ name: 'c', image: 'foo/bar' }] },
};
const ds: DaemonSet = {
  metadata: { name: 'foo' },
  spec: { selector: { matchLabels: { app: 'a' } }, template },
};

test('canonicalJSON: sorted keys, null/undefined dropped in objects, arrays kept', () => {
  assert.equal(
    canonicalJSON({ b: 1, a: { d: null, c: [3, null, { z: 1, y: undefined }] } }),
    '{"a":{"c":[3,null,{"z":1}]},"b":1}',
  );
  assert.equal(canonicalJSON({}), '{}');
  assert.equal(canonicalJSON([]), '[]');
  assert.equal(canonicalJSON('x'), '"x"');
  assert.equal(canonicalJSON(undefined), 'null');
  assert.equal(canonicalJSON({ $patch: 'replace', a: 1 }), '{"$patch":"replace","a":1}');
});

test('safeEncodeString maps digits onto 4-9 and b-f', () => {
  assert.equal(safeEncodeString('0123456789'), '456789bcdf');
});

test('computeTemplateHash: deterministic, DNS-safe, independent of key order', () => {
  const h = computeTemplateHash(template);
  assert.match(h, /^[4-9bcdf]{1,10}$/);
  assert.equal(computeTemplateHash(structuredClone(template)), h);
  const reordered: PodTemplateSpec = {
    spec: { containers: [{ image: 'foo/bar', name: 'c' }] },
    metadata: { labels: { app: 'a' } },
  };
  assert.equal(computeTemplateHash(reordered), h);
  assert.equal(
    computeTemplateHash({
      ...template,
      metadata: { ...template.metadata, creationTimestamp: null },
    } as never),
    h,
  );
});

test('computeTemplateHash: changes with the template and with collisionCount', () => {
  const h = computeTemplateHash(template);
  const other = computeTemplateHash({
    ...template,
    spec: { containers: [{ name: 'c', image: 'foo/bar:2' }] },
  });
  assert.notEqual(other, h);
  const c0 = computeTemplateHash(template, 0);
  const c1 = computeTemplateHash(template, 1);
  assert.notEqual(c0, h, 'collisionCount 0 is not the same as nil');
  assert.notEqual(c1, c0);
});

test('fnv1a32: published test vectors, and the hash of "{}" with and without collisionCount', () => {
  const enc = new TextEncoder();
  assert.equal(fnv1a32(enc.encode('')), 0x811c9dc5);
  assert.equal(fnv1a32(enc.encode('a')), 0xe40c292c);
  assert.equal(fnv1a32(enc.encode('foobar')), 0xbf9cf968);
  assert.equal(computeTemplateHash({}), safeEncodeString(String(fnv1a32(enc.encode('{}')))));
  const withCount = new Uint8Array([...enc.encode('{}'), 2, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(computeTemplateHash({}, 2), safeEncodeString(String(fnv1a32(withCount))));
});

test('revisionDataFor: the template as it is, nulls and empty objects kept, plus $patch', () => {
  const served = {
    ...ds,
    spec: {
      ...ds.spec!,
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'a' } },
        spec: { containers: [{ name: 'c', image: 'foo/bar', resources: {} }] },
      },
    },
  } as unknown as DaemonSet;
  assert.deepEqual(revisionDataFor(served), {
    spec: {
      template: {
        $patch: 'replace',
        metadata: { creationTimestamp: null, labels: { app: 'a' } },
        spec: { containers: [{ name: 'c', image: 'foo/bar', resources: {} }] },
      },
    },
  });
  // A copy: the DaemonSet is not shared with the revision.
  const data = revisionDataFor(served) as { spec: { template: { metadata: object } } };
  assert.notEqual(data.spec.template.metadata, served.spec!.template.metadata);
});

test("revisionDataBytes: Go's bytes (sorted keys, nulls kept, HTML-safe escapes)", () => {
  const served = {
    metadata: { name: 'foo' },
    spec: {
      selector: { matchLabels: { app: 'a' } },
      template: {
        metadata: { labels: { app: 'a' }, creationTimestamp: null },
        spec: { containers: [{ name: 'c', image: 'foo/bar', env: [{ name: 'E', value: '<&>' }] }] },
      },
    },
  } as unknown as DaemonSet;
  assert.equal(
    revisionDataBytes(served),
    '{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"app":"a"}},' +
      '"spec":{"containers":[{"env":[{"name":"E","value":"\\u003c\\u0026\\u003e"}],"image":"foo/bar","name":"c","resources":{}}]}}}}',
  );
});

test('revisionDataMatches: upstream-written data with other key order and creationTimestamp null matches', () => {
  const upstream = {
    spec: {
      template: {
        spec: { containers: [{ name: 'c', image: 'foo/bar' }] },
        metadata: { creationTimestamp: null, labels: { app: 'a' } },
        $patch: 'replace',
      },
    },
  };
  assert.equal(revisionDataMatches(ds, upstream), true);
  assert.equal(revisionDataMatches(ds, JSON.stringify(upstream)), true);
  assert.equal(revisionDataMatches(ds, revisionDataFor(ds)), true);
  const changed = structuredClone(upstream);
  changed.spec.template.spec.containers[0]!.image = 'foo/bar:2';
  assert.equal(revisionDataMatches(ds, changed), false);
  assert.equal(
    revisionDataMatches(ds, {
      spec: { template: { ...upstream.spec.template, $patch: undefined } },
    }),
    false,
  );
  assert.equal(revisionDataMatches(ds, undefined), false);
  assert.equal(revisionDataMatches(ds, 'not json'), false);
});

test('revisionDataFor: a custom resource template gets the fields apps/v1 always has', () => {
  const crd = {
    apiVersion: 'apps.everynode.dev/v1alpha1',
    kind: 'DaemonSet',
    metadata: { name: 'foo' },
    spec: {
      selector: { matchLabels: { app: 'a' } },
      template: {
        metadata: { labels: { app: 'a' } },
        spec: {
          containers: [
            { name: 'c', image: 'i', command: [], resources: { requests: { cpu: '0.5' } } },
          ],
        },
      },
    },
  } as unknown as DaemonSet;
  assert.deepEqual(revisionDataFor(crd), {
    spec: {
      template: {
        $patch: 'replace',
        metadata: { creationTimestamp: null, labels: { app: 'a' } },
        spec: { containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: '500m' } } }] },
      },
    },
  });
  // Its own revision, and one written before the served form (data as the template was), match.
  assert.equal(revisionDataMatches(crd, revisionDataFor(crd)), true);
  assert.equal(
    revisionDataMatches(crd, { spec: { template: { ...crd.spec!.template, $patch: 'replace' } } }),
    true,
  );
  const other = structuredClone(crd) as unknown as {
    spec: { template: { spec: { containers: object[] } } };
  };
  other.spec.template.spec.containers = [{ name: 'c', image: 'j' }];
  assert.equal(revisionDataMatches(other as unknown as DaemonSet, revisionDataFor(crd)), false);
});

test('property: canonicalJSON is invariant under key order', () => {
  fc.assert(
    fc.property(
      fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }),
      (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        assert.equal(canonicalJSON(reversed), canonicalJSON(obj));
        assert.doesNotThrow(() => JSON.parse(canonicalJSON(obj)));
      },
    ),
  );
});
